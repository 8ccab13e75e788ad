import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


def test_worked_example():
    pos_embed = ex.PosEmbed(Config(n_ctx=4, d_model=2))
    with torch.no_grad():
        pos_embed.W_pos.copy_(torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]]))
    expected = torch.tensor([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]] * 2)
    assert_close(pos_embed(torch.zeros(2, 3, dtype=torch.long)), expected, name="PosEmbed of 2 sequences of 3 tokens")


@functools.cache
def bridge():
    return tl_model(CFG, seed=5)


@pytest.mark.parametrize("seq_len", [1, 5, 16], ids=["one_position", "shorter_than_n_ctx", "exactly_n_ctx"])
def test_matches_transformer_lens(seq_len):
    pos_embed = load_tl_weights(ex.PosEmbed(CFG), bridge().pos_embed)
    torch.manual_seed(seq_len)
    tokens = torch.randint(0, CFG.d_vocab, (3, seq_len))
    with torch.no_grad():
        _, cache = bridge().run_with_cache(tokens)
    assert_close(
        pos_embed(tokens), cache["hook_pos_embed"],
        name=f"your PosEmbed vs TransformerLens's hook_pos_embed for {seq_len} positions",
    )


def test_depends_on_positions_not_on_token_ids():
    torch.manual_seed(0)
    pos_embed = ex.PosEmbed(CFG)
    tokens = torch.randint(0, CFG.d_vocab, (2, 6))
    assert_close(
        pos_embed(tokens), pos_embed(torch.flip(tokens, dims=[1]) + 1),
        name="PosEmbed of two different token sequences of the same length",
    )
    expected = pos_embed.W_pos[:6].detach().expand(2, 6, CFG.d_model)
    assert_close(pos_embed(tokens), expected, name="PosEmbed rows are W_pos[0], W_pos[1], ... in order")
