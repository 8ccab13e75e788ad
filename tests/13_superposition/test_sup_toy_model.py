import pytest
import torch

from arena_cli.course.superposition import generate_batch
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def model_and_batch(n_inst, n_feat, d_hidden, seed):
    g = torch.Generator().manual_seed(seed)
    model = ex.ToyModel(n_inst, n_feat, d_hidden, g)
    with torch.no_grad():  # a non-zero bias, so that a forgotten or misplaced bias shows
        model.b_final.copy_(torch.randn(n_inst, n_feat, generator=g) * 0.3)
    x = generate_batch(32, torch.linspace(0.0, 0.8, n_inst), n_feat, g)
    return model, x


def per_instance(model, x, relu=True, bias="inside"):
    """Brute force: one instance at a time, plain matrix products."""
    outs = []
    for k in range(x.shape[1]):
        W, b = model.W[k].detach(), model.b_final[k].detach()
        pre = x[:, k] @ W.T @ W
        act = torch.relu if relu else (lambda t: t)
        outs.append({"inside": act(pre + b), "outside": act(pre) + b, "none": act(pre)}[bias])
    return torch.stack(outs, dim=1)


@pytest.mark.parametrize("n_inst, n_feat, d_hidden, seed", [(3, 5, 2, 0), (1, 6, 3, 1), (4, 4, 4, 2)], ids=["3x5x2", "1x6x3", "square_4x4x4"])
def test_forward_matches_each_instance_on_its_own(n_inst, n_feat, d_hidden, seed):
    model, x = model_and_batch(n_inst, n_feat, d_hidden, seed)
    before = x.clone()
    with torch.no_grad():
        got = model(x)
    assert_unchanged(before, x, name="x")
    assert_close(got, per_instance(model, x), atol=1e-5, name=f"ToyModel forward ({n_inst} inst, {n_feat} feat, d_hidden {d_hidden})", mistakes={
        "the ReLU is missing: x' = ReLU(WᵀWx + b)": lambda: per_instance(model, x, relu=False),
        "the bias is left out": lambda: per_instance(model, x, bias="none"),
        "the bias is added after the ReLU: it goes inside, ReLU(WᵀWx + b)": lambda: per_instance(model, x, bias="outside"),
    })


def test_worked_example():
    model = ex.ToyModel(1, 2, 1, torch.Generator().manual_seed(0))
    with torch.no_grad():
        model.W.copy_(torch.tensor([[[1.0, -1.0]]]))
        model.b_final.zero_()
        got = model(torch.tensor([[[0.5, 0.0]]]))
    assert_close(got, torch.tensor([[[0.5, 0.0]]]), atol=1e-7, name="worked example x' for W = [[1, -1]], x = [0.5, 0]")


@pytest.mark.parametrize("importance_shape", ["feat", "inst_feat"])
def test_loss_is_importance_weighted_and_per_instance(importance_shape):
    g = torch.Generator().manual_seed(5)
    x, out = torch.rand(16, 3, 4, generator=g), torch.rand(16, 3, 4, generator=g)
    importance = 0.7 ** torch.arange(4.0) if importance_shape == "feat" else torch.rand(3, 4, generator=g) + 0.1
    imp = importance.expand(3, 4)
    expected = torch.stack([sum(imp[k, i] * (x[:, k, i] - out[:, k, i]) ** 2 for i in range(4)).mean() for k in range(3)])
    got = ex.importance_weighted_loss(out, x, importance)
    assert_close(got, expected, atol=1e-6, name=f"importance_weighted_loss (importance [{importance_shape}])", mistakes={
        "importance applied inside the square, (I (x - x'))², so it counts squared: it weights the squared error, I (x - x')²":
            lambda: ((importance * (x - out)) ** 2).sum(-1).mean(0),
        "the features are averaged instead of summed": lambda: (importance * (x - out) ** 2).mean(-1).mean(0),
        "the batch is summed instead of averaged": lambda: (importance * (x - out) ** 2).sum(-1).sum(0),
        "the importance is left out": lambda: ((x - out) ** 2).sum(-1).mean(0),
        "the instances are summed into one number: return one loss per instance [inst]":
            lambda: (importance * (x - out) ** 2).sum(-1).mean(0).sum(),
    })


def test_gradient_of_the_loss_reaches_only_its_own_instance():
    model, x = model_and_batch(3, 5, 2, 4)
    loss = ex.importance_weighted_loss(model(x), x, torch.ones(5))
    loss[1].backward()
    grad = model.W.grad
    assert grad is not None, "no gradient reached W: build the forward from self.W with differentiable ops"
    assert float(grad[[0, 2]].abs().max()) == 0.0, "instance 1's loss moved other instances' weights: the instances must not mix"
    assert float(grad[1].abs().max()) > 0, "instance 1's loss did not reach W[1]"
