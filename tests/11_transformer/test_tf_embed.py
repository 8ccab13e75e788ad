import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, forbidder, load_exercise, mistake

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


def test_worked_example():
    embed = ex.Embed(Config(d_vocab=3, d_model=2))
    with torch.no_grad():
        embed.W_E.copy_(torch.tensor([[0.0, 0.0], [1.0, 2.0], [3.0, 4.0]]))
    expected = torch.tensor([[[3.0, 4.0], [1.0, 2.0], [3.0, 4.0]]])
    assert_close(embed(torch.tensor([[2, 1, 2]])), expected, name="Embed of [[2, 1, 2]]")


@pytest.mark.parametrize("shape", [(1, 1), (2, 7), (4, 16)], ids=["one_token", "small_batch", "full_context"])
def test_matches_torch_embedding(shape):
    torch.manual_seed(shape[1])
    embed = ex.Embed(CFG)
    tokens = torch.randint(0, CFG.d_vocab, shape)
    before = tokens.clone()
    try:
        got = embed(tokens)
    except RuntimeError as error:
        # one_hot(tokens) without num_classes is max(token) + 1 wide, not d_vocab
        width = int(tokens.max()) + 1
        if width != CFG.d_vocab and f"x{width} and {CFG.d_vocab}x" in str(error):
            raise mistake(
                "one_hot without num_classes is only max(token) + 1 wide; pass num_classes=d_vocab "
                "(or index W_E[tokens] directly)", str(error)) from None
        raise
    assert_unchanged(before, tokens, name="tokens")
    W_E = embed.W_E.detach()
    assert_close(got, F.embedding(tokens, embed.W_E), name=f"Embed of tokens of shape {shape}", mistakes={
        "every sequence got the embeddings of the first sequence's tokens: index W_E with the whole [batch, pos] tensor":
            lambda: W_E[tokens[0]].expand(shape[0], -1, -1),
        "the ids are shifted by one (W_E[tokens - 1] or + 1): row t of W_E is the embedding of token t":
            lambda: W_E[(tokens - 1) % CFG.d_vocab],
    })


def test_uses_the_last_token_ids_too():
    # ids 0 and d_vocab - 1 are the easiest to get wrong with an off-by-one
    torch.manual_seed(0)
    embed = ex.Embed(CFG)
    tokens = torch.tensor([[0, CFG.d_vocab - 1, 0, CFG.d_vocab - 1]])
    assert_close(embed(tokens), F.embedding(tokens, embed.W_E), name="Embed of ids 0 and d_vocab - 1")


def test_matches_transformer_lens():
    bridge = tl_model(CFG, seed=4)
    embed = load_tl_weights(ex.Embed(CFG), bridge.embed)
    torch.manual_seed(2)
    tokens = torch.randint(0, CFG.d_vocab, (3, 10))
    with torch.no_grad():
        _, cache = bridge.run_with_cache(tokens)
    assert_close(embed(tokens), cache["hook_embed"], name="your Embed vs TransformerLens's hook_embed")


def test_follows_the_rules(monkeypatch):
    torch.manual_seed(3)
    embed = ex.Embed(CFG)
    tokens = torch.randint(0, CFG.d_vocab, (2, 5))
    expected = F.embedding(tokens, embed.W_E)
    forbidder(monkeypatch)("torch.nn.functional.embedding", "torch.embedding", "torch.nn.Embedding")
    assert_close(embed(tokens), expected, name="Embed output by indexing W_E")


def test_gradient_reaches_W_E(assert_gradient_reaches_every_parameter):
    torch.manual_seed(4)
    embed = ex.Embed(CFG)
    assert_gradient_reaches_every_parameter(embed, embed(torch.randint(0, CFG.d_vocab, (2, 6))))
