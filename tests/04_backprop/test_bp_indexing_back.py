import numpy as np
import pytest
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def to_torch_index(index):
    if isinstance(index, tuple):
        return tuple(to_torch_index(i) for i in index)
    if isinstance(index, np.ndarray):
        return torch.tensor(index)
    return index


def check(shape, index, seed, what):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    out = x[index]
    grad_out = rng.normal(size=out.shape)
    leaf = torch.tensor(x, requires_grad=True)
    (want,) = torch.autograd.grad(leaf[to_torch_index(index)], leaf, torch.tensor(grad_out))
    got = ex.getitem_back(grad_out, out, x, index)
    assert_close(got, want.numpy(), atol=1e-12, name=f"getitem_back: {what}")


CASES = {
    "one_integer": ((5, 3), 2),
    "a_slice": ((5, 3), slice(1, 4)),
    "row_and_slice": ((4, 5), (1, slice(None, None, 2))),
    "distinct_rows": ((5, 3), np.array([4, 0, 2])),
    "repeated_rows": ((5, 3), np.array([1, 1, 3, 1])),
    "repeated_elements_1d": ((4,), np.array([0, 0, 2, 0, 3])),
    "one_per_row_like_cross_entropy": ((4, 3), (np.arange(4), np.array([2, 0, 2, 1]))),
    "same_element_twice_2d": ((3, 3), (np.array([0, 0, 2]), np.array([1, 1, 1]))),
    "2d_index_array": ((6,), np.array([[0, 1], [1, 5]])),
    "negative_indices": ((5, 2), np.array([-1, 4, -1])),
    "column_by_array": ((3, 4), (slice(None), np.array([3, 3, 0]))),
}


@pytest.mark.parametrize("seed, shape, index", [(n, *case) for n, case in enumerate(CASES.values())], ids=CASES.keys())
def test_matches_torch_autograd(seed, shape, index):
    check(shape, index, seed=seed, what=f"x {shape}, index {index!r}")


def test_worked_example():
    got = ex.getitem_back(np.array([1.0, 2.0, 3.0]), np.zeros(3), np.zeros(4), np.array([0, 0, 2]))
    assert_close(
        got,
        np.array([3.0, 0.0, 3.0, 0.0]),
        atol=0,
        name="gradient for x[[0, 0, 2]] with grad_out [1, 2, 3]",
    )


def test_inside_the_engine():
    rng = np.random.default_rng(3)
    x_np = rng.normal(size=(4, 3))
    rows, cols = np.array([0, 1, 1, 3, 0]), np.array([2, 2, 2, 0, 2])
    with bp.overriding_backward({(bp.getitem_forward, 0): ex.getitem_back}):
        x = bp.Tensor(x_np, requires_grad=True)
        picked = x[rows, cols]
        ((picked * picked).sum() + x[1].sum()).backward()
    tx = torch.tensor(x_np, requires_grad=True)
    tp = tx[torch.tensor(rows), torch.tensor(cols)]
    ((tp * tp).sum() + tx[1].sum()).backward()
    assert_close(x.grad, tx.grad, atol=1e-10, name="gradient of x through repeated indexing")


def test_common_mistakes_on_a_fixed_input():
    rng = np.random.default_rng(5)
    x, index = rng.normal(size=(4, 3)), np.array([2, 0, 2, 3, 2])
    g = rng.normal(size=(5, 3))
    want = np.zeros((4, 3))
    np.add.at(want, index, g)

    def assigned():
        grad = np.zeros((4, 3))
        grad[index] = g
        return grad

    def ones():
        grad = np.zeros((4, 3))
        np.add.at(grad, index, np.ones_like(g))
        return grad

    before = g.copy()
    got = ex.getitem_back(g, x[index], x, index)
    assert_unchanged(before, g, name="grad_out")
    assert_close(got, want, name="getitem_back with row 2 picked three times", mistakes={
        "a repeated index got its gradient once: `grad[index] = ...` and `grad[index] += ...` do not add up "
        "repeats; use np.add.at(grad, index, grad_out)": assigned,
        "you added 1 at the picked positions; add grad_out": ones})
