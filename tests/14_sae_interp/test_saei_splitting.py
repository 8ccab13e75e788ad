import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig

from arena_cli.course import sae_interp as si
from arena_cli.course.superposition import random_sae_params
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars, show_heatmap
from arena_cli.zoo import load, othello
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
NARROW, WIDE = load_sae("resid3_narrow"), load_sae("resid3")


def random_sae(d_sae, seed):
    # decoder rows far from unit norm, so that a dot product is not a cosine
    sae = StandardSAE(StandardSAEConfig(d_in=96, d_sae=d_sae, device="cpu"))
    sae.load_state_dict(random_sae_params("standard", 96, d_sae, torch.Generator().manual_seed(seed)))
    return sae


RANDOM_NARROW, RANDOM_WIDE = random_sae(10, 0), random_sae(30, 1)


def cosine_oracle(a, b):
    return F.cosine_similarity(a[:, None, :], b[None, :, :], dim=-1)


@pytest.mark.parametrize("which", ["shipped", "random"])
def test_decoder_cosine(which):
    narrow, wide = (NARROW, WIDE) if which == "shipped" else (RANDOM_NARROW, RANDOM_WIDE)
    before = narrow.W_dec.detach().clone(), wide.W_dec.detach().clone()
    got = ex.decoder_cosine(narrow, wide)
    assert_unchanged(before[0], narrow.W_dec, name="narrow.W_dec")
    assert_unchanged(before[1], wide.W_dec, name="wide.W_dec")
    a, b = narrow.W_dec, wide.W_dec
    expected = cosine_oracle(a, b)
    assert_close(got, expected, atol=1e-4, name=f"decoder cosine similarity ({which}) [d_narrow, d_wide]", mistakes={
        "this is a dot product of decoder rows, not a cosine: divide each row by its norm first": lambda: a @ b.T,
        "these are encoder columns (W_enc[:, i]); a latent's direction is the decoder row it writes, W_dec[i]":
            lambda: cosine_oracle(narrow.W_enc.T, wide.W_enc.T),
        "the matrix is transposed: rows are narrow latents, columns wide ones, [d_narrow, d_wide]": lambda: expected.T,
        "the rows were normalised along the wrong dimension (W_dec.norm(dim=0)): each latent's row W_dec[i] needs unit norm":
            lambda: (a / a.norm(dim=0)) @ (b / b.norm(dim=0)).T,
        "only the narrow decoder rows are normalised; normalise the wide ones too": lambda: (a / a.norm(dim=-1, keepdim=True)) @ b.T,
        "only the wide decoder rows are normalised; normalise the narrow ones too": lambda: a @ (b / b.norm(dim=-1, keepdim=True)).T,
    })


def padded_tokens():
    tokens = si.model_input(si.games(12, seed=31))
    tokens[2, 19:] = othello.PAD  # as if these games had ended early
    tokens[7, 26:] = othello.PAD
    return tokens


def hook_acts(tokens):
    hook = NARROW.cfg.metadata.hook_name
    assert WIDE.cfg.metadata.hook_name == hook  # the two SAEs read the same activation
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook)
    return cache[hook]


def move_positions(tokens):
    moves = tokens != othello.PAD
    moves[:, 0] = False
    return moves


TOKENS = padded_tokens()
ACTS = hook_acts(TOKENS)


