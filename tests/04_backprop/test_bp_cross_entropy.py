import numpy as np
import pytest
import torch
import torch.nn.functional as F

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def check(logits_np, targets, what):
    logits = bp.Tensor(logits_np, requires_grad=True)
    loss = ex.cross_entropy(logits, targets)
    assert isinstance(loss, bp.Tensor), f"{what}: return a Tensor, got {type(loss).__name__}"
    assert loss.shape == (), f"{what}: the loss should be a single number (shape ()), got shape {loss.shape}"
    loss.backward()
    t_logits = torch.tensor(logits_np, requires_grad=True)
    t_loss = F.cross_entropy(t_logits, torch.tensor(targets))
    t_loss.backward()
    if not np.all(np.isfinite(loss.array)) and torch.isfinite(t_loss):
        raise mistake("the loss is not finite (inf or nan) where torch's is: exp overflowed; subtract each row's max "
                      "logit (a constant) before exponentiating", f"{what}: got {loss.array}, expected {t_loss.item():.6g}")
    assert_close(loss.array, t_loss, atol=1e-10, rtol=1e-10, name=f"{what}: loss")
    assert logits.grad is not None, f"{what}: no gradient reached the logits; use engine operations, not .array maths"
    assert_close(logits.grad, t_logits.grad, atol=1e-10, rtol=1e-8, name=f"{what}: gradient of the logits")


CASES = {
    "small": (4, 3),
    "batch_equals_classes": (5, 5),  # an index or axis mix-up keeps the shapes here
    "one_example": (1, 4),
    "many_classes": (3, 10),
}


@pytest.mark.parametrize("batch, classes", CASES.values(), ids=CASES.keys())
def test_matches_torch(batch, classes):
    rng = np.random.default_rng(batch * 100 + classes)
    logits = rng.normal(scale=2.0, size=(batch, classes))
    targets = rng.integers(0, classes, size=batch)
    check(logits, targets, f"{batch} examples, {classes} classes")


def test_repeated_targets():
    rng = np.random.default_rng(1)
    check(rng.normal(size=(6, 3)), np.array([2, 2, 2, 0, 0, 2]), "targets [2, 2, 2, 0, 0, 2]")


def test_large_logits_do_not_overflow():
    logits = np.array([[1000.0, 0.0, -1000.0], [-500.0, 800.0, 800.0], [3000.0, 2999.0, 2990.0]])
    check(logits, np.array([1, 2, 0]), "logits in the thousands")


def test_very_negative_logits():
    logits = np.array([[-1000.0, -1001.0], [-2000.0, -2000.0]])
    check(logits, np.array([1, 0]), "logits around -1000")


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    logits, targets = rng.normal(size=(4, 5)), np.array([4, 0, 2, 2])
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = log_probs[np.arange(4), targets]
    got = ex.cross_entropy(bp.Tensor(logits, requires_grad=True), targets)
    shift = logits.max(-1)
    assert_close(got.array, -picked.mean(), name="cross_entropy of 4 rows", mistakes={
        "the losses were summed; average them over the batch": -picked.sum(),
        "the sign is flipped: the loss is the *negative* mean log-probability": picked.mean(),
        "the picked logit is unshifted while the normaliser is shifted; pick from the shifted logits":
            lambda: (-picked - shift).mean()})
