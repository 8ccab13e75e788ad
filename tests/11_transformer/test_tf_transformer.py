import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

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
    with torch.no_grad():
        assert_close(model(tokens), bridge(tokens), atol=1e-4, rtol=1e-4,
                     name=f"your logits vs TransformerLens's, {cfg.n_layers} layer(s), tokens of shape {shape}")


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
        logits = model(torch.arange(10)[None] % cfg.d_vocab)
    assert_close(logits, model.unembed(model.ln_final(cache["blocks.1.hook_resid_post"])), atol=1e-4, rtol=1e-4,
                 name="logits vs unembed(ln_final(output of the last block))")


def test_earlier_logits_ignore_later_tokens():
    torch.manual_seed(0)
    model = ex.Transformer(CONFIGS["2_layers"])
    tokens = torch.randint(0, 37, (1, 12))
    changed = tokens.clone()
    changed[0, -1] = (changed[0, -1] + 1) % 37
    with torch.no_grad():
        assert_close(model(changed)[0, :-1], model(tokens)[0, :-1], atol=1e-6,
                     name="logits at positions 0..10 after changing token 11")
