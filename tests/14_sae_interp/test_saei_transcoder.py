import pytest
import torch
import torch.nn.functional as F

from sae_lens.saes.transcoder import Transcoder, TranscoderConfig

from arena_cli.course import sae_interp as si
from arena_cli.course.superposition import random_sae_params
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars
from arena_cli.zoo import load
from arena_cli.zoo.othello_transcoders import load_transcoder

ex = load_exercise(__file__)
model = load("othello")
NAMES = ["mlp0", "mlp1", "mlp2", "mlp3"]
TCS = {name: load_transcoder(name) for name in NAMES}
# random weights with every bias non-zero, so that every term shows
RANDOM = Transcoder(TranscoderConfig(d_in=96, d_sae=40, d_out=96, device="cpu", apply_b_dec_to_input=False))
RANDOM.load_state_dict(random_sae_params("standard", 96, 40, torch.Generator().manual_seed(0)))
X = torch.randn(3, 5, 96, generator=torch.Generator().manual_seed(1)) * 3

# 8 games, three of them over before move 31 (<pad> at their end): 0 and 3 of seed 8, 31 of seed 1
_G8, _G1 = si.games(48, seed=8), si.games(48, seed=1)
TOKENS = torch.cat([si.model_input(_G8)[:7], si.model_input(_G1)[31:32]])
LENGTH = torch.cat([_G8.length[:7], _G1.length[31:32]])
assert int(LENGTH.min()) < 30
POS = torch.arange(TOKENS.shape[1])
# the oracle's masks, from the games' lengths: position p reads move p (1 <= p <= length) and
# predicts move p + 1 (p + 1 <= length; the input stops at move 31)
READS_MOVE = (POS >= 1) & (POS[None] <= LENGTH[:, None])
SCORED = ((POS >= 1) & (POS[None] + 1 <= LENGTH[:, None]))[:, :-1]
TARGETS = TOKENS[:, 1:]


def _forbid(monkeypatch, tc):
    def refuse(*args, **kwargs):
        raise mistake("the rules: compute it from the weights; tc.encode / tc.decode / tc(...) are the oracle", "called an SAELens method")

    for method in ("encode", "decode", "forward"):
        monkeypatch.setattr(tc, method, refuse)


@pytest.mark.parametrize("which", ["mlp1", "random"])
def test_transcode_matches_saelens(which, monkeypatch):
    tc = RANDOM if which == "random" else TCS[which]
    assert not tc.cfg.apply_b_dec_to_input
    before = X.clone()
    acts, out = tc.encode(X), tc.decode(tc.encode(X))
    assert_close(tc(X), out)
    _forbid(monkeypatch, tc)
    got_acts, got_out = ex.transcode(tc, X)
    assert_unchanged(before, X, name="mlp_in")
    pre = X @ tc.W_enc + tc.b_enc
    assert_close(got_acts, acts, atol=1e-4, name="latent activations", mistakes={
        "b_dec is subtracted from the input as an SAE would; a transcoder's b_dec is in the output space (x @ W_enc + b_enc)": lambda: torch.relu((X - tc.b_dec) @ tc.W_enc + tc.b_enc),
        "these are the activations before the ReLU; the latents are ReLU(x @ W_enc + b_enc)": pre,
        "the decoder is used as the encoder (x @ W_dec.T)": lambda: torch.relu(X @ tc.W_dec.T + tc.b_enc),
        "b_enc is left out": lambda: torch.relu(X @ tc.W_enc),
    })
    assert_close(got_out, out, atol=1e-4, name="transcoder output", mistakes={
        "b_dec is left out of the output (f @ W_dec + b_dec)": acts @ tc.W_dec,
        "the output is decoded from the pre-activations; decode the latents after the ReLU": pre @ tc.W_dec + tc.b_dec,
    })


def _run(tc, *, read=None, write=None, recon=None, extra=None, where=None):
    """The oracle's replacement: read the transcoder's input at `read`, write its output at `write`."""
    read = read or tc.cfg.metadata.hook_name
    write = write or tc.cfg.metadata.hook_name_out
    recon = recon or (lambda x: tc(x))
    seen = {}

    def keep(x, hook):
        seen["x"] = x

    def replace(y, hook):
        new = recon(seen["x"] if read != write else y)
        if extra is not None:
            new = extra(new, y)
        if where is not None:
            new = torch.where(where[..., None], new, y)
        return new

    hooks = [(write, replace)] if read == write else [(read, keep), (write, replace)]
    return model.run_with_hooks(TOKENS, fwd_hooks=hooks)


