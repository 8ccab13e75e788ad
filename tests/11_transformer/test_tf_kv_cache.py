import functools

import pytest
import torch

from arena_cli.course.transformer import Config, Transformer, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

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


def chunked_logits(chunks: list[int]):
    _, model = models()
    tokens, _, _ = oracle()
    cache = ex.KVCache.empty(CFG, batch=tokens.shape[0])
    pieces, start = [], 0
    with torch.no_grad():
        for size in chunks:
            logits, cache = ex.forward_with_cache(model, tokens[:, start : start + size], cache)
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
    assert_close(got, expected, atol=1e-4, rtol=1e-4, name=f"logits fed in chunks {chunks} vs the uncached model")


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
    out, k, v = ex.cached_attention(
        model.blocks[0].attn, x[:, 9:12], tl_cache["blocks.0.attn.hook_k"][:, :9], tl_cache["blocks.0.attn.hook_v"][:, :9]
    )
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
