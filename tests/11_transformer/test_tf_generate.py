import functools

import pytest
import torch

from arena_cli.course.transformer import Config, Transformer, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=30, n_ctx=12, d_head=8, n_heads=4, d_mlp=64, n_layers=2)
N_DRAWS = 20_000


@functools.cache
def models():
    bridge = tl_model(CFG, seed=15)
    return bridge, load_tl_weights(Transformer(CFG), bridge)


def test_greedy_generation_matches_transformer_lens():
    bridge, model = models()
    prompt = torch.tensor([[1, 2, 3], [7, 7, 0]])
    with torch.no_grad():
        expected = bridge.generate(prompt, max_new_tokens=8, do_sample=False, stop_at_eos=False, verbose=False)
    got = ex.generate(model, prompt, 8, temperature=0.0)
    assert_close(got, expected, name="prompt + 8 greedy tokens vs TransformerLens's generate(do_sample=False)")


def test_generation_past_n_ctx_feeds_the_last_n_ctx_tokens():
    bridge, model = models()
    prompt = torch.tensor([[4, 5, 6, 7, 8, 9, 10, 11, 12, 13]])
    expected = prompt
    with torch.no_grad():
        for _ in range(6):  # 10 + 6 > n_ctx = 12: the oracle sees the last 12 tokens
            expected = torch.cat([expected, bridge(expected[:, -CFG.n_ctx :])[:, -1].argmax(-1, keepdim=True)], dim=1)
    got = ex.generate(model, prompt, 6, temperature=0.0)
    assert_close(got, expected, name=f"greedy generation from 10 to 16 tokens with n_ctx = {CFG.n_ctx}")


def test_temperature_sampling_of_the_first_new_token(assert_frequencies):
    bridge, model = models()
    prompt = torch.tensor([[3, 1, 4, 1]])
    with torch.no_grad():
        probs = (bridge(prompt)[0, -1] / 0.8).softmax(-1)
    got = ex.generate(model, prompt.expand(N_DRAWS, 4), 1, temperature=0.8, generator=torch.Generator().manual_seed(0))
    assert got.shape == (N_DRAWS, 5), f"expected [batch, pos + 1] = ({N_DRAWS}, 5), got {tuple(got.shape)}"
    assert_close(got[:, :4], prompt.expand(N_DRAWS, 4), name="the prompt at the start of the output")
    assert_frequencies(got[:, 4], probs, "first generated token at temperature 0.8")


def test_frequency_penalty_counts_the_prompt_and_the_generated_tokens():
    # a penalty of 100 outweighs any logit difference of this model: greedy never repeats a token
    _, model = models()
    prompt = torch.tensor([[0, 1, 2]])
    got = ex.generate(model, prompt, 9, temperature=0.0, frequency_penalty=100.0)[0].tolist()
    assert len(set(got)) == len(got), f"with frequency_penalty=100 a token was repeated: {got}"


@pytest.mark.parametrize("filter_name", ["top_k", "top_p"])
def test_sample_next_token_order_penalty_temperature_filter(filter_name, assert_frequencies):
    logits = torch.tensor([2.0, 1.5, 1.0, 0.5, 0.0, -0.5])
    tokens = torch.tensor([0, 0, 2])  # token 0 twice, token 2 once
    penalised = (logits - 0.4 * torch.tensor([2.0, 0.0, 1.0, 0.0, 0.0, 0.0])) / 0.5
    # penalised probabilities, sorted: token 1 (0.52), 0 (0.29), 2 (0.09), 3 (0.07), ...: top-2 and
    # top-0.7 both keep tokens 1 and 0
    kwargs = {"top_k": 2} if filter_name == "top_k" else {"top_p": 0.7}
    expected = torch.full((6,), float("-inf"))
    expected[[0, 1]] = penalised[[0, 1]]
    got = ex.sample_next_token(
        logits.expand(N_DRAWS, 6), tokens.expand(N_DRAWS, 3), temperature=0.5, frequency_penalty=0.4,
        generator=torch.Generator().manual_seed(1), **kwargs,
    )
    assert_frequencies(got, expected.softmax(-1), f"samples with penalty 0.4, temperature 0.5, {filter_name}")


def test_temperature_zero_is_greedy_on_the_penalised_logits():
    logits = torch.tensor([[3.0, 2.5, 0.0], [0.0, 1.0, 2.0]])
    tokens = torch.tensor([[0, 0], [2, 2]])  # penalised: [1, 2.5, 0] and [0, 1, 0]
    got = ex.sample_next_token(logits, tokens, temperature=0.0, frequency_penalty=1.0)
    assert_close(got, torch.tensor([1, 1]), name="greedy choice after a penalty of 1 per occurrence")


def test_sampling_uses_the_generator():
    logits = torch.zeros(500, 8)
    tokens = torch.zeros(500, 1, dtype=torch.long)
    first = ex.sample_next_token(logits, tokens, generator=torch.Generator().manual_seed(3))
    torch.manual_seed(99)
    second = ex.sample_next_token(logits, tokens, generator=torch.Generator().manual_seed(3))
    assert_close(second, first, name="samples from two generators with the same seed")


def test_generate_passes_the_generator_on():
    _, model = models()
    prompt = torch.tensor([[2, 7], [5, 5]])
    first = ex.generate(model, prompt, 6, temperature=1.5, generator=torch.Generator().manual_seed(7))
    torch.manual_seed(1234)
    second = ex.generate(model, prompt, 6, temperature=1.5, generator=torch.Generator().manual_seed(7))
    assert_close(second, first, name="two generations with generators of the same seed")