@pytest.mark.parametrize("name", ["resid3_narrow", "resid3"])
def test_latent_firing_at_move_positions(name):
    sae = NARROW if name == "resid3_narrow" else WIDE
    tokens, acts = TOKENS.clone(), ACTS.clone()
    got = ex.latent_firing(sae, acts, tokens)
    assert_unchanged(TOKENS, tokens, name="tokens")
    assert_unchanged(ACTS, acts, name="acts")
    f = sae.encode(ACTS)  # [game, pos, d_sae], SAELens
    moves = move_positions(TOKENS)
    not_pad = TOKENS != othello.PAD
    not_bos = torch.ones_like(moves)
    not_bos[:, 0] = False
    assert_close(torch.as_tensor(got).bool(), f[moves] > 0, name=f"which {name} latents fire at each move position", mistakes={
        "the `<bos>` positions (position 0) are counted; keep only positions that hold a move": f[not_pad] > 0,
        "the padding positions (othello.PAD, after a game ended) are counted; keep only positions that hold a move": f[not_bos] > 0,
        "every position is counted, `<bos>` and padding included; keep only positions that hold a move": f.flatten(0, 1) > 0,
        "`acts >= 0` is true everywhere after a ReLU: a latent fires where its activation is > 0": f[moves] >= 0,
        "the positions are ordered position-major; keep the row-major order of `tokens` (game by game)": f.transpose(0, 1)[moves.T] > 0,
    })


def synthetic_firings(seed=0, n=400, d_narrow=5, d_wide=12):
    g = torch.Generator().manual_seed(seed)
    narrow = torch.rand(n, d_narrow, generator=g) < 0.3
    narrow[:, 3] = False  # a narrow latent that never fires
    parent = narrow[:, torch.arange(d_wide) % d_narrow]
    wide = (parent & (torch.rand(n, d_wide, generator=g) < 0.5)) | (torch.rand(n, d_wide, generator=g) < 0.05)
    wide[:, 10] = False  # a wide latent that never fires
    return narrow, wide


def conditional_oracle(given, other):
    """P(other j fires | given i fires) for every i, j, by counting (numpy, a loop)."""
    given, other = given.numpy(), other.numpy()
    out = np.zeros((given.shape[1], other.shape[1]))
    for i in range(given.shape[1]):
        if given[:, i].any():
            out[i] = other[given[:, i]].mean(0)
    return torch.tensor(out, dtype=torch.float32)


def test_coactivation_matches_counting():
    narrow, wide = synthetic_firings()
    copies = narrow.clone(), wide.clone()
    p_wn, p_nw = ex.coactivation(narrow, wide)
    assert_unchanged(copies[0], narrow, name="narrow_fires")
    assert_unchanged(copies[1], wide, name="wide_fires")
    want_wn = conditional_oracle(narrow, wide)  # [d_narrow, d_wide]
    want_nw = conditional_oracle(wide, narrow).T  # P(narrow i | wide j), [d_narrow, d_wide]
    both = narrow.float().T @ wide.float()
    nan_guard = lambda count: both / count  # noqa: E731  (no 0 where the count is 0: NaN)
    assert_close(p_wn, want_wn, atol=1e-5, name="P(wide j fires | narrow i fires)", mistakes={
        "the direction is reversed: this is P(narrow fires | wide fires); divide the joint count by the narrow latent's firings": want_nw,
        "this is the joint probability P(both fire), divided by the number of positions; condition on the narrow latent firing": both / len(narrow),
        "a latent that never fires gives 0/0 = NaN; return 0 there": lambda: nan_guard(narrow.float().sum(0)[:, None]),
    })
    assert_close(p_nw, want_nw, atol=1e-5, name="P(narrow i fires | wide j fires)", mistakes={
        "the direction is reversed: this is P(wide fires | narrow fires); divide the joint count by the wide latent's firings": want_wn,
        "this is the joint probability P(both fire), divided by the number of positions; condition on the wide latent firing": both / len(narrow),
        "a latent that never fires gives 0/0 = NaN; return 0 there": lambda: nan_guard(wide.float().sum(0)[None, :]),
    })


def splits_oracle(cos, p, latent, tau, rho, *, strict=False, rule="and"):
    c, q = cos[latent].numpy(), p[latent].numpy()
    near, inside = (c > tau, q > rho) if strict else (c >= tau, q >= rho)
    ok = {"and": near & inside, "or": near | inside, "cos only": near, "p only": inside}[rule]
    js = np.flatnonzero(ok)
    return torch.tensor(js[np.argsort(-c[js], kind="stable")], dtype=torch.long)


