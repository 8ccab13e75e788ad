import numpy as np
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

multiply = ex.differentiable(np.multiply)
add = ex.differentiable(np.add)
log = ex.differentiable(np.log)
summed = ex.differentiable(bp.sum_forward)


def test_computes_the_numpy_function():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    out = multiply(bp.Tensor(a), bp.Tensor(b))
    assert isinstance(out, bp.Tensor), f"expected a Tensor, got {type(out).__name__}"
    assert_close(out.array, a * b, atol=0, name="multiply(Tensor, Tensor).array")


def test_result_records_its_creator():
    a = bp.Tensor([1.0, 2.0], requires_grad=True)
    b = bp.Tensor([3.0, 4.0], requires_grad=True)
    out = multiply(a, b)
    assert out.requires_grad, "a result computed from tensors that require grad must require grad"
    assert out.creator is not None, "the result must record a Creator"
    assert out.creator.func is np.multiply, f"creator.func should be np.multiply, got {out.creator.func!r}"
    assert set(out.creator.parents) == {0, 1}, f"parents should be keyed 0 and 1, got {set(out.creator.parents)}"
    assert out.creator.parents[0] is a and out.creator.parents[1] is b, "parents must be the input Tensors themselves"
    assert len(out.creator.args) == 2
    for i, arg in enumerate(out.creator.args):
        assert isinstance(arg, np.ndarray), f"creator.args[{i}] should be a numpy array (a Tensor's .array), got {type(arg).__name__}"
    assert out.creator.args[0] is a.array and out.creator.args[1] is b.array, "creator.args should be the inputs' arrays"


def test_parents_are_keyed_by_argument_position():
    t = bp.Tensor([1.0, 2.0], requires_grad=True)
    out = multiply(2.0, t)
    if set(out.creator.parents) == {0}:
        raise mistake("the parents were numbered 0, 1, ... among the Tensors; key each parent by its position in "
                      "args", "in multiply(2.0, t) the Tensor is argument 1: parents should be {1: t}, got keys {0}")
    assert set(out.creator.parents) == {1}, (
        f"in multiply(2.0, t) the Tensor is argument 1: parents should be {{1: t}}, got keys {set(out.creator.parents)}"
    )
    assert out.creator.args[0] == 2.0, "plain (non-Tensor) arguments are recorded unchanged"


def test_only_tensors_that_require_grad_are_parents():
    a = bp.Tensor([1.0, 2.0], requires_grad=True)
    c = bp.Tensor([5.0, 6.0])  # a constant
    out = multiply(c, a)
    assert set(out.creator.parents) == {1}, f"only arguments that require grad are parents; got keys {set(out.creator.parents)}"


def test_no_creator_when_no_input_requires_grad():
    out = multiply(bp.Tensor([1.0]), bp.Tensor([2.0]))
    assert not out.requires_grad, "nothing requires grad, so the result must not either"
    assert out.creator is None, "nothing requires grad, so no Creator should be recorded"


def test_no_creator_under_no_grad():
    a = bp.Tensor([1.0, 2.0], requires_grad=True)
    with bp.no_grad():
        out = multiply(a, a)
    assert not out.requires_grad and out.creator is None, "inside bp.no_grad() no graph may be recorded"


def test_keyword_arguments_reach_the_function_and_the_creator():
    x = bp.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = summed(x, dim=1, keepdim=True)
    assert_close(out.array, np.array([[3.0], [12.0]]), atol=0, name="sum over dim 1 with keepdim")
    assert out.creator.kwargs == {"dim": 1, "keepdim": True}, f"creator.kwargs should hold the keyword arguments, got {out.creator.kwargs}"


def test_recorded_graph_backpropagates_like_torch():
    # a diamond: `a` feeds two paths that rejoin, and `b` is used twice
    rng = np.random.default_rng(1)
    a_np, b_np = rng.uniform(0.5, 2.0, size=(3, 4)), rng.uniform(0.5, 2.0, size=(4,))
    a, b = bp.Tensor(a_np, requires_grad=True), bp.Tensor(b_np, requires_grad=True)
    left = log(multiply(a, b))
    right = multiply(a, 3.0)
    total = summed(multiply(add(left, right), b))
    bp.backprop(total)  # the engine's backprop, walking the graph your function recorded

    ta, tb = torch.tensor(a_np, requires_grad=True), torch.tensor(b_np, requires_grad=True)
    (((ta * tb).log() + ta * 3.0) * tb).sum().backward()
    assert a.grad is not None and b.grad is not None, "backprop found no path to the inputs: check the Creator's parents"
    assert_close(a.grad, ta.grad, atol=1e-10, name="gradient of a through your recorded graph")
    assert_close(b.grad, tb.grad, atol=1e-10, name="gradient of b through your recorded graph")
