import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=2)


@functools.cache
def oracle(seq_len: int):
    bridge = tl_model(CFG, seed=9)
    torch.manual_seed(seq_len)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.randint(0, CFG.d_vocab, (2, seq_len)))
    return bridge, cache


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
@pytest.mark.parametrize("seq_len", [1, 13], ids=["one_position", "thirteen_positions"])
def test_matches_transformer_lens(layer, seq_len):
    bridge, cache = oracle(seq_len)
    block = load_tl_weights(ex.TransformerBlock(CFG), bridge.blocks[layer])
    x = cache[f"blocks.{layer}.hook_resid_pre"]
    before = x.clone()
    with torch.no_grad():
        out = block(x)
    assert_unchanged(before, x, name="resid_pre")
    assert_close(out, cache[f"blocks.{layer}.hook_resid_post"], atol=1e-5, rtol=1e-4,
                 name=f"block output vs TransformerLens's blocks.{layer}.hook_resid_post", mistakes=block_mistakes(block, x))


def block_mistakes(block, x):
    """What the usual wrong blocks return (computed with the reference sublayers of `block`)."""
    ln1, attn, ln2, mlp = block.ln1, block.attn, block.ln2, block.mlp

    def run(f):
        with torch.no_grad():
            return f()

    return {
        "this is the post-LayerNorm block (ln(x + sublayer(x))); GPT-2 normalises the sublayer's input: x + sublayer(ln(x))":
            lambda: run(lambda: (lambda mid: ln2(mid + mlp(mid)))(ln1(x + attn(x)))),
        "ln1 is used in front of the MLP too; each sublayer has its own LayerNorm (ln2 before the MLP)":
            lambda: run(lambda: (lambda mid: mid + mlp(ln1(mid)))(x + attn(ln1(x)))),
        "the MLP reads resid_pre instead of resid_mid (attention and MLP in parallel); it reads the stream after attention":
            lambda: run(lambda: x + attn(ln1(x)) + mlp(ln2(x))),
        "the MLP's residual connection is missing: return resid_mid + mlp(ln2(resid_mid))":
            lambda: run(lambda: mlp(ln2(x + attn(ln1(x))))),
        "the attention's residual connection is missing: resid_mid = resid_pre + attn(ln1(resid_pre))":
            lambda: run(lambda: (lambda mid: mid + mlp(ln2(mid)))(attn(ln1(x)))),
        "the sublayers run in the wrong order: attention first, then the MLP":
            lambda: run(lambda: (lambda mid: mid + attn(ln1(mid)))(x + mlp(ln2(x)))),
    }


def test_gradient_reaches_every_weight(assert_gradient_reaches_every_parameter):
    bridge, _ = oracle(1)
    block = load_tl_weights(ex.TransformerBlock(CFG), bridge.blocks[1])
    assert_gradient_reaches_every_parameter(block, block(torch.randn(2, 4, CFG.d_model)))


def test_zero_sublayers_give_the_identity():
    torch.manual_seed(0)
    block = ex.TransformerBlock(CFG)
    with torch.no_grad():
        for name, p in block.named_parameters():
            if name.startswith(("attn.", "mlp.")):
                p.zero_()
    x = torch.randn(2, 5, CFG.d_model)
    assert_close(block(x), x, name="block output when attention and MLP output zero")


def test_residual_stream_is_not_normalised():
    # a large input stays large: only the sublayers' inputs are normalised
    bridge, _ = oracle(1)
    block = load_tl_weights(ex.TransformerBlock(CFG), bridge.blocks[0])
    torch.manual_seed(1)
    x = 50 * torch.randn(1, 4, CFG.d_model)
    with torch.no_grad():
        (expected,) = bridge.blocks[0](x)  # TransformerLens's block returns a 1-tuple
        got = block(x)
    assert_close(got, expected, atol=1e-4, rtol=1e-4, name="block output on a large input", mistakes=block_mistakes(block, x))
