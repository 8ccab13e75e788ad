import functools

import pytest
import torch

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


def slicing_mistakes(W_pos, tokens):
    W_pos = W_pos.detach()
    batch, seq_len = tokens.shape
    return {
        "W_pos is indexed with the token ids; it is indexed by position (the first seq_len rows)":
            lambda: W_pos[tokens],
        "the rows are the last seq_len of W_pos; take the first seq_len, W_pos[:seq_len]":
            lambda: W_pos[-seq_len:].expand(batch, -1, -1),
        "the rows start at position 1 (off by one); position p gets W_pos[p], starting at W_pos[0]":
            lambda: W_pos[1 : seq_len + 1].expand(batch, -1, -1),
    }


def test_worked_example():
    pos_embed = ex.PosEmbed(Config(n_ctx=4, d_model=2))
    with torch.no_grad():
        pos_embed.W_pos.copy_(torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]]))
    expected = torch.tensor([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]] * 2)
    tokens = torch.tensor([[2, 0, 1], [3, 3, 1]])
    before = tokens.clone()
    got = pos_embed(tokens)
    assert_unchanged(before, tokens, name="tokens")
    assert_close(got, expected, name="PosEmbed of 2 sequences of 3 tokens",
                 mistakes=slicing_mistakes(pos_embed.W_pos, tokens))


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
        mistakes=slicing_mistakes(pos_embed.W_pos, tokens),
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


def test_gradient_reaches_W_pos(assert_gradient_reaches_every_parameter):
    torch.manual_seed(1)
    pos_embed = ex.PosEmbed(CFG)
    assert_gradient_reaches_every_parameter(pos_embed, pos_embed(torch.randint(0, CFG.d_vocab, (2, CFG.n_ctx))))
