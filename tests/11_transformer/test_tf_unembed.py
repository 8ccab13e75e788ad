import pytest
import torch
import torch.nn.functional as F

from arena_cli.course.transformer import Config, load_tl_weights, tl_model
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)

CFG = Config(d_model=32, d_vocab=50, n_ctx=16, d_head=8, n_heads=4, d_mlp=64, n_layers=1)


def test_worked_example():
    unembed = ex.Unembed(Config(d_model=2, d_vocab=3))
    with torch.no_grad():
        unembed.W_U.copy_(torch.tensor([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]))
        unembed.b_U.copy_(torch.tensor([0.0, 0.0, 1.0]))
    got = unembed(torch.tensor([[[2.0, 3.0]]]))
    assert_close(got, torch.tensor([[[2.0, 3.0, 2.0]]]), name="logits of the worked example",
                 mistakes={"the bias b_U is missing: logits = x @ W_U + b_U": torch.tensor([[[2.0, 3.0, 1.0]]])})


@pytest.mark.parametrize("shape", [(1, 1), (3, 7)], ids=["one_position", "batch_of_three"])
def test_matches_a_linear_layer_with_bias(shape):
    torch.manual_seed(shape[1])
    unembed = ex.Unembed(CFG)
    with torch.no_grad():
        unembed.b_U.copy_(torch.randn(CFG.d_vocab))
    x = torch.randn(*shape, CFG.d_model)
    before = x.clone()
    with torch.no_grad():
        got = unembed(x)
        W_U, b_U = unembed.W_U.clone(), unembed.b_U.clone()
    assert_unchanged(before, x, name="x")
    assert_close(got, F.linear(x, unembed.W_U.T, unembed.b_U), atol=1e-5, rtol=1e-4,
                 name="logits vs x @ W_U + b_U", mistakes={
        "the bias b_U is missing: logits = x @ W_U + b_U": lambda: x @ W_U,
        "these are log-probabilities (a log_softmax was applied); Unembed returns the raw logits":
            lambda: (x @ W_U + b_U).log_softmax(-1),
        "these are probabilities (a softmax was applied); Unembed returns the raw logits":
            lambda: (x @ W_U + b_U).softmax(-1),
    })


def test_gradient_reaches_W_U_and_b_U(assert_gradient_reaches_every_parameter):
    torch.manual_seed(5)
    unembed = ex.Unembed(CFG)
    assert_gradient_reaches_every_parameter(unembed, unembed(torch.randn(2, 4, CFG.d_model)))


def test_matches_transformer_lens():
    bridge = tl_model(CFG, seed=11)
    unembed = load_tl_weights(ex.Unembed(CFG), bridge.unembed)
    torch.manual_seed(0)
    with torch.no_grad():
        logits, cache = bridge.run_with_cache(torch.randint(0, CFG.d_vocab, (2, 9)))
    assert_close(unembed(cache["ln_final.hook_out"]), logits, atol=1e-5, rtol=1e-4,
                 name="your Unembed vs TransformerLens's logits")
