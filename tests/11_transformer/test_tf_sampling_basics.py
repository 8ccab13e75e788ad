import pytest
import torch

from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

N_DRAWS = 20_000


def test_worked_example():
    logits = torch.tensor([[1.0, 3.0, 2.0]])
    assert_close(ex.greedy(logits), torch.tensor([1]), name="greedy([[1, 3, 2]])")
    assert_close(ex.apply_temperature(logits, 0.5), torch.tensor([[2.0, 6.0, 4.0]]), name="temperature 0.5")


@pytest.mark.parametrize("shape", [(1, 5), (7, 30), (3, 1000)], ids=["one_row", "seven_rows", "wide_vocab"])
def test_greedy_is_the_argmax_of_each_row(shape):
    torch.manual_seed(shape[1])
    logits = torch.randn(shape)
    assert_close(ex.greedy(logits), torch.argmax(logits, dim=-1), name=f"greedy of logits of shape {shape}")


@pytest.mark.parametrize("temperature", [0.1, 1.0, 3.0])
def test_apply_temperature_divides(temperature):
    torch.manual_seed(0)
    logits = torch.randn(4, 9)
    assert_close(ex.apply_temperature(logits, temperature), logits / temperature, name=f"logits at temperature {temperature}")


def test_temperature_towards_zero_gives_greedy():
    # the two largest logits of every row differ by at least 0.05, so at temperature 1e-3 any other
    # token has probability below 30 * exp(-50): a correct sampler always picks the argmax
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(500, 30, generator=generator)
    top2 = logits.topk(2, dim=-1).values
    logits = logits[(top2[:, 0] - top2[:, 1]) > 0.05]
    samples = ex.sample_from_logits(ex.apply_temperature(logits, 1e-3), generator)
    assert_close(samples, logits.argmax(dim=-1), name="samples at temperature 0.001 vs the argmax")


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0])
def test_sample_frequencies_follow_softmax(temperature, assert_frequencies):
    logits = torch.tensor([1.0, 3.0, 2.0, 0.0, -1.0])
    generator = torch.Generator().manual_seed(1)
    samples = ex.sample_from_logits(ex.apply_temperature(logits.expand(N_DRAWS, 5), temperature), generator)
    assert samples.shape == (N_DRAWS,), f"expected one token per row, shape ({N_DRAWS},), got {tuple(samples.shape)}"
    assert_frequencies(samples, (logits / temperature).softmax(-1), f"{N_DRAWS} samples at temperature {temperature}")


def test_rows_are_sampled_from_their_own_logits(assert_frequencies):
    # half the rows prefer token 0, half token 3: a softmax over the wrong axis mixes them up
    logits = torch.tensor([[2.0, 0.0, 0.0, -1.0], [-1.0, 0.0, 0.5, 2.5]]).repeat(N_DRAWS // 2, 1)
    samples = ex.sample_from_logits(logits, torch.Generator().manual_seed(2))
    assert_frequencies(samples[0::2], logits[0].softmax(-1), "samples of the rows [2, 0, 0, -1]")
    assert_frequencies(samples[1::2], logits[1].softmax(-1), "samples of the rows [-1, 0, 0.5, 2.5]")


def test_minus_infinity_is_never_drawn():
    logits = torch.tensor([0.0, float("-inf"), 1.0, float("-inf"), -3.0]).expand(N_DRAWS, 5)
    samples = ex.sample_from_logits(logits, torch.Generator().manual_seed(3))
    drawn = set(samples.tolist())
    assert drawn <= {0, 2, 4}, f"tokens with logit -inf were drawn: {sorted(drawn - {0, 2, 4})}"


def test_the_generator_makes_samples_reproducible():
    logits = torch.zeros(1000, 10)
    first = ex.sample_from_logits(logits, torch.Generator().manual_seed(4))
    torch.manual_seed(123)  # the global generator must not matter
    second = ex.sample_from_logits(logits, torch.Generator().manual_seed(4))
    assert_close(second, first, name="samples from two generators with the same seed (pass generator= to multinomial)")
