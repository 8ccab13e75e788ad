import torch
import torch.nn.functional as F

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars, show_board
from arena_cli.zoo import load, othello
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
SAE = load_sae("resid2_topk")
HOOK = SAE.cfg.metadata.hook_name

# 32 games; a third of them cut short and padded, as a batch of games of different lengths is
TOKENS = si.model_input(si.games(32, seed=16))
for i in range(0, 32, 3):
    TOKENS[i, 10 + i :] = othello.PAD
MOVES = (TOKENS != othello.BOS) & (TOKENS != othello.PAD)


def saelens_bridge():
    """A second copy of the zoo model as SAELens' SAETransformerBridge (SAELens' own
    `boot_transformers` makes one the same way: by switching the bridge's class)."""
    from sae_lens.analysis.sae_transformer_bridge import SAETransformerBridge

    bridge = load("othello")
    bridge.__class__ = SAETransformerBridge
    bridge._acts_to_saes, bridge._transcoder_output_hooks = {}, {}
    return bridge


BRIDGE = saelens_bridge()
POST, PRE = BRIDGE.get_sae_hook_name(SAE), BRIDGE.get_sae_hook_name(SAE, "hook_sae_acts_pre")
with torch.no_grad():
    CLEAN = model(TOKENS)
    _, _cache = BRIDGE.run_with_cache_with_saes(TOKENS, saes=[SAE], use_error_term=True, names_filter=[POST, PRE])
    ACTS, ACTS_PRE = _cache[POST], _cache[PRE]
    del _cache


def best_played_latent():
    """(square, latent, F1): the latent whose firing (> 0) best classifies "the move just made was
    on square X", over the move positions, and its square X."""
    fires = (ACTS[MOVES] > 0).float()
    played = F.one_hot(othello.TOKEN_TO_SQUARE[TOKENS[MOVES]], othello.N_SQUARES).float()
    tp = fires.T @ played
    f1 = 2 * tp / (fires.sum(0)[:, None] + played.sum(0)[None]).clamp(min=1)
    best, latent = f1.max(0)
    square = int(best.argmax())
    return square, int(latent[square]), float(best[square])


SQUARE, LATENT, F1 = best_played_latent()
X = int(othello.SQUARE_TO_TOKEN[SQUARE])
AT_X = TOKENS == X  # the positions where X was just played
EVEN_GAMES = (torch.arange(len(TOKENS)) % 2 == 0)[:, None]
MASK = (AT_X & EVEN_GAMES) | (torch.arange(TOKENS.shape[1]) == 7)  # chosen positions
RESULTS = {}


def reference(value, mask=None, *, error=True, add=False):
    """The splice with plain hooks: latent LATENT set to `value` (or `value` added) where `mask`."""
    where = torch.ones(TOKENS.shape, dtype=torch.bool) if mask is None else mask

    def hook(x, hook):
        f = SAE.encode(x)
        err = x - SAE.decode(f)
        g = f.clone()
        g[..., LATENT] = torch.where(where, f[..., LATENT] + value if add else torch.tensor(value), f[..., LATENT])
        return SAE.decode(g) + (err if error else 0)

    return model.run_with_hooks(TOKENS, fwd_hooks=[(HOOK, hook)])


def saelens_ablation(value, mask=None):
    """SAELens' own splice (SAE attached with use_error_term=True), the latent edited at its
    `hook_sae_acts_post`."""
    where = torch.ones(TOKENS.shape, dtype=torch.bool) if mask is None else mask

    def edit(acts, hook):
        acts = acts.clone()
        acts[..., LATENT] = torch.where(where, torch.tensor(value), acts[..., LATENT])
        return acts

    with BRIDGE.saes(saes=[SAE], use_error_term=True):
        return BRIDGE.run_with_hooks(TOKENS, fwd_hooks=[(POST, edit)])


