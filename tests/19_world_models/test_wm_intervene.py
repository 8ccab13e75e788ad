import pytest
import torch

from arena_cli.course import world_models as wm
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars
from arena_cli.zoo import load
from arena_cli.zoo import othello

ex = load_exercise(__file__)
model = load("othello")
GAMES = wm.games(40, seed=51)
TOKENS = wm.model_input(GAMES)
D = model.cfg.d_model
DIRECTION = torch.randn(D, generator=torch.Generator().manual_seed(2)) * 3.0  # not unit length


def hooked(layer, pos, direction, alpha, *, hook_name=None, every=False):
    unit = direction / direction.norm()

    def hook(resid, hook):
        resid = resid.clone()
        if every:
            resid += alpha * unit
        else:
            resid[:, pos] += alpha * unit
        return resid

    return model.run_with_hooks(TOKENS, fwd_hooks=[(hook_name or f"blocks.{layer}.hook_resid_pre", hook)])


@pytest.mark.parametrize("layer, pos, alpha", [(1, 7, 5.0), (3, 20, -2.0)], ids=["L1-pos7", "L3-pos20-negative"])
def test_adds_the_unit_direction_at_one_position(layer, pos, alpha):
    before, tokens_before = DIRECTION.clone(), TOKENS.clone()
    got = ex.add_at_position(model, TOKENS, layer, pos, DIRECTION, alpha)
    assert_unchanged(before, DIRECTION, name="direction")
    assert_unchanged(tokens_before, TOKENS, name="tokens")
    expected = hooked(layer, pos, DIRECTION, alpha)
    assert_close(got, expected, atol=1e-4, name=f"logits with the edit at layer {layer}, position {pos}", mistakes={
        "the direction is added at every position; the edit is for position `pos` only": lambda: hooked(layer, pos, DIRECTION, alpha, every=True),
        "the direction is not normalised: add alpha times the unit vector": lambda: hooked(layer, pos, DIRECTION, alpha * float(DIRECTION.norm())),
        "the sign is flipped: add +alpha * direction": lambda: hooked(layer, pos, DIRECTION, -alpha),
        "alpha is applied twice": lambda: hooked(layer, pos, DIRECTION, alpha * 2),
        f"the edit is made on the stream leaving block {layer} (hook_resid_post); it goes into the stream entering it": lambda: hooked(
            layer, pos, DIRECTION, alpha, hook_name=f"blocks.{layer}.hook_resid_post"),
    })
    left = [name for name, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")


def test_mass_on_squares():
    logits = torch.randn(5, othello.CONFIG["d_vocab"], generator=torch.Generator().manual_seed(3))
    squares = torch.rand(5, othello.N_SQUARES, generator=torch.Generator().manual_seed(4)) < 0.3
    probs = logits.softmax(-1)
    expected = torch.stack([
        sum((probs[g, t] for t in range(len(othello.SPECIALS), len(othello.VOCAB)) if squares[g, othello.TOKEN_TO_SQUARE[t]]), torch.tensor(0.0))
        for g in range(5)
    ])
    moves_only = logits[:, len(othello.SPECIALS):].softmax(-1)
    got = ex.mass_on(logits, squares)
    assert_close(got, expected, atol=1e-6, name="probability on the masked squares", mistakes={
        "the softmax is over move tokens only; the docstring asks for the whole vocabulary": (moves_only * squares[:, othello.TOKEN_TO_SQUARE[2:]]).sum(-1),
        "the mask is indexed by token id, not by square (token i is the move to TOKEN_TO_SQUARE[i])": (probs[:, 2:] * squares[:, 2:len(othello.VOCAB)]).sum(-1),
    })


def test_flipping_a_square_changes_the_moves_as_the_rules_say():
    layer, t = 2, 10
    g = wm.games(120, seed=11)
    acts = wm.residuals_after_moves(model, wm.model_input(g), layer)
    states = wm.relative_states(g.boards, g.next_player)[:, : acts.shape[1]]
    keep = wm.defined(states)
    weights = wm.fit_linear_probe(acts[keep], states[keep], 1e-2)
    rel = wm.relative_states(GAMES.boards, GAMES.next_player)
    rows = {"no edit": [[], []], "probe direction": [[], []], "random direction": [[], []]}
    random_dir = torch.randn(D, generator=torch.Generator().manual_seed(5))
    for game in range(len(TOKENS)):
        if len(rows["no edit"][0]) >= 16:  # enough flips for a clear mean; each costs three forward passes
            break
        player = GAMES.next_player[game, t]
        if player == 0:
            continue
        board = GAMES.boards[game, t]
        for square in (rel[game, t] == 2).nonzero().flatten()[:3].tolist():
            flipped = board.clone()
            flipped[square] = player
            was = othello.legal_moves(board[None], player[None])[0]
            now = othello.legal_moves(flipped[None], player[None])[0]
            new, gone = now & ~was, was & ~now
            if not (new.any() and gone.any()):
                continue
            direction = weights[:-1, square, 1] - weights[:-1, square, 2]
            for label, d, alpha in (("no edit", direction, 0.0), ("probe direction", direction, 16.0), ("random direction", random_dir, 16.0)):
                logits = ex.add_at_position(model, TOKENS[game:game + 1], layer, t + 1, d, alpha)[:, t + 1]
                rows[label][0].append(float(ex.mass_on(logits, new[None])))
                rows[label][1].append(float(ex.mass_on(logits, gone[None])))
    mean = {k: (sum(v[0]) / len(v[0]), sum(v[1]) / len(v[1])) for k, v in rows.items()}
    n = len(rows["no edit"][0])
    show_bars([f"{k}: {w}" for k in mean for w in ("newly legal", "no longer legal")], [x for v in mean.values() for x in v],
              title=f"probability on moves the flip makes legal / illegal ({n} flips, layer 2, alpha 16)", y_label="probability")
    assert n >= 10, f"only {n} flips were tried"
    assert mean["probe direction"][0] > 2 * mean["no edit"][0], f"the edit should raise the newly legal moves' probability: {mean}"
    assert mean["probe direction"][1] < 0.5 * mean["no edit"][1], f"the edit should lower the no-longer-legal moves' probability: {mean}"
    assert mean["random direction"][0] < mean["probe direction"][0] / 2, f"a random direction should do much less: {mean}"