def _no_hooks_left():
    left = [n for n, hp in model.hook_dict.items() if hp.fwd_hooks]
    if left:
        raise mistake("hooks are left on the model after the call; use run_with_hooks", f"still hooked: {left}")


def test_replace_mlp_without_the_error_term():
    tc = TCS["mlp2"]
    layer = 2
    before = TOKENS.clone()
    got = ex.replace_mlp(model, tc, TOKENS)
    assert_unchanged(before, TOKENS, name="tokens")
    _no_hooks_left()
    expected = _run(tc)
    hook_in = tc.cfg.metadata.hook_name
    assert_close(got, expected, atol=1e-3, name="logits with the MLP replaced", mistakes={
        "the error term is kept although keep_error is False: the replacement looks perfect because it is the MLP's own output": lambda: model(TOKENS),
        f"the transcoder reads blocks.{layer}.hook_resid_mid, the residual stream before the LayerNorm; it reads the MLP's input, tc.cfg.metadata.hook_name": lambda: _run(tc, read=f"blocks.{layer}.hook_resid_mid"),
        f"the transcoder reads blocks.{layer}.ln2.hook_normalized, before the LayerNorm's weight and bias; it reads the MLP's input, tc.cfg.metadata.hook_name": lambda: _run(tc, read=f"blocks.{layer}.ln2.hook_normalized"),
        "the MLP's output is fed to the encoder (an SAE of the output); a transcoder reads the MLP's input, tc.cfg.metadata.hook_name": lambda: _run(tc, read=tc.cfg.metadata.hook_name_out),
        "the transcoder's output replaces the MLP's *input* (tc.cfg.metadata.hook_name); it replaces the MLP's output, tc.cfg.metadata.hook_name_out": lambda: _run(tc, read=hook_in, write=hook_in),
        "b_dec is subtracted from the MLP's input before encoding, as an SAE would": lambda: _run(tc, recon=lambda x: tc.decode(torch.relu((x - tc.b_dec) @ tc.W_enc + tc.b_enc))),
        "the MLP is replaced only at the positions that read a move; replace it at every position (<bos> and <pad> too)": lambda: _run(tc, where=READS_MOVE),
        "this is the MLP zero-ablated, not replaced by the transcoder": lambda: _run(tc, recon=torch.zeros_like),
    })


def test_replace_mlp_with_the_error_term_is_the_model():
    tc = TCS["mlp1"]
    got = ex.replace_mlp(model, tc, TOKENS, keep_error=True)
    _no_hooks_left()
    expected = model(TOKENS)
    assert_close(got, expected, atol=1e-4, name="logits with the MLP replaced and the error term kept", mistakes={
        "keep_error=True is ignored: the error term y − ŷ (the MLP's output minus the transcoder's) is added back to ŷ": lambda: _run(tc),
        "the error term has the wrong sign: it is y − ŷ, the MLP's output minus the transcoder's": lambda: _run(tc, extra=lambda new, y: 2 * new - y),
    })


def _ce(logits, mask):
    per = F.cross_entropy(logits[:, :-1].flatten(0, 1), TARGETS.flatten(), reduction="none").view(TARGETS.shape)
    return float(per[mask].mean())


def _zero_out(y, hook):
    return torch.zeros_like(y)


