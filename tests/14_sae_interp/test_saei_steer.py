import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars, show_board
from arena_cli.zoo import load, othello
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
TOKENS = si.model_input(si.games(12, seed=9))


def reference(sae, latent, alpha, pos, *, hook_name=None, every=False, direction=None, tokens=None):
    d = alpha * (sae.W_dec[latent] if direction is None else direction)

    def hook(x, hook):
        x = x.clone()
        if every:
            x += d
        else:
            x[:, pos] += d
        return x

    return model.run_with_hooks(TOKENS if tokens is None else tokens, fwd_hooks=[(hook_name or sae.cfg.metadata.hook_name, hook)])


@pytest.mark.parametrize("name, latent, alpha, pos", [("resid2", 17, 6.0, 9), ("resid3", 101, -3.0, 20)],
                         ids=["resid2-latent17", "resid3-latent101-negative"])
def test_steering_adds_the_decoder_direction_at_one_position(name, latent, alpha, pos):
    sae = load_sae(name)
    layer = int(sae.cfg.metadata.hook_name.split(".")[1])
    before = TOKENS.clone()
    got = ex.steer(model, sae, TOKENS, latent, alpha, pos)
    assert_unchanged(before, TOKENS, name="tokens")
    left = [n for n, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")
    w_dec = sae.W_dec[latent]
    assert_close(got, reference(sae, latent, alpha, pos), atol=1e-4, name=f"steered logits ({name}, latent {latent})", mistakes={
        "the direction is added at every position; steer at position `pos` only": lambda: reference(sae, latent, alpha, pos, every=True),
        f"the edit is made on the stream leaving block {layer} (hook_resid_post); the SAE reads the stream entering it": lambda: reference(
            sae, latent, alpha, pos, hook_name=f"blocks.{layer}.hook_resid_post"),
        "the encoder column W_enc[:, latent] is used; what a latent writes is its decoder row W_dec[latent]": lambda: reference(
            sae, latent, alpha, pos, direction=sae.W_enc[:, latent]),
        "the decoder row is normalised; add alpha * W_dec[latent] as it is": lambda: reference(sae, latent, alpha, pos, direction=w_dec / w_dec.norm()),
        "the edit is at position pos + 1": lambda: reference(sae, latent, alpha, pos + 1),
    })


MOVES = othello.SQUARE_TO_TOKEN[list(othello.PLAYABLE)]  # the 32 move tokens, in vocabulary order
PLAYABLE = list(othello.PLAYABLE)
STEER_SAE = load_sae("resid2_topk")
STEER_GAMES = si.games(60, seed=7)
STEER_POS = 12  # steer after move 12
STEER_SQUARES = 6


def on_squares(per_move):
    out = torch.zeros(len(per_move), othello.N_SQUARES)
    out[:, PLAYABLE] = per_move
    return out


def occupied_latents(sae, g):
    """For every square, the latent that best detects "square X is occupied" (mine or theirs) as
    `act > 0`, its F1, and whether that latent's best feature (of the 180 named + 36 occupied) is it."""
    names, labels, defined = si.ground_truth(g)
    labels, defined = labels.flatten(0, 1), defined.flatten(0, 1)
    mine, theirs = names.index("mine:A1"), names.index("theirs:A1")
    occupied = labels[:, mine:mine + 36] | labels[:, theirs:theirs + 36]
    labels = torch.cat([labels, occupied], 1)
    defined = torch.cat([defined, defined[:, mine:mine + 36]], 1)
    acts = si.sae_acts(model, sae, si.model_input(g))[:, 1:].flatten(0, 1)
    fires, positive = (acts > 0).float(), (labels & defined).float()
    f1 = 2 * (fires.T @ positive) / (fires.T @ defined.float() + positive.sum(0)).clamp(min=1)
    best, latent = f1[:, len(names):].max(0)
    own = f1.argmax(1)[latent] == len(names) + torch.arange(othello.N_SQUARES)
    typical = torch.stack([acts[:, i][acts[:, i] > 0].mean() if (acts[:, i] > 0).any() else torch.tensor(0.0) for i in latent.tolist()])
    return best, latent, own, typical


def reference_change(sae, tokens, latent, alpha, pos, *, full_vocab=False, log=False, at=None):
    at = pos if at is None else at
    clean, steered = model(tokens)[:, at], reference(sae, latent, alpha, pos, tokens=tokens)[:, at]
    if full_vocab:
        return on_squares(steered.softmax(-1)[:, MOVES] - clean.softmax(-1)[:, MOVES])
    if log:
        return on_squares(steered[:, MOVES].log_softmax(-1) - clean[:, MOVES].log_softmax(-1))
    return on_squares(steered[:, MOVES].softmax(-1) - clean[:, MOVES].softmax(-1))


def test_steering_toward_occupied_makes_the_square_unplayable():
    """At a position where X is empty and legal, steer with the latent that means "X is occupied":
    the model's probability of playing X must collapse (an occupied square is never legal)."""
    sae, g, pos = STEER_SAE, STEER_GAMES, STEER_POS
    f1, latent, own, typical = occupied_latents(sae, g)
    playable = torch.zeros(othello.N_SQUARES, dtype=torch.bool)
    playable[PLAYABLE] = True
    candidates = (playable & own).nonzero().flatten()  # squares with a latent of their own
    assert len(candidates) >= STEER_SQUARES, f"only {len(candidates)} squares have an 'occupied' latent of their own"
    squares = candidates[f1[candidates].argsort(descending=True)][:STEER_SQUARES].tolist()
    tokens = si.model_input(g)
    p_clean = model(tokens)[:, pos, MOVES].softmax(-1)  # [game, move]
    drops, ratios, labels = [], [], []
    for k, sq in enumerate(squares):
        rows = g.legal_next[:, pos - 1, sq].nonzero().flatten()[:8]  # X is empty and legal after move `pos`
        tk = tokens[rows]
        lat, alpha = int(latent[sq]), 3.0 * float(typical[sq])  # three times the latent's usual activation
        before = tk.clone()
        got = ex.move_probability_change(model, sae, tk, lat, alpha, pos)
        assert_unchanged(before, tk, name="tokens")
        if k == 0:
            if got.shape[-1] == len(PLAYABLE):
                raise mistake("one value per move token was returned; place each move's change on its square: [batch, 36], 0 on the centre",
                              f"got shape {tuple(got.shape)}")
            expected = reference_change(sae, tk, lat, alpha, pos)
            assert_close(got, expected, atol=1e-5, name=f"change in move probabilities (latent {lat}, alpha {alpha:.2f}, pos {pos})", mistakes={
                "the softmax is over the whole vocabulary, <bos> and <pad> included; take it over the 32 move tokens only":
                    lambda: reference_change(sae, tk, lat, alpha, pos, full_vocab=True),
                "log-probabilities are compared; the change is in probabilities (softmax, not log_softmax)":
                    lambda: reference_change(sae, tk, lat, alpha, pos, log=True),
                "the sign is reversed: the change is steered minus clean": lambda: -expected,
                "the change is read at position pos + 1; the prediction made at `pos` is logits[:, pos]":
                    lambda: reference_change(sae, tk, lat, alpha, pos, at=pos + 1),
                "the change is read at position pos - 1, before the edit (it is 0 there)":
                    lambda: reference_change(sae, tk, lat, alpha, pos, at=pos - 1),
                "logits are compared; the change is in probabilities (softmax over the moves)": lambda: on_squares(
                    reference(sae, lat, alpha, pos, tokens=tk)[:, pos, MOVES] - model(tk)[:, pos, MOVES]),
                "the moves are placed on squares 0 … 31 in token order; square s is column othello.PLAYABLE.index(s)": lambda: torch.cat(
                    [expected[:, PLAYABLE], torch.zeros(len(tk), 4)], 1),
                "the steered probabilities are returned; subtract the clean ones": lambda: on_squares(
                    reference(sae, lat, alpha, pos, tokens=tk)[:, pos, MOVES].softmax(-1)),
            })
            name = othello.square_name(sq)
            marks = [[("*" if r * 6 + c == sq else "") + othello.square_name(r * 6 + c) for c in range(6)] for r in range(6)]
            mean = got.mean(0)
            top = float(mean.abs().max())
            show_board(mean.view(6, 6), marks, vmin=-top, vmax=top, scale="diverging",
                       title=f"resid2_topk latent {lat} ('{name} is occupied', F1 {float(f1[sq]):.2f}) added at move {pos}, "
                             f"alpha {alpha:.1f}: change in each square's move probability (mean of {len(tk)} games)")
        p_x = p_clean[rows, PLAYABLE.index(sq)]
        others = [s for s in PLAYABLE if s != sq]
        drops.append(float(-got[:, sq].sum() / p_x.sum()))
        ratios.append(float(-got[:, sq].mean() / got[:, others].abs().mean()))
        labels.append(f"{othello.square_name(sq)} L{lat}")
    show_bars(labels, drops, title=f"resid2_topk: share of the probability of playing X lost when steering with latent L ('X is occupied') at move {pos}",
              y_label="relative drop")
    # measured on these games (seed 7, move 12, 8 games per square): drops 0.93-0.98 (mean 0.95), ratios 8.9-12.9;
    # over 7 seeds/moves and every square with a latent of its own: drops mean 0.91-0.97, ratios mostly 5-17
    report = ", ".join(f"{l}: drop {d:.2f}, {r:.1f}x" for l, d, r in zip(labels, drops, ratios))
    assert min(drops) >= 0.85 and sum(drops) / len(drops) >= 0.9, (
        f"steering 'X is occupied' should take at least 85% (90% on average) of the probability of X away: {report}")
    assert min(ratios) >= 6.0, f"the drop at X should be at least 6x the mean change of the other squares' probabilities: {report}"
