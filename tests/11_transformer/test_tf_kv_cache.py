import functools
import math

import pytest
import torch

from arena_cli.course.transformer import Config, Transformer, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=30, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


@functools.cache
def models():
    bridge = tl_model(CFG, seed=17)
    return bridge, load_tl_weights(Transformer(CFG), bridge)


@functools.cache
def oracle(batch: int = 2, seq_len: int = 14):
    bridge, _ = models()
    torch.manual_seed(seq_len)
    tokens = torch.randint(0, CFG.d_vocab, (batch, seq_len))
    with torch.no_grad():
        logits, cache = bridge.run_with_cache(tokens)
    return tokens, logits, cache


def variant_forward(model, tokens, cache, bug):
    """forward_with_cache with one known mistake, built from the reference submodules."""
    n_past, n_new = cache.length, tokens.shape[1]
    rows = slice(0, n_new) if bug == "first_rows" else slice(n_past, n_past + n_new)
    residual = model.embed(tokens) + model.pos_embed.W_pos[rows]
    keys, values = [], []
    for layer, block in enumerate(model.blocks):
        attn = block.attn
        q, k_new, v_new = attn.project_qkv(block.ln1(residual))
        k, v = torch.cat([cache.keys[layer], k_new], 1), torch.cat([cache.values[layer], v_new], 1)
        scores = torch.einsum("bqhe,bkhe->bhqk", q, k) / math.sqrt(CFG.d_head)
        offset = {"mask_without_offset": 1, "no_mask": n_past + n_new + 1}.get(bug, n_past + 1)
        future = torch.ones(n_new, n_past + n_new, dtype=torch.bool).triu(diagonal=offset)
        z = torch.einsum("bhqk,bkhe->bqhe", scores.masked_fill(future, float("-inf")).softmax(-1), v)
        residual = residual + attn.project_out(z)
        residual = residual + block.mlp(block.ln2(residual))
        keys.append(k)
        values.append(v)
    return model.unembed(model.ln_final(residual)), ex.KVCache(keys, values)


CACHE_BUGS = {
    "first_rows": "the new tokens got the positional embeddings of positions 0 .. n_new - 1; they sit at n_past .. n_past + n_new - 1",
    "mask_without_offset": "the causal mask ignores the past: new position i is position n_past + i, so it sees keys 0 .. n_past + i",
    "no_mask": "the new positions are not masked among themselves: a chunk of several tokens needs the causal mask too",
}


def chunked_logits(chunks: list[int], forward=None):
    _, model = models()
    tokens, _, _ = oracle()
    forward = forward or ex.forward_with_cache
    cache = ex.KVCache.empty(CFG, batch=tokens.shape[0])
    pieces, start = [], 0
    with torch.no_grad():
        for size in chunks:
            logits, cache = forward(model, tokens[:, start : start + size], cache)
            assert logits.shape == (tokens.shape[0], size, CFG.d_vocab), (
                f"logits of a chunk of {size} tokens should be [batch, {size}, d_vocab], got {tuple(logits.shape)}"
            )
            assert cache.length == start + size, f"after {start + size} tokens the cache holds {cache.length} positions"
            pieces.append(logits)
            start += size
    return torch.cat(pieces, dim=1), cache


@pytest.mark.parametrize(
    "chunks",
    [[14], [1] * 14, [5] + [1] * 9, [3, 4, 3, 4], [1, 13]],
    ids=["whole_sequence_at_once", "one_token_at_a_time", "prompt_then_one_at_a_time", "chunks_of_3_and_4", "one_then_the_rest"],
)
def test_cached_logits_equal_uncached_transformer_lens_logits(chunks):
    _, expected, _ = oracle()
    got, _ = chunked_logits(chunks)
    assert_close(got, expected, atol=1e-4, rtol=1e-4, name=f"logits fed in chunks {chunks} vs the uncached model", mistakes={
        sentence: (lambda bug=bug: chunked_logits(chunks, forward=lambda m, t, c: variant_forward(m, t, c, bug))[0])
        for bug, sentence in CACHE_BUGS.items()
    })


@pytest.mark.parametrize("layer", [0, 1])
def test_cache_holds_the_keys_and_values_of_every_position(layer):
    _, _, tl_cache = oracle()
    _, cache = chunked_logits([4, 1, 1, 8])
    assert_close(cache.keys[layer], tl_cache[f"blocks.{layer}.attn.hook_k"], atol=1e-5, rtol=1e-4,
                 name=f"cached keys of layer {layer} vs TransformerLens's hook_k")
    assert_close(cache.values[layer], tl_cache[f"blocks.{layer}.attn.hook_v"], atol=1e-5, rtol=1e-4,
                 name=f"cached values of layer {layer} vs TransformerLens's hook_v")