def test_transcoder_scores_every_mlp():
    hooks = {n for tc in TCS.values() for n in (tc.cfg.metadata.hook_name, tc.cfg.metadata.hook_name_out)}
    clean_logits, cache = model.run_with_cache(TOKENS, names_filter=lambda n: n in hooks)
    before = TOKENS.clone()
    every = torch.ones_like(SCORED)
    with_bos = SCORED.clone()
    with_bos[:, 0] = True
    after_bos = every.clone()
    after_bos[:, 0] = False
    last_move = READS_MOVE[:, :-1]
    not_pad = last_move.clone()
    not_pad[:, 0] = True
    wrong_masks = {
        "the loss is averaged over every position; count only positions that read a move and whose next token is a move": every,
        "the loss counts the prediction made at <bos>; count only positions that read a move": with_bos,
        "the loss counts a game's last move, whose next token is <pad>; count only positions whose next token is a move": last_move,
        "the loss counts the prediction at <bos> and at a game's last move (next token <pad>); count positions that read a move and whose next token is a move": not_pad,
        "the loss counts the <pad> positions after a game's end; count only positions whose next token is a move": after_bos,
    }
    scores = {}
    for name, tc in TCS.items():
        hin, hout = tc.cfg.metadata.hook_name, tc.cfg.metadata.hook_name_out
        got = ex.transcoder_scores(model, tc, TOKENS)
        assert_unchanged(before, TOKENS, name="tokens")
        _no_hooks_left()
        x, y = cache[hin], cache[hout]
        acts, y_hat = tc.encode(x), tc(x)

        def fve(mask, about_mean=True):
            rss = (y - y_hat)[mask].pow(2).sum()
            return 1 - rss / (y[mask] - (y[mask].mean(0) if about_mean else 0)).pow(2).sum()

        all_pos = torch.ones_like(READS_MOVE)
        assert_close(torch.tensor(got["fve"]), fve(READS_MOVE), atol=1e-4, name=f"{name}: fraction of variance explained", mistakes={
            "the fraction of variance is taken over every position; count only positions that read a move (not <bos>, not <pad>)": lambda: fve(all_pos),
            "the total sum of squares is taken about 0, not about the mean MLP output": lambda: fve(READS_MOVE, about_mean=False),
            "this is the fraction unexplained; explained is 1 minus it": lambda: 1 - fve(READS_MOVE),
            "the encoder read the residual stream before the LayerNorm (blocks.L.hook_resid_mid); a transcoder reads the MLP's input": lambda: _fve_from(tc, f"blocks.{hin.split('.')[1]}.hook_resid_mid", y),
            "the MLP's output is fed to the encoder; a transcoder reads the MLP's input": lambda: _fve_from(tc, hout, y),
        })
        l0 = (acts[READS_MOVE] > 0).float().sum(-1).mean()
        assert_close(torch.tensor(got["l0"]), l0, atol=1e-3, name=f"{name}: L0", mistakes={
            "L0 is averaged over every position; count only positions that read a move": (acts > 0).float().sum(-1).mean(),
            "L0 is the mean count of active latents per position, not the fraction active": (acts[READS_MOVE] > 0).float().mean(),
        })
        runs = {
            "clean": lambda: clean_logits,
            "spliced": lambda: _run(tc),
            "zero": lambda: model.run_with_hooks(TOKENS, fwd_hooks=[(hout, _zero_out)]),
        }
        logits = {key: run() for key, run in runs.items()}
        expected = {key: _ce(lg, SCORED) for key, lg in logits.items()}
        for key in ("clean", "spliced", "zero"):
            extra = {}
            if key == "zero":
                extra["the MLP's input is zero-ablated; zero-ablate its output (tc.cfg.metadata.hook_name_out)"] = lambda: torch.tensor(
                    _ce(model.run_with_hooks(TOKENS, fwd_hooks=[(hin, _zero_out)]), SCORED))
            if key == "spliced":
                extra["the spliced run kept the error term: then it is the clean run"] = torch.tensor(expected["clean"])
            assert_close(torch.tensor(got[key]), torch.tensor(expected[key]), atol=1e-4, name=f"{name}: {key} loss", mistakes={
                **{sentence: torch.tensor(_ce(logits[key], mask)) for sentence, mask in wrong_masks.items()},
                "the clean and zero-ablated losses are swapped": torch.tensor(expected[{"clean": "zero", "zero": "clean"}.get(key, key)]),
                **extra,
            })
        c, s, z = expected["clean"], expected["spliced"], expected["zero"]
        assert_close(torch.tensor(got["recovered"]), torch.tensor((z - s) / (z - c)), atol=1e-4, name=f"{name}: loss recovered", mistakes={
            "clean and zero-ablation losses are swapped in the ratio: recovered = (zero − spliced) / (zero − clean)": torch.tensor((c - s) / (c - z)),
            "the ratio is the loss lost, (spliced − clean) / (zero − clean); recovered is 1 minus that": torch.tensor((s - c) / (z - c)),
        })
        scores[name] = got
    show_bars([f"{n}  (FVE {scores[n]['fve']:.2f}, L0 {scores[n]['l0']:.0f})" for n in NAMES], [scores[n]["recovered"] for n in NAMES],
              title="transcoders spliced in for each MLP: next-move loss recovered", y_label="loss recovered")


def _fve_from(tc, hook, y):
    _, cache = model.run_with_cache(TOKENS, names_filter=lambda n: n == hook)
    y_hat = tc(cache[hook])
    return 1 - (y - y_hat)[READS_MOVE].pow(2).sum() / (y[READS_MOVE] - y[READS_MOVE].mean(0)).pow(2).sum()
