import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

CONFIGS = {
    "1_layer": Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1),
    "2_layers": Config(d_model=48, d_vocab=37, n_ctx=20, d_head=16, n_heads=2, d_mlp=96, n_layers=2),
}


@functools.cache
def tl_bridge(cfg_name: str):
    return tl_model(CONFIGS[cfg_name], seed=12)


@pytest.mark.parametrize("cfg_name", CONFIGS)
@pytest.mark.parametrize("shape", [(1, 1), (2, 9), (3, 16)], ids=["one_token", "nine_tokens", "sixteen_tokens"])
def test_logits_match_transformer_lens(cfg_name, shape):
    cfg = CONFIGS[cfg_name]
    bridge = tl_bridge(cfg_name)
    model = load_tl_weights(ex.Transformer(cfg), bridge)
    torch.manual_seed(shape[1])
    tokens = torch.randint(0, cfg.d_vocab, shape)
    before = tokens.clone()
    with torch.no_grad():
        got = model(tokens)
        expected = bridge(tokens)
    assert_unchanged(before, tokens, name="tokens")
    assert_close(got, expected, atol=1e-4, rtol=1e-4,
                 name=f"your logits vs TransformerLens's, {cfg.n_layers} layer(s), tokens of shape {shape}",
                 mistakes=model_mistakes(model, tokens))


def model_mistakes(model, tokens):
    def run(blocks, *, pos=True, ln=True):
        with torch.no_grad():
            residual = model.embed(tokens) + (model.pos_embed(tokens) if pos else 0)
            for block in blocks:
                residual = block(residual)
            return model.unembed(model.ln_final(residual) if ln else residual)

    blocks = list(model.blocks)
    return {
        "only the first block is used, again and again: run every block, each once, in order":
            lambda: run([blocks[0]] * len(blocks)),
        "the blocks run in reverse order: blocks[0] first": lambda: run(blocks[::-1]),
        "only the last block is used: run every block, each once, in order": lambda: run(blocks[-1:]),
        "the positional embedding is missing: residual = embed(tokens) + pos_embed(tokens)": lambda: run(blocks, pos=False),
        "ln_final is missing: logits = unembed(ln_final(residual))": lambda: run(blocks, ln=False),
    }


def test_gradient_reaches_every_parameter(assert_gradient_reaches_every_parameter):
    cfg = CONFIGS["2_layers"]
    model = load_tl_weights(ex.Transformer(cfg), tl_bridge("2_layers"))
    tokens = torch.arange(12)[None] % cfg.d_vocab
    assert_gradient_reaches_every_parameter(model, model(tokens))


def test_blocks_run_in_order():
    # with two different blocks, running them in the wrong order (or only one) changes the logits
    cfg = CONFIGS["2_layers"]
    bridge = tl_bridge("2_layers")
    model = load_tl_weights(ex.Transformer(cfg), bridge)
    with torch.no_grad():
        _, cache = bridge.run_with_cache(torch.arange(10)[None] % cfg.d_vocab)
        residual = model.embed.W_E[torch.arange(10)] + model.pos_embed.W_pos[:10]
        assert_close(residual[None], cache["blocks.0.hook_resid_pre"], atol=1e-5,
                     name="embed + pos_embed (what the first block reads)")
        tokens = torch.arange(10)[None] % cfg.d_vocab
        logits = model(tokens)
        expected = model.unembed(model.ln_final(cache["blocks.1.hook_resid_post"]))
    assert_close(logits, expected, atol=1e-4, rtol=1e-4,
                 name="logits vs unembed(ln_final(output of the last block))", mistakes=model_mistakes(model, tokens))


def test_earlier_logits_ignore_later_tokens():
    torch.manual_seed(0)
    model = ex.Transformer(CONFIGS["2_layers"])
    tokens = torch.randint(0, 37, (1, 12))
    changed = tokens.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 37
    with torch.no_grad():
        assert_close(model(changed)[0, :-1], model(tokens)[0, :-1], atol=1e-6,
                     name="logits at positions 0..10 after changing token 11")
