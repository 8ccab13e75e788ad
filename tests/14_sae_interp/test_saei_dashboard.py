import numpy as np
import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars, show_tokens
from arena_cli.zoo import load, othello
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
SAES = {name: load_sae(name) for name in ("resid1_topk", "resid2", "resid3")}
GAMES = si.games(60, seed=12)
TOKENS = si.model_input(GAMES)
# 20 of them for the small checks, the games that end early (padding at the end) first
SMALL = TOKENS[(TOKENS == othello.PAD).any(1).int().argsort(descending=True, stable=True)[:20]]
assert bool((SMALL == othello.PAD).any()), "the check's games should include one that ends early (padding)"


# ---- oracles: SAELens' own hook points, numpy ----------------------------------------------


def saelens_cache(sae, tokens):
    """SAELens' own hook points of the SAE (hook_sae_acts_pre, hook_sae_acts_post, ...) on the model's activations."""
    hook = sae.cfg.metadata.hook_name
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook)
    return sae.run_with_cache(cache[hook])[1]


def saelens_acts(sae_cache, tokens, latent, *, hook_point="hook_sae_acts_post", mask=True):
    """The latent at every position, read from SAELens' hook point (post: after the ReLU / TopK)."""
    acts = sae_cache[hook_point][..., latent]
    return torch.where(tokens >= len(othello.SPECIALS), acts, torch.zeros_like(acts)) if mask else acts


def numpy_top(acts, k):
    """(values, game, pos) by numpy: sort by value descending, then by flat index ascending."""
    a = acts.numpy()
    flat = a.ravel()
    order = np.lexsort((np.arange(flat.size), -flat))[:k]
    game, pos = np.unravel_index(order, a.shape)
    return torch.from_numpy(flat[order].copy()), torch.from_numpy(game), torch.from_numpy(pos), order


def numpy_hist(values, bins, low, high):
    counts, edges = np.histogram(np.asarray(values, dtype=np.float64), bins=bins, range=(low, high))
    return torch.tensor(counts, dtype=torch.float32), torch.tensor(edges, dtype=torch.float32)


def unit_write(sae, latent):
    """What one unit of the latent adds to SAELens' reconstruction: decode(e_latent) - decode(0)."""
    e = torch.zeros(2, sae.cfg.d_sae)
    e[0, latent] = 1.0
    out = sae.decode(e)
    return out[0] - out[1]


def numpy_effects(sae, latent, *, direction=None, centre=True, ln_weight=True):
    d = (unit_write(sae, latent) if direction is None else direction).double().numpy()
    if centre:
        d = d - d.mean()
    if ln_weight:
        d = d * model.ln_final.weight.double().numpy()
    return torch.from_numpy(d @ model.W_U.double().numpy()).float()


def ranked(effect, k, exclude, *, bottom=False):
    """Token ids by numpy: largest first (or most negative first), ties to the smaller id, `exclude` left out."""
    e = effect.double().numpy()
    keep = np.array([t for t in range(len(e)) if t not in set(exclude)])
    key = e[keep] if bottom else -e[keep]
    order = keep[np.lexsort((keep, key))][:k]
    return torch.from_numpy(e[order]).float(), torch.from_numpy(order)


# ---- 1. latent_activations ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["resid1_topk", "resid3"], ids=["topk-resid1", "relu-resid3"])
def test_latent_activations_match_saelens_hook_point(name):
    sae = SAES[name]
    tokens = SMALL
    cache = saelens_cache(sae, tokens)
    # found by computation, not hard-coded: the latent most often active at the moves of these
    # games, and the one most active where there is no move (<bos>, <pad>)
    post = cache["hook_sae_acts_post"]
    often = int((post[:, 1:] > 0).sum((0, 1)).argmax())
    off_moves = int((post * (tokens < len(othello.SPECIALS))[..., None]).amax((0, 1)).argmax())
    for latent in (often, off_moves):
        _check_latent(name, sae, cache, tokens, latent)