def test_splits_thresholds_and_order():
    # exact ties at tau = 0.25 and rho = 0.75 (both exact in float32): >= keeps them, > would not
    cos = torch.tensor([[0.9, 0.1, 0.8, 0.2, 0.6, 0.5, 0.3, 0.7],
                        [0.9, 0.25, 0.6, 0.3, 0.7, -0.8, 0.25, 0.5],
                        [0.2, 0.95, 0.4, 0.9, 0.1, 0.85, 0.3, 0.6]])
    p = torch.tensor([[0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
                      [0.75, 0.9, 0.5, 0.8, 1.0, 0.9, 0.7, 0.8],
                      [0.8, 0.1, 0.9, 0.75, 0.9, 0.9, 0.9, 0.9]])
    copies = cos.clone(), p.clone()
    got = ex.splits(cos, p, 1, tau=0.25, rho=0.75)
    assert_unchanged(copies[0], cos, name="cos")
    assert_unchanged(copies[1], p, name="p_narrow_given_wide")
    expected = splits_oracle(cos, p, 1, 0.25, 0.75)  # [0, 4, 7, 3, 1]
    got = torch.as_tensor(got).long()
    assert_close(got, expected, name="children of narrow latent 1 (tau 0.25, rho 0.75)", mistakes={
        "strict comparisons (> tau, > rho) drop the pairs exactly at a threshold; a child needs cos >= tau and P >= rho":
            splits_oracle(cos, p, 1, 0.25, 0.75, strict=True),
        "the children are in index order; sort them by cosine, most similar first": expected.sort().values,
        "the children are sorted least similar first; sort by cosine, most similar first": expected.flip(0),
        "either condition is enough here; a child needs both cos >= tau and P(narrow | wide) >= rho":
            splits_oracle(cos, p, 1, 0.25, 0.75, rule="or"),
        "the condition on cos is left out": splits_oracle(cos, p, 1, 0.25, 0.75, rule="p only"),
        "the condition on P(narrow | wide) is left out": splits_oracle(cos, p, 1, 0.25, 0.75, rule="cos only"),
    })
    other = torch.as_tensor(ex.splits(cos, p, 2, tau=0.5, rho=0.8)).long()
    assert_close(other, splits_oracle(cos, p, 2, 0.5, 0.8), name="children of narrow latent 2 (tau 0.5, rho 0.8)",
                 mistakes={"the row and column roles are mixed up: `latent` indexes a row of cos (a narrow latent)": splits_oracle(cos.T, p.T, 2, 0.5, 0.8)})
    none = torch.as_tensor(ex.splits(cos, p, 0, tau=0.95, rho=0.5))
    assert none.numel() == 0, f"no wide latent reaches cos 0.95 with narrow latent 0, yet splits returned {none.tolist()}"


# ------------------------------------------------------------------ the shipped SAEs, ground truth
TAU, RHO = 0.5, 0.8
N_GAMES, SEED = 100, 3


def rates_given(masks, labels, defined):
    """P(feature | mask) over the positions where the feature is defined: [n, K] masks -> [K, F]."""
    m = masks.float().T
    return (m @ (labels & defined).float()) / (m @ defined.float()).clamp(min=1)


def best_features(fires, labels, defined):
    """(F1, precision, recall) of each latent's best feature, and that feature: 4 x [d_sae]."""
    tp = fires.float().T @ (labels & defined).float()
    precision = tp / (fires.float().T @ defined.float()).clamp(min=1)
    recall = tp / (labels & defined).float().sum(0).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    best, feature = f1.max(1)
    rows = torch.arange(len(best))
    return best, precision[rows, feature], recall[rows, feature], feature


def test_which_wide_latents_split_a_narrow_one():
    """Feature splitting in the shipped SAEs, measured against the ground truth.

    Measured (100 games, seed 3, 3100 move positions; tau 0.5, rho 0.8): 29 of the 64 narrow
    latents have >= 2 children (76 parent-child pairs). The parent shown (the narrow latent with
    >= 3 children that best detects its best feature) was narrow 15, `empty:D5` with F1 0.89
    (P 0.91, R 0.86). Its children, wide 93 / 179 / 247: cos 0.85 / 0.79 / 0.50,
    P(narrow | wide) 0.92 / 0.88 / 0.87, P(wide | narrow) 0.42 / 0.43 / 0.26. Each child's best
    feature is `empty:D5` too, with about the same precision (0.88 / 0.85 / 0.85) and a part of
    the recall (0.38 / 0.40 / 0.25): the wide SAE cut one feature into sub-cases. Within narrow
    15's firings each child is rich in a different feature: 93 `theirs:B5` 0.23 -> 0.46, 179
    `theirs:C5` 0.32 -> 0.47, 247 `empty:C2` 0.35 -> 0.66, where random subsets of the parent's
    firings of the same sizes rise at most 0.046 / 0.032 / 0.066. Together the children cover
    0.74 of the parent's firings. Over all 76 pairs the median rise is 0.26 against 0.054 by
    chance (4.8 x; smallest rise 0.12), every child exceeds twice its chance rise, and in 24 of
    the 29 parents the children's richest features are all different. (150 games, seed 11: the
    same parent and children, coverage 0.70, median 6.6 x chance.)
    Asserted: coverage >= 0.6; each child of the parent shown matches the parent's feature with
    less recall and rises >= 0.1 and > 2 x chance; over all pairs >= 90% above 2 x chance and a
    median >= 3 x chance. Indices are found by computation, never written in."""
    g = si.games(N_GAMES, seed=SEED)
    tokens = si.model_input(g)
    acts = hook_acts(tokens)
    cos = ex.decoder_cosine(NARROW, WIDE)
    nf, wf = ex.latent_firing(NARROW, acts, tokens), ex.latent_firing(WIDE, acts, tokens)
    p_wn, p_nw = ex.coactivation(nf, wf)

    # the oracle: SAELens' encoder, torch's cosine, counting
    moves = move_positions(tokens)
    ref_n, ref_w = NARROW.encode(acts[moves]) > 0, WIDE.encode(acts[moves]) > 0
    ref_cos = cosine_oracle(NARROW.W_dec, WIDE.W_dec)
    joint = ref_n.float().T @ ref_w.float()
    ref_nw = joint / ref_w.float().sum(0).clamp(min=1)
    ref_wn = joint / ref_n.float().sum(0)[:, None].clamp(min=1)
    assert_close(p_wn, ref_wn, atol=1e-5, name="P(wide | narrow) on the shipped SAEs",
                 mistakes={"the direction is reversed: this is P(narrow fires | wide fires)": ref_nw})
    assert_close(p_nw, ref_nw, atol=1e-5, name="P(narrow | wide) on the shipped SAEs",
                 mistakes={"the direction is reversed: this is P(wide fires | narrow fires)": ref_wn})

    names, labels, defined = si.ground_truth(g)
    labels, defined = labels[moves[:, 1:]], defined[moves[:, 1:]]  # aligned with the firing rows
    is_child = (ref_cos >= TAU) & (ref_nw >= RHO)
    n_children = is_child.sum(1)
    f1, precision, recall, feature = best_features(ref_n, labels, defined)
    # the parent shown: the narrow latent with >= 3 children whose best feature it detects best
    parent = int(torch.where(n_children >= 3, f1, torch.full_like(f1, -1)).argmax())
    kids = torch.as_tensor(ex.splits(cos, p_nw, parent, TAU, RHO)).long()
    assert_close(kids, splits_oracle(ref_cos, ref_nw, parent, TAU, RHO), name=f"children of narrow latent {parent}")

    # every (parent, child) pair of parents with >= 2 children: within the parent's firings, the
    # feature the child is richest in, against a random subset of the parent's firings of its size
    pairs = (is_child & (n_children >= 2)[:, None]).nonzero()
    parent_of, child_of = pairs[:, 0], pairs[:, 1]
    inside = ref_n[:, parent_of]  # [n, K]
    carved = inside & ref_w[:, child_of]
    base = rates_given(inside, labels, defined)
    lift = rates_given(carved, labels, defined) - base  # [K, F]
    share = carved.sum(0) / inside.sum(0)
    chance = inside & (torch.rand(inside.shape, generator=torch.Generator().manual_seed(0)) < share)
    chance_lift = (rates_given(chance, labels, defined) - base).max(1).values
    top_lift, top = lift.max(1)

    # the figures: the parent's nearest wide latents, their co-activation, what each child adds
    near = ref_cos[parent].argsort(descending=True)[:8]
    star = {int(j): "*" for j in kids}
    short = [f"w{int(j)}{star.get(int(j), '')}" for j in near]  # the terminal shows 8 characters of a label
    dirs = F.normalize(torch.cat([NARROW.W_dec[parent : parent + 1], WIDE.W_dec[near]]), dim=-1)
    show_heatmap(dirs @ dirs.T, [f"n{parent}"] + short, [f"n{parent}"] + short, vmin=-1, vmax=1, scale="diverging",
                 title=f"decoder cosine: narrow latent n{parent} ({names[feature[parent]]}) and its 8 nearest wide latents; "
                       f"* = a child (cos >= {TAU} and P(narrow | wide) >= {RHO})")
    show_bars([f"{lab} cos {float(ref_cos[parent, j]):.2f}" for lab, j in zip(short, near)], ref_nw[parent, near].tolist(),
              title=f"P(n{parent} fires | wide latent fires), nearest first; * = a child: it fires mostly inside its parent",
              y_label="probability")
    at = [int(((parent_of == parent) & (child_of == j)).nonzero()) for j in kids]  # the parent's pairs
    show_bars([f"w{int(j)} {names[top[k]]}" for j, k in zip(kids, at)], top_lift[at].tolist(),
              title=f"within n{parent}'s firings, the feature each child is richest in: "
                    + ", ".join(f"w{int(j)} {names[top[k]]} {float(base[k, top[k]]):.2f} -> {float(base[k, top[k]] + top_lift[k]):.2f}" for j, k in zip(kids, at)),
              y_label="rise in P(feature)")

    # the measured properties
    coverage = float((ref_w[:, kids].any(1) & ref_n[:, parent]).sum() / ref_n[:, parent].sum())
    assert coverage >= 0.6, f"the children of narrow latent {parent} cover only {coverage:.2f} of its firings; measured 0.74"
    wf1, wp, wr, wfeature = best_features(ref_w[:, kids], labels, defined)
    for c, j in enumerate(kids.tolist()):
        assert wfeature[c] == feature[parent] and wr[c] < recall[parent], (
            f"wide latent {j} (a child of narrow {parent}, {names[feature[parent]]}) was expected to match the same feature with "
            f"less recall (a piece of it); its best feature is {names[wfeature[c]]}, recall {float(wr[c]):.2f}")
        k = at[c]
        assert top_lift[k] >= 0.1 and top_lift[k] > 2 * chance_lift[k], (
            f"child {j} is not a distinct slice of narrow {parent}: its largest rise in a feature's rate is {float(top_lift[k]):.2f}, "
            f"a random subset of the same size gets {float(chance_lift[k]):.2f}")
    sliced = float((top_lift > 2 * chance_lift).float().mean())
    ratio = float(top_lift.median() / chance_lift.median())
    assert sliced >= 0.9 and ratio >= 3, (
        f"over all {len(pairs)} parent-child pairs: {sliced:.0%} of children are richer in some feature than twice a random "
        f"subset of their parent, median rise {ratio:.1f} x chance; measured 100% and 4.8 x")
