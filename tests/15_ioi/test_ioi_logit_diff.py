import torch

from arena_cli.course import ioi
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(12, seed=1)
LOGITS = ioi.run(model, B.tokens)
ROWS = torch.arange(12)


def _diff(logits, io, s, end):
    return logits[ROWS[: len(io)], end, io] - logits[ROWS[: len(io)], end, s]


def test_worked_example():
    logits = torch.tensor([[[1.0, 5.0, 4.0], [9.0, 0.0, 0.0]]])
    got = ex.logit_diff(logits, torch.tensor([2]), torch.tensor([0]), torch.tensor([0]), per_prompt=True)
    assert_close(got, torch.tensor([3.0]), name="logit diff of the worked example")
    assert_close(ex.normalised_metric(torch.tensor(3.0), 5.0, 1.0), 0.5, name="normalised metric of the worked example")


def test_per_prompt_on_the_zoo_model():
    before = LOGITS.clone()
    got = ex.logit_diff(LOGITS, B.io, B.s, B.end, per_prompt=True)
    assert_unchanged(before, LOGITS, name="logits")
    want = _diff(LOGITS, B.io, B.s, B.end)
    assert_close(got, want, atol=1e-5, name="per-prompt logit diff IO - S", mistakes={
        "IO and S are swapped: the logit difference is logit[IO] - logit[S]": -want,
        "the per-prompt values were averaged although per_prompt=True": want.mean(),
    })
    assert (got > 0).all(), "the model prefers IO on every clean prompt"


def test_mean_and_the_end_position_is_read_from_end():
    # the prompts padded by 3 positions: the last position is no longer the end
    padded = torch.cat([LOGITS, torch.randn(12, 3, LOGITS.shape[-1], generator=torch.Generator().manual_seed(0))], dim=1)
    got = ex.logit_diff(padded, B.io, B.s, B.end)
    want = _diff(LOGITS, B.io, B.s, B.end).mean()
    last = torch.full_like(B.end, padded.shape[1] - 1)
    assert_close(got, want, atol=1e-5, name="mean logit diff (per_prompt=False)", mistakes={
        "the logits were read at the last position instead of at `end`": lambda: _diff(padded, B.io, B.s, last).mean(),
        "IO and S are swapped: the logit difference is logit[IO] - logit[S]": -want,
        "per_prompt=False must return the mean over prompts, a 0-dim tensor": lambda: _diff(LOGITS, B.io, B.s, B.end),
    })


def test_normalised_metric_is_0_at_corrupted_and_1_at_clean():
    clean = float(_diff(LOGITS, B.io, B.s, B.end).mean())
    corrupted = float(ioi.logit_diff(model(B.corrupted), B).mean())
    values = torch.tensor([corrupted, clean, 2.0, -1.0, 7.5])
    got = ex.normalised_metric(values, clean, corrupted)
    want = (values - corrupted) / (clean - corrupted)
    assert_close(got, want, atol=1e-5, name="normalised metric at [corrupted, clean, 2, -1, 7.5]", mistakes={
        "clean and corrupted are swapped: the metric must be 0 at the corrupted run and 1 at the clean one":
            (values - clean) / (corrupted - clean),
        "the metric is not normalised: subtract the corrupted logit diff and divide by clean - corrupted": values,
        "only subtracted the corrupted logit diff: also divide by (clean - corrupted)": values - corrupted,
        "divided by the clean logit diff alone instead of by (clean - corrupted)": values / clean,
    })
