import functools

import pytest
import torch

from arena_cli.course import transformer as reference
from arena_cli.course.transformer import Config, Transformer, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

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
    assert_close(got, torch.tensor([1, 1]), name="greedy choice after a penalty of 1 per occurrence",
                 mistakes={"at temperature 0 the greedy choice ignores the frequency penalty; penalise first (step a)": torch.tensor([0, 2])})


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


def variant_next_token(logits, tokens, *, temperature=1.0, top_k=None, top_p=None, frequency_penalty=0.0,
                       generator=None, bug=None):
    """sample_next_token as the docstring says, or with one known mistake (`bug`)."""
    if bug == "no_penalty":
        frequency_penalty = 0.0
    if bug == "no_top_k":
        top_k = None
    if bug == "no_top_p":
        top_p = None
    if bug == "no_temperature" and temperature != 0:
        temperature = 1.0
    if frequency_penalty and bug != "penalty_after_temperature":
        logits = reference.apply_frequency_penalty(logits, tokens, frequency_penalty)
    if temperature == 0:
        return reference.greedy(logits)
    if bug == "filters_before_temperature":
        if top_k is not None:
            logits = reference.top_k_filter(logits, top_k)
        if top_p is not None:
            logits = reference.top_p_filter(logits, top_p)
        return reference.sample_from_logits(reference.apply_temperature(logits, temperature), generator)
    logits = reference.apply_temperature(logits, temperature)
    if frequency_penalty and bug == "penalty_after_temperature":
        logits = reference.apply_frequency_penalty(logits, tokens, frequency_penalty)
    if bug == "top_p_before_top_k":
        if top_p is not None:
            logits = reference.top_p_filter(logits, top_p)
        if top_k is not None:
            logits = reference.top_k_filter(logits, top_k)
    else:
        if top_k is not None:
            logits = reference.top_k_filter(logits, top_k)
        if top_p is not None:
            logits = reference.top_p_filter(logits, top_p)
    return reference.sample_from_logits(logits, generator)


NEXT_TOKEN_BUGS = {  # orders first: where two variants draw the same tokens, the first one is named
    "top_p_before_top_k": "top-p runs before top-k; the order is temperature, top-k, then top-p",
    "penalty_after_temperature": "the frequency penalty comes after the temperature; it comes first (step a)",
    "filters_before_temperature": "top-k / top-p run before the temperature; apply the temperature first, then the filters",
    "no_penalty": "frequency_penalty is ignored",
    "no_top_k": "top_k is ignored",
    "no_top_p": "top_p is ignored",
    "no_temperature": "the temperature is ignored",
}

OPTIONS = {
    "temperature_and_top_k": dict(temperature=0.7, top_k=3),
    "top_k_then_top_p": dict(temperature=1.0, top_k=4, top_p=0.5),
    "penalty_temperature_top_p": dict(temperature=1.6, top_p=0.8, frequency_penalty=0.7),
    "everything": dict(temperature=0.8, top_k=6, top_p=0.75, frequency_penalty=0.3),
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_sample_next_token_draws_what_the_stated_order_draws(options):
    # with the same generator seed, the reference filters and sampler draw exactly these tokens
    generator = torch.Generator().manual_seed(21)
    logits = 2 * torch.randn(400, 12, generator=generator)
    tokens = torch.randint(0, 12, (400, 6), generator=generator)
    before = (logits.clone(), tokens.clone())
    expected = variant_next_token(logits, tokens, generator=torch.Generator().manual_seed(5), **options)
    got = ex.sample_next_token(logits, tokens, generator=torch.Generator().manual_seed(5), **options)
    assert_unchanged(before[0], logits, name="logits")
    assert_unchanged(before[1], tokens, name="tokens")
    assert_close(got, expected, name=f"tokens drawn with {options} (same generator seed as the reference)", mistakes={
        sentence: (lambda bug=bug: variant_next_token(logits, tokens, generator=torch.Generator().manual_seed(5), bug=bug, **options))
        for bug, sentence in NEXT_TOKEN_BUGS.items()
    })


def variant_generate(model, prompt, max_new_tokens, *, bug=None, **options):
    tokens = prompt
    with torch.no_grad():
        for _ in range(max_new_tokens):
            window = tokens[:, : model.cfg.n_ctx] if bug == "first_window" else tokens[:, -model.cfg.n_ctx :]
            logits = model(window)[:, 0 if bug == "first_position" else -1]
            seen = prompt if bug == "penalty_prompt_only" else tokens
            next_token = variant_next_token(logits, seen, bug=bug if bug in NEXT_TOKEN_BUGS else None, **options)
            tokens = torch.cat([tokens, next_token[:, None]], dim=1)
    return tokens


GENERATE_BUGS = {  # the order of the filters is named by the checks of sample_next_token
    **{bug: sentence for bug, sentence in NEXT_TOKEN_BUGS.items() if bug.startswith("no_")},
    "first_window": "past n_ctx the model is fed the *first* n_ctx tokens; feed it the last n_ctx (tokens[:, -n_ctx:])",
    "first_position": "the next token is drawn from the logits of the first position; use the last one ([:, -1])",
    "penalty_prompt_only": "the frequency penalty counts only the prompt; it counts the whole sequence so far (prompt + generated)",
}


def test_generate_passes_every_option_on():
    # prompt 8 + 7 new > n_ctx 12: also checks the window; every option has a non-default value
    _, model = models()
    prompt = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8], [9, 9, 9, 2, 2, 0, 1, 3]])
    before = prompt.clone()
    options = dict(temperature=0.9, top_k=8, top_p=0.6, frequency_penalty=0.8)
    expected = variant_generate(model, prompt, 7, generator=torch.Generator().manual_seed(11), **options)
    got = ex.generate(model, prompt, 7, generator=torch.Generator().manual_seed(11), **options)
    assert_unchanged(before, prompt, name="prompt")
    assert_close(got, expected, name=f"generation with {options} (same generator seed as the reference)", mistakes={
        sentence: (lambda bug=bug: variant_generate(model, prompt, 7, generator=torch.Generator().manual_seed(11), bug=bug, **options))
        for bug, sentence in GENERATE_BUGS.items()
    })


def test_generate_runs_the_model_without_autograd():
    _, model = models()
    modes = []
    handle = model.register_forward_hook(lambda *_: modes.append(torch.is_grad_enabled()))
    try:
        with torch.enable_grad():
            ex.generate(model, torch.tensor([[1, 2]]), 3, temperature=0.0)
    finally:
        handle.remove()
    assert modes, "generate never called the model"
    if any(modes):
        raise mistake("the model ran with gradients enabled: wrap the loop in torch.no_grad()")