def _check_latent(name, sae, cache, tokens, latent):
    before = tokens.clone()
    got = ex.latent_activations(model, sae, tokens, latent)
    assert_unchanged(before, tokens, name="tokens")
    assert_close(got, saelens_acts(cache, tokens, latent), atol=1e-4, name=f"activations of latent {latent} ({name})", mistakes={
        "these are the pre-activations (SAELens' hook_sae_acts_pre), read before the SAE's ReLU / TopK; "
        "use sae.encode, which applies it": lambda: saelens_acts(cache, tokens, latent, hook_point="hook_sae_acts_pre"),
        "positions holding <bos> or <pad> are not set to 0; the SAE was trained on move positions only": lambda: saelens_acts(
            cache, tokens, latent, mask=False),
        "only <pad> positions are zeroed; <bos> (position 0) is not a move either": lambda: saelens_acts(
            cache, tokens, latent, mask=False) * (tokens != othello.PAD),
    })


# ---- 2. top_activations ------------------------------------------------------------------


def _check_top(acts, k):
    before = acts.clone()
    values, game, pos = ex.top_activations(acts, k)
    assert_unchanged(before, acts, name="acts")
    expected, e_game, e_pos, flat = numpy_top(acts, k)
    n_games, width = acts.shape
    assert_close(values, expected, name=f"top-{k} values", mistakes={
        "the values are in ascending order; the largest comes first": expected.flip(0),
    })
    game, pos = torch.as_tensor(game).long(), torch.as_tensor(pos).long()
    wrong_width = {
        f"the flat index is unravelled with the number of games ({n_games}) as the row width; "
        f"a row of acts [game, seq] is {width} long: game = i // seq, pos = i % seq": (torch.from_numpy(flat // n_games), torch.from_numpy(flat % n_games)),
        "game and pos are swapped": (e_pos, e_game),
    }
    if not (torch.equal(game, e_game) and torch.equal(pos, e_pos)):
        for sentence, (g, p) in wrong_width.items():
            if torch.equal(game, g) and torch.equal(pos, p):
                raise mistake(sentence, f"got game {game.tolist()}, pos {pos.tolist()}; expected game {e_game.tolist()}, pos {e_pos.tolist()}")
        inside = bool(((game >= 0) & (game < n_games) & (pos >= 0) & (pos < width)).all())
        if inside and torch.equal(acts[game, pos], expected) and len(set(zip(game.tolist(), pos.tolist()))) == k:
            raise mistake("the entries are right but the ties are broken in another order: among equal activations the "
                          "earlier (game, pos) in row-major order comes first (torch.topk promises no order among ties; "
                          "torch.sort(..., stable=True) keeps it)",
                          f"got game {game.tolist()}, pos {pos.tolist()}; expected game {e_game.tolist()}, pos {e_pos.tolist()}")
    assert_close(game, e_game, name=f"game index of the top {k}")
    assert_close(pos, e_pos, name=f"position index of the top {k}")


@pytest.mark.parametrize("n_games, width, k", [(7, 11, 12), (13, 5, 20)], ids=["7x11-k12", "13x5-k20"])
def test_top_activations_ties_go_to_the_earlier_entry(n_games, width, k):
    # activations on a coarse grid: many exact ties, as in a latent that saturates
    g = torch.Generator().manual_seed(n_games)
    acts = torch.randint(0, 4, (n_games, width), generator=g).float() * 0.5
    _check_top(acts, k)


def test_top_activations_of_continuous_values():
    acts = torch.relu(torch.randn(9, 31, generator=torch.Generator().manual_seed(4)))
    _check_top(acts, 1)
    _check_top(acts, 15)


# ---- 3. activation_histogram -------------------------------------------------------------


def _check_hist(acts, bins, low, high):
    before = acts.clone()
    kwargs = {} if low is None else dict(low=low, high=high)
    counts, edges = ex.activation_histogram(acts, bins, **kwargs)
    assert_unchanged(before, acts, name="acts")
    flat = acts.flatten().double().numpy()
    active = flat[flat != 0]
    lo = active.min() if low is None else low
    hi = active.max() if high is None else high
    e_counts, e_edges = numpy_hist(active, bins, lo, hi)
    with_zeros = lambda: numpy_hist(flat, bins, 0.0 if low is None else lo, hi)  # noqa: E731
    assert_close(edges, e_edges, atol=1e-5, name=f"bin edges ({bins} bins)", mistakes={
        "the range starts at 0: the zeros were kept when taking the smallest value; the range is that of the non-zero activations": lambda: numpy_hist(active, bins, 0.0, hi)[1],
        f"there are {bins} + 1 edges from low to high, not {bins}": lambda: torch.linspace(lo, hi, bins),
    })
    assert_close(counts, e_counts, name=f"counts ({bins} bins)", mistakes={
        "the zeros are counted; a sparse latent is 0 almost everywhere, the histogram is of its non-zero activations": lambda: with_zeros()[0],
        "values outside [low, high] are counted in the end bins; numpy.histogram (and torch.histc) leave them out": lambda: numpy_hist(
            np.clip(active, lo, hi), bins, lo, hi)[0],
    })


def test_histogram_of_the_nonzero_values_matches_numpy():
    acts = torch.relu(torch.randn(40, 25, generator=torch.Generator().manual_seed(6)) - 0.8) * 3
    _check_hist(acts, 12, None, None)
    _check_hist(acts, 7, None, None)


def test_histogram_with_a_given_range_drops_what_lies_outside():
    acts = torch.relu(torch.randn(3, 40, 25, generator=torch.Generator().manual_seed(7)) - 0.8) * 3
    _check_hist(acts, 10, 0.0, 1.5)  # low 0: a counted zero would land in the first bin
    _check_hist(acts, 4, 0.5, 2.5)


# ---- 4. logit_effects --------------------------------------------------------------------


def _check_effects(sae, latent, k, exclude):
    effect = numpy_effects(sae, latent)
    before = sae.W_dec.detach().clone()
    got = ex.logit_effects(model, sae, latent, k, **({} if exclude is None else dict(exclude=exclude)))
    assert_unchanged(before, sae.W_dec.detach(), name="sae.W_dec")
    exclude = () if exclude is None else exclude
    top_v, top_t, bot_v, bot_t = (torch.as_tensor(x) for x in got)
    e_top_v, e_top_t = ranked(effect, k, exclude)
    e_bot_v, e_bot_t = ranked(effect, k, exclude, bottom=True)

    def variants(bottom):
        def of(**kw):
            return lambda: ranked(numpy_effects(sae, latent, **kw), k, exclude, bottom=bottom)[1]

        out = {
            "the encoder column W_enc[:, latent] is used; what a latent writes is its decoder row W_dec[latent]": of(direction=sae.W_enc[:, latent]),
            "plain W_dec[latent] @ W_U: the final LayerNorm's centring and weight are left out": of(centre=False, ln_weight=False),
            "the decoder row is not centred (the final LayerNorm subtracts the mean)": of(centre=False),
            "the final LayerNorm's weight is left out": of(ln_weight=False),
        }
        if exclude:
            out["the tokens in `exclude` are still ranked"] = lambda: ranked(effect, k, (), bottom=bottom)[1]
        return out

    bottom_mistakes = {
        "the bottom tokens are the k smallest |effect|, the tokens the latent leaves alone; "
        "bottom means the most negative effects, most negative first": lambda: torch.from_numpy(np.array(
            [t for t in np.argsort(np.abs(effect.double().numpy()), kind="stable") if t not in set(exclude)][:k])),
        "the bottom tokens are in the wrong order: the most negative comes first": e_bot_t.flip(0),
    }
    assert_close(top_t.long(), e_top_t, name=f"top {k} tokens", mistakes=variants(False))
    unit_row = sae.W_dec[latent] / sae.W_dec[latent].norm()
    value_mistakes = {
        "the decoder row is normalised; one unit of activation writes W_dec[latent] as it is": ranked(
            numpy_effects(sae, latent, direction=unit_row), k, exclude)[0],
    }
    assert_close(top_v, e_top_v, atol=1e-5, name=f"top {k} effects", mistakes=value_mistakes)
    assert_close(bot_t.long(), e_bot_t, name=f"bottom {k} tokens", mistakes={**bottom_mistakes, **variants(True)})
    assert_close(bot_v, e_bot_v, atol=1e-5, name=f"bottom {k} effects", mistakes={
        "the bottom effects are in the wrong order: the most negative comes first": e_bot_v.flip(0)})
    return effect


@pytest.mark.parametrize("name, k, exclude", [("resid2", 6, None), ("resid1_topk", 4, (othello.BOS, othello.PAD))],
                         ids=["resid2-k6", "resid1_topk-k4-exclude-specials"])
def test_logit_effects_through_the_final_layernorm(name, k, exclude):
    sae = SAES[name]
    # the latent with the longest decoder row (TopK rows all have norm 1: then the most active latent)
    norms = sae.W_dec.norm(dim=-1)
    latent = int(norms.argmax()) if float(norms.max() - norms.min()) > 1e-3 else int(saelens_cache(sae, SMALL)["hook_sae_acts_post"].sum((0, 1)).argmax())
    _check_effects(sae, latent, k, exclude)


# ---- the dashboard -----------------------------------------------------------------------


def best_played_latent(acts):
    """(square, latent, F1): the `played:X` feature best matched by one latent (act > 0 as the detector)."""
    acts = acts[:, 1:].flatten(0, 1)  # positions after moves 1 ... 31
    _, labels, defined = si.ground_truth(GAMES)
    played, live = labels.flatten(0, 1)[:, : si.N_SQUARES].float(), defined.flatten(0, 1)[:, : si.N_SQUARES].float()
    fires = (acts > 0).float()
    tp = fires.T @ (played * live)
    f1 = 2 * tp / (fires.T @ live + (played * live).sum(0)).clamp(min=1)  # [d_sae, square]
    best, latent = f1.max(0)
    square = int(best.argmax())
    return square, int(latent[square]), float(best[square])


def test_dashboard_of_a_played_square_latent():
    sae = SAES["resid1_topk"]
    cache = saelens_cache(sae, TOKENS)
    square, latent, f1 = best_played_latent(cache["hook_sae_acts_post"])
    assert f1 >= 0.9, f"resid1_topk should have a latent matching a played:X feature with F1 >= 0.9 (best: {f1:.3f})"
    X = si.SQUARE_NAMES[square]

    acts = ex.latent_activations(model, sae, TOKENS, latent)
    assert_close(acts, saelens_acts(cache, TOKENS, latent), atol=1e-4, name=f"activations of latent {latent}", mistakes={
        "these are the pre-activations, before the TopK": lambda: saelens_acts(cache, TOKENS, latent, hook_point="hook_sae_acts_pre")})
    values, game, pos = (torch.as_tensor(x) for x in ex.top_activations(acts, 8))
    e_values, e_game, e_pos, _ = numpy_top(acts, 8)
    assert_close(values, e_values, atol=1e-5, name="top activations")
    assert_close(game.long(), e_game, name="games of the top activations")
    assert_close(pos.long(), e_pos, name="positions of the top activations")
    counts, edges = ex.activation_histogram(acts, 16)
    active = acts[acts != 0].double().numpy()
    e_counts, e_edges = numpy_hist(active, 16, active.min(), active.max())
    assert_close(edges, e_edges, atol=1e-5, name="histogram edges")
    assert_close(counts, e_counts, name="histogram counts")
    effect = _check_effects(sae, latent, 5, (othello.BOS, othello.PAD))

    rows = []
    for v, g_, p in zip(e_values.tolist(), e_game.tolist(), e_pos.tolist()):
        start = max(0, p - 9)
        rows.append({"tokens": [othello.VOCAB[t] for t in TOKENS[g_, start : p + 3].tolist()],
                     "values": acts[g_, start : p + 3].tolist(), "highlight": p - start,
                     "label": f"game {g_}, position {p}: {v:.2f}"})
    show_tokens(rows, title=f"resid1_topk latent {latent} (best match of played:{X}, F1 {f1:.2f}): top contexts, activating move marked")
    centres = ((e_edges[:-1] + e_edges[1:]) / 2).tolist()
    n_active = int(e_counts.sum())
    show_bars([f"{c:.2f}" for c in centres], e_counts.tolist(), x_label="activation", y_label="positions",
              title=f"latent {latent}: its non-zero activations ({n_active} of {acts.numel()} positions, {n_active / int((TOKENS >= 2).sum()):.1%} of the moves)")
    specials = (othello.BOS, othello.PAD)
    shown = torch.cat([ranked(effect, 5, specials)[1], ranked(effect, 5, specials, bottom=True)[1].flip(0)])
    show_bars([othello.VOCAB[t] for t in shown.tolist()], effect[shown].tolist(), x_label="next move", y_label="logit per unit activation",
              title=f"latent {latent}: direct logit effects (top 5 and bottom 5 moves)")

    # what the dashboard says: the latent's top contexts are all the move onto X
    moves = TOKENS[e_game, e_pos]
    assert bool((moves == othello.SQUARE_TO_TOKEN[square]).all()), (
        f"every top context of the played:{X} latent should be the move {X}; got {[othello.VOCAB[t] for t in moves.tolist()]}")