def test_cached_attention_of_new_positions_sees_the_past():
    # layer 0's attention output at positions 9..11, computed from the cached keys/values of 0..8
    bridge, model = models()
    _, _, tl_cache = oracle()
    x = tl_cache["blocks.0.ln1.hook_out"]
    inputs = (x[:, 9:12].clone(), tl_cache["blocks.0.attn.hook_k"][:, :9].clone(), tl_cache["blocks.0.attn.hook_v"][:, :9].clone())
    before = tuple(t.clone() for t in inputs)
    with torch.no_grad():
        out, k, v = ex.cached_attention(model.blocks[0].attn, *inputs)
    for name, b, a in zip(["x", "past_k", "past_v"], before, inputs):
        assert_unchanged(b, a, name=name)
    assert_close(out, tl_cache["blocks.0.hook_attn_out"][:, 9:12], atol=1e-5, rtol=1e-4,
                 name="attention output of positions 9..11 given the cache of 0..8")
    assert_close(k, tl_cache["blocks.0.attn.hook_k"][:, :12], atol=1e-5, rtol=1e-4, name="keys returned (past + new)")


def test_greedy_generation_with_cache_matches_transformer_lens():
    bridge, model = models()
    prompt = torch.tensor([[3, 1, 4], [1, 5, 9]])
    with torch.no_grad():
        expected = bridge.generate(prompt, max_new_tokens=10, do_sample=False, stop_at_eos=False, verbose=False)
    got = ex.generate_with_cache(model, prompt, 10)
    assert_close(got, expected, name="greedy generation with your cache vs TransformerLens's generate")


def test_generation_never_reruns_the_whole_model():
    _, model = models()
    calls = []
    handle = model.register_forward_hook(lambda *_: calls.append(1))
    try:
        ex.generate_with_cache(model, torch.tensor([[1, 2]]), 3)
    finally:
        handle.remove()
    assert not calls, "generate_with_cache called model(...): use forward_with_cache so no position is recomputed"


def uncached_greedy(model, prompt, new):
    tokens = prompt
    with torch.no_grad():
        for _ in range(new):
            tokens = torch.cat([tokens, model(tokens)[:, -1].argmax(-1, keepdim=True)], dim=1)
    return tokens


def positions_fed(model, prompt, new):
    fed = []
    handle = model.embed.register_forward_hook(lambda _m, inputs, _out: fed.append(inputs[0].shape[1]))
    try:
        got = ex.generate_with_cache(model, prompt, new)
    finally:
        handle.remove()
    return got, fed


def test_every_position_runs_once_and_nothing_after_the_last_token():
    _, model = models()
    prompt = torch.tensor([[3, 1, 4], [2, 7, 1]])
    before = prompt.clone()
    got, fed = positions_fed(model, prompt, 5)
    assert_unchanged(before, prompt, name="prompt")
    assert_close(got, uncached_greedy(model, prompt, 5), name="prompt + 5 greedy tokens with the cache")
    needed = prompt.shape[1] + 5 - 1  # the last new token is never fed
    if sum(fed) == needed + 1:
        raise mistake("the model ran once more after the last new token, and nothing used those logits",
                      f"positions fed per call: {fed}")
    if sum(fed) > needed:
        raise mistake("positions are recomputed: feed the prompt once, then only the one newest token per step",
                      f"positions fed per call: {fed} ({sum(fed)} in all, {needed} needed)")
    assert fed[0] == prompt.shape[1] and sum(fed) == needed, f"positions fed per call: {fed}, expected [3, 1, 1, 1, 1]"


def test_up_to_n_ctx_plus_one_tokens_and_a_clear_error_beyond():
    _, model = models()
    prompt = torch.tensor([[5, 6, 7, 8, 9, 10]])
    new = CFG.n_ctx + 1 - prompt.shape[1]  # the model runs on positions 0 .. n_ctx - 1
    assert_close(ex.generate_with_cache(model, prompt, new), uncached_greedy(model, prompt, new),
                 name=f"greedy generation up to n_ctx + 1 = {CFG.n_ctx + 1} tokens")
    try:
        ex.generate_with_cache(model, prompt, new + 1)
    except ValueError as error:
        assert "n_ctx" in str(error), f"the ValueError should name the limit n_ctx; it says: {error}"
    except Exception as error:  # noqa: BLE001
        raise mistake("past the n_ctx limit the code crashed instead of raising the ValueError the docstring asks for",
                      f"{type(error).__name__}: {error}") from None
    else:
        raise mistake(f"no ValueError for {prompt.shape[1]} + {new + 1} tokens: the last positions fed would be past n_ctx = {CFG.n_ctx}")
