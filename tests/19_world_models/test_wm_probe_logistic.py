import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_lines

ex = load_exercise(__file__)


@pytest.fixture(autouse=True)
def with_grad():
    with torch.enable_grad():  # the section runs without autograd; this exercise trains
        yield


def twin(acts, states, steps, lr, weight_decay, *, reduce="mean", axis=-1, record_after=False, bias=True):
    """The reference loop (torch.optim.SGD), with switches that reproduce known mistakes."""
    x = torch.cat([acts, torch.ones(len(acts), 1)], 1) if bias else acts
    w = torch.zeros(x.shape[1], states.shape[1], 3, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, weight_decay=weight_decay)
    losses = []

    def loss_now():
        scores = torch.einsum("nd,dsc->nsc", x, w)
        if axis != -1:
            logp = scores.log_softmax(1)
            return -logp.gather(-1, states[..., None]).squeeze(-1).mean() if reduce == "mean" else -logp.gather(-1, states[..., None]).sum()
        return F.cross_entropy(scores.flatten(0, 1), states.flatten(), reduction=reduce)

    for _ in range(steps):
        loss = loss_now()
        if not record_after:
            losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
        if record_after:
            with torch.no_grad():
                losses.append(loss_now().item())
    return w.detach(), losses


def data(n=40, d=5, squares=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    states = torch.randint(0, 3, (n, squares), generator=g)
    acts = torch.randn(n, d, generator=g) + F.one_hot(states[:, 0], 3).float().repeat(1, 2)[:, :d]
    return acts, states


CASES = {"no-decay": (8, 0.5, 0.0), "decay": (6, 0.3, 0.2)}


@pytest.mark.parametrize("steps, lr, weight_decay", CASES.values(), ids=CASES.keys())
def test_step_by_step_like_sgd(steps, lr, weight_decay):
    acts, states = data(seed=steps)
    before = acts.clone()
    got_w, got_losses = ex.fit_logistic_probe(acts, states, steps=steps, lr=lr, weight_decay=weight_decay)
    assert_unchanged(before, acts, name="acts")
    assert isinstance(got_losses, list) and len(got_losses) == steps, f"return a list of {steps} losses, got {got_losses!r:.80}"
    want_w, want_losses = twin(acts, states, steps, lr, weight_decay)
    variants = {
        "the loss is summed over rows and squares; average it (F.cross_entropy's default mean)": lambda: twin(acts, states, steps, lr, weight_decay, reduce="sum")[1],
        "the softmax is over squares, not over each square's 3 states": lambda: twin(acts, states, steps, lr, weight_decay, axis=1)[1],
        "each loss is measured after its update; record it before (the first loss is ln 3)": lambda: twin(acts, states, steps, lr, weight_decay, record_after=True)[1],
        "there is no bias: append a ones column to acts (the bias row is last)": lambda: twin(acts, states, steps, lr, weight_decay, bias=False)[1],
    }
    if weight_decay:
        variants["weight_decay is ignored"] = lambda: twin(acts, states, steps, lr, 0.0)[1]
    assert_close(got_losses, want_losses, atol=1e-5, name="losses, step by step", mistakes=variants)
    assert_close(got_w, want_w, atol=1e-5, name="final weights [d+1, square, 3]")


def test_first_loss_is_ln3_and_worked_example():
    acts = torch.tensor([[0.0], [1.0], [0.0], [1.0]])
    states = torch.tensor([[0], [1], [0], [1]])
    _, losses = ex.fit_logistic_probe(acts, states, steps=2, lr=1.0)
    if abs(losses[0] - math.log(3)) > 1e-4:
        raise mistake("the weights must start at zero, so the first loss is ln 3 = 1.0986", f"your first loss: {losses[0]:.4f}")
    assert_close(losses, twin(acts, states, 2, 1.0, 0.0)[1], atol=1e-5, name="the docstring's worked example (torch.optim.SGD's losses)")


def test_separable_data_is_learned():
    acts, states = data(n=200, d=6, squares=1, seed=9)
    _, losses = ex.fit_logistic_probe(acts, states, steps=60, lr=0.5)
    assert losses[-1] < losses[0] - 0.2, f"60 steps should lower the loss on learnable data: {losses[0]:.3f} → {losses[-1]:.3f}"
    show_lines({"training loss": losses}, title="logistic probe: loss by step", x_label="step", y_label="cross-entropy")