def check_no_hooks_left():
    left = [n for n, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")


def test_latent_mean_is_over_move_positions():
    before = TOKENS.clone()
    got = ex.latent_mean(model, SAE, TOKENS, LATENT)
    assert_unchanged(before, TOKENS, name="tokens")
    check_no_hooks_left()
    a, pre = ACTS[..., LATENT], ACTS_PRE[..., LATENT]
    assert_close(torch.as_tensor(got, dtype=torch.float32), a[MOVES].mean(), atol=1e-6, name=f"mean activation of latent {LATENT}", mistakes={
        "the mean includes the <bos> and <pad> positions; average over the positions that hold a move": a.mean(),
        "the mean includes the <bos> position (position 0); average over the positions that hold a move": a[TOKENS != othello.PAD].mean(),
        "the mean includes the <pad> positions after a game has ended; average over the positions that hold a move": a[TOKENS != othello.BOS].mean(),
        "the mean is over the positions where the latent fires only; the positions where it is 0 are part of its mean": lambda: a[MOVES & (a > 0)].mean(),
        "this is the mean of the pre-activation (before the TopK); mean ablation uses the activation sae.encode returns": pre[MOVES].mean(),
        "this is the mean of the pre-activation (scaled by the decoder norm, before the TopK); use the activation sae.encode returns":
            (pre * SAE.W_dec[LATENT].norm())[MOVES].mean(),
    })


def test_zero_ablation_matches_saelens_splice():
    before = TOKENS.clone()
    got = ex.ablate_latent(model, SAE, TOKENS, LATENT)  # value and positions at their defaults
    assert_unchanged(before, TOKENS, name="tokens")
    check_no_hooks_left()
    expected = saelens_ablation(0.0)
    assert_close(got, expected, atol=1e-4, name=f"logits with latent {LATENT} zero-ablated", mistakes={
        "the output is the clean model's, the edit had no effect: take the error term from the unedited latents (edit a copy, not f itself) "
        "and set the latent to the value (adding 0 changes nothing)": CLEAN,
        "the error term is dropped: this is the SAE's reconstruction alone; add x - decode(encode(x)) back": lambda: reference(0.0, error=False),
    })
    RESULTS["zero"] = got


def test_no_edit_leaves_the_model_unchanged():
    nowhere = torch.zeros(TOKENS.shape, dtype=torch.bool)
    got = ex.ablate_latent(model, SAE, TOKENS, LATENT, 0.0, positions=nowhere)
    assert_unchanged(torch.zeros(TOKENS.shape, dtype=torch.bool), nowhere, name="positions")
    assert_close(got, CLEAN, atol=1e-4, name="logits with the SAE spliced in and no position edited", mistakes={
        "the error term is dropped: this is the SAE's reconstruction alone; add x - decode(encode(x)) back": lambda: reference(0.0, nowhere, error=False),
        "the latent is ablated at every position; edit only where `positions` is true": lambda: RESULTS["zero"] if "zero" in RESULTS else reference(0.0),
    })


def test_mean_ablation_at_chosen_positions():
    value = float(ACTS[..., LATENT][MOVES].mean())
    before_tokens, before_mask = TOKENS.clone(), MASK.clone()
    got = ex.ablate_latent(model, SAE, TOKENS, LATENT, value, positions=MASK)
    assert_unchanged(before_tokens, TOKENS, name="tokens")
    assert_unchanged(before_mask, MASK, name="positions")
    check_no_hooks_left()
    assert_close(got, saelens_ablation(value, MASK), atol=1e-4, name=f"logits with latent {LATENT} mean-ablated at the chosen positions", mistakes={
        "the latent is ablated at every position; edit only where `positions` is true": lambda: reference(value),
        "the edit is made where `positions` is false; edit where it is true": lambda: reference(value, ~MASK),
        "the value is added to the latent; ablation sets the latent to the value": lambda: reference(value, MASK, add=True),
        "the error term is dropped: this is the SAE's reconstruction alone; add x - decode(encode(x)) back": lambda: reference(value, MASK, error=False),
        "the output is the clean model's: the edit was undone; compute the error term from the unedited latents (edit a copy, not f itself)": CLEAN,
    })


def test_kl_from_clean_matches_torch():
    g = torch.Generator().manual_seed(0)
    clean, edited = torch.randn(3, 5, 9, generator=g) * 2, torch.randn(3, 5, 9, generator=g) * 2
    copies = clean.clone(), edited.clone()
    got = ex.kl_from_clean(clean, edited)
    assert_unchanged(copies[0], clean, name="clean_logits")
    assert_unchanged(copies[1], edited, name="edited_logits")

    def kl(p_logits, q_logits):  # KL(P || Q) by torch: kl_div(input = log Q, target = log P)
        return F.kl_div(q_logits.log_softmax(-1), p_logits.log_softmax(-1), log_target=True, reduction="none").sum(-1)

    expected = kl(clean, edited)
    assert_close(got, expected, atol=1e-5, name="KL(P_clean || P_edited) per position", mistakes={
        "the arguments are swapped: this is KL(P_edited || P_clean); the clean prediction is the reference, KL(P_clean || P_edited)": kl(edited, clean),
        "the sign is reversed: KL = sum p_clean (log p_clean - log p_edited), never negative": -expected,
        "the KL is averaged over the vocabulary; sum it over the vocabulary": expected / clean.shape[-1],
        "the log-probabilities are the raw logits; take log_softmax first": (clean.softmax(-1) * (clean - edited)).sum(-1),
    })
    half = torch.tensor([[[0.5, 0.5]]]).log()
    assert_close(ex.kl_from_clean(half, torch.tensor([[[0.75, 0.25]]]).log()), torch.tensor([[0.1438]]), atol=1e-4,
                 name="KL((1/2, 1/2) || (3/4, 1/4))")


def test_ablating_a_played_latent_changes_the_predictions_where_that_square_was_just_played():
    name = othello.square_name(SQUARE)
    assert F1 >= 0.85, f"resid2_topk should have a latent reading `played:{name}` with F1 >= 0.85; the best has {F1:.3f}"
    ablated = RESULTS.get("zero")
    if ablated is None:
        ablated = ex.ablate_latent(model, SAE, TOKENS, LATENT)
    kl = ex.kl_from_clean(CLEAN, ablated)
    at = kl[AT_X & MOVES].mean()
    after = kl[MOVES & ~AT_X & (AT_X.cumsum(1) > 0)].mean()
    before = kl[MOVES & (AT_X.cumsum(1) == 0)].mean()
    show_bars([f"{name} just played", f"after {name}", f"before {name}"],
              [float(at), float(after), float(before)],
              title=f"zero-ablating latent {LATENT} (played:{name}, F1 {F1:.2f}) of resid2_topk: KL from the clean prediction",
              y_label="mean KL (nats)")
    dp = (ablated.softmax(-1) - CLEAN.softmax(-1))[AT_X]  # [n, d_vocab]
    board = torch.zeros(othello.N_SQUARES)
    board[othello.TOKEN_TO_SQUARE[len(othello.SPECIALS):]] = 100 * dp[:, len(othello.SPECIALS):].mean(0)
    marks = [["X" if r * othello.SIZE + c == SQUARE else "" for c in range(othello.SIZE)] for r in range(othello.SIZE)]
    show_board(board.view(othello.SIZE, othello.SIZE), marks, scale="diverging",
               title=f"latent {LATENT} zero-ablated: change in each square's move probability (percentage points) where {name} (X) "
                     f"was just played; rows 1-6, columns A-F")
    # measured (these 32 games: C1, latent 290, F1 0.97): KL 0.0031 nats where C1 was just played,
    # 89x the later moves; over six seeds of games 36-89x (resid1_topk: 17-51x); earlier moves ~0
    assert at > 10 * after and at > 10 * before, (
        f"ablating the `played:{name}` latent should change the prediction most where {name} was just played: "
        f"mean KL there {float(at):.2e}, at later moves {float(after):.2e}, at earlier moves {float(before):.2e}")
