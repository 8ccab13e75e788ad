import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, which_mistake

ex = load_exercise(__file__)

N_DRAWS = 20_000


def sampling_mistakes(logits, seed):
    """The draws that the usual wrong samplers make with a generator of seed `seed`."""
    def draw(probs, generator=True):
        g = torch.Generator().manual_seed(seed) if generator else None
        return torch.multinomial(probs, num_samples=1, generator=g)[:, 0]

    return {
        "the softmax is over the batch axis; each row is its own distribution (dim=-1)":
            lambda: draw(logits.softmax(dim=0)),
        "the logits themselves were used as weights; draw from softmax(logits)":
            lambda: draw(logits.clamp(min=0) + 1e-12),
    }


def frequencies_or_mistake(assert_frequencies, samples, probs, what, mistakes, all_samples=None):
    """`assert_frequencies`, but a failure whose draws (`all_samples`, the whole batch) are exactly
    those of a known mistake with the same generator seed names that mistake."""
    try:
        assert_frequencies(samples, probs, what)
    except AssertionError as failure:
        sentence = which_mistake(samples if all_samples is None else all_samples, mistakes)
        if sentence is None:
            raise
        raise mistake(sentence, str(failure)) from None


def test_worked_example():
    logits = torch.tensor([[1.0, 3.0, 2.0]])
    assert_close(ex.greedy(logits), torch.tensor([1]), name="greedy([[1, 3, 2]])")
    assert_close(ex.apply_temperature(logits, 0.5), torch.tensor([[2.0, 6.0, 4.0]]), name="temperature 0.5",
                 mistakes={"the logits are multiplied by the temperature; divide them by it": torch.tensor([[0.5, 1.5, 1.0]])})


@pytest.mark.parametrize("shape", [(1, 5), (7, 30), (3, 1000)], ids=["one_row", "seven_rows", "wide_vocab"])
def test_greedy_is_the_argmax_of_each_row(shape):
    torch.manual_seed(shape[1])
    logits = torch.randn(shape)
    before = logits.clone()
    got = ex.greedy(logits)
    assert_unchanged(before, logits, name="logits")
    assert_close(got, torch.argmax(logits, dim=-1), name=f"greedy of logits of shape {shape}", mistakes={
        "the argmax is over the batch axis; take it over the vocabulary (dim=-1), one token per row":
            lambda: logits.argmax(dim=0),
        "the argmax is over the whole tensor; take it per row (dim=-1)": lambda: logits.argmax(),
    })


@pytest.mark.parametrize("temperature", [0.1, 1.0, 3.0])
def test_apply_temperature_divides(temperature):
    torch.manual_seed(0)
    logits = torch.randn(4, 9)
    before = logits.clone()
    got = ex.apply_temperature(logits, temperature)
    assert_unchanged(before, logits, name="logits")
    assert_close(got, before / temperature, name=f"logits at temperature {temperature}", mistakes={
        "the logits are multiplied by the temperature; divide them by it": lambda: before * temperature,
    })


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
    frequencies_or_mistake(assert_frequencies, samples, (logits / temperature).softmax(-1),
                           f"{N_DRAWS} samples at temperature {temperature}",
                           sampling_mistakes(logits.expand(N_DRAWS, 5) / temperature, seed=1))


def test_rows_are_sampled_from_their_own_logits(assert_frequencies):
    # half the rows prefer token 0, half token 3: a softmax over the wrong axis mixes them up
    logits = torch.tensor([[2.0, 0.0, 0.0, -1.0], [-1.0, 0.0, 0.5, 2.5]]).repeat(N_DRAWS // 2, 1)
    before = logits.clone()
    samples = ex.sample_from_logits(logits, torch.Generator().manual_seed(2))
    assert_unchanged(before, logits, name="logits")
    mistakes = sampling_mistakes(logits, seed=2)
    frequencies_or_mistake(assert_frequencies, samples[0::2], logits[0].softmax(-1), "samples of the rows [2, 0, 0, -1]",
                           mistakes, samples)
    frequencies_or_mistake(assert_frequencies, samples[1::2], logits[1].softmax(-1), "samples of the rows [-1, 0, 0.5, 2.5]",
                           mistakes, samples)


def test_minus_infinity_is_never_drawn():
    logits = torch.tensor([0.0, float("-inf"), 1.0, float("-inf"), -3.0]).expand(N_DRAWS, 5)
    samples = ex.sample_from_logits(logits, torch.Generator().manual_seed(3))
    drawn = set(samples.tolist())
    assert drawn <= {0, 2, 4}, f"tokens with logit -inf were drawn: {sorted(drawn - {0, 2, 4})}"


def test_the_generator_makes_samples_reproducible():
    logits = torch.zeros(1000, 10)
    first = ex.sample_from_logits(logits, torch.Generator().manual_seed(4))
    torch.manual_seed(123)  # the global generator must not matter
    state = torch.get_rng_state()
    second = ex.sample_from_logits(logits, torch.Generator().manual_seed(4))
    if not torch.equal(state, torch.get_rng_state()):
        raise mistake("the draw used torch's global random generator: pass generator= to torch.multinomial")
    assert_close(second, first, name="samples from two generators with the same seed (pass generator= to multinomial)")
