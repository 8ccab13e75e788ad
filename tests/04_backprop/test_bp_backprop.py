import numpy as np
import torch

from arena_cli.course import backprop as bp
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)


def backprop(end, *args, **kwargs):
    """ex.backprop, naming the KeyError of a node visited before any gradient reached it."""
    try:
        return ex.backprop(end, *args, **kwargs)
    except KeyError as error:
        if error.args and isinstance(error.args[0], bp.Tensor):
            raise mistake("a node was visited before any gradient reached it (KeyError on a Tensor); walk "
                          "sorted_computational_graph(end) in its own order, from end towards the leaves, not reversed",
                          f"the missing key: a Tensor of shape {error.args[0].shape}") from None
        raise


def leaves(*arrays):
    """The same inputs as engine Tensors and as torch leaves (float64)."""
    ours = [bp.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


def assert_grads_match(ours, theirs, what):
    for i, (o, t) in enumerate(zip(ours, theirs)):
        assert o.grad is not None, f"{what}: input {i} got no .grad; leaves that require grad must receive one"
        assert_close(o.grad, t.grad, atol=1e-10, rtol=1e-8, name=f"{what}: gradient of input {i}")


def positive(rng, *shape):
    return rng.uniform(0.5, 2.0, size=shape)


def test_single_operation():
    rng = np.random.default_rng(0)
    (x,), (tx,) = leaves(positive(rng, 3, 4))
    backprop(x.log().sum())
    tx.log().sum().backward()
    assert_grads_match([x], [tx], "log(x).sum()")


def test_node_used_twice_x_times_x():
    rng = np.random.default_rng(1)
    (x,), (tx,) = leaves(rng.normal(size=(5,)))
    backprop((x * x).sum())
    (tx * tx).sum().backward()
    assert_grads_match([x], [tx], "(x * x).sum(): both uses of x must add up")


def test_intermediate_node_used_twice():
    rng = np.random.default_rng(2)
    (x,), (tx,) = leaves(positive(rng, 4))
    y = x.log()
    backprop((y * y * y).sum())
    ty = tx.log()
    (ty * ty * ty).sum().backward()
    assert_grads_match([x], [tx], "y = log(x); (y * y * y).sum()")


def test_diamond_two_paths_rejoin():
    # a -> b = a * w -> (log b, exp b) -> rejoin: every path's share must arrive before b passes it on
    rng = np.random.default_rng(3)
    (a, w), (ta, tw) = leaves(positive(rng, 2, 3), positive(rng, 3))

    def f(a, w, log, exp):
        b = a * w
        return (log(b) * exp(b) + b).sum()

    backprop(f(a, w, bp.log, bp.exp))
    f(ta, tw, torch.log, torch.exp).backward()
    assert_grads_match([a, w], [ta, tw], "diamond")


def test_stacked_diamonds():
    rng = np.random.default_rng(4)
    (x,), (tx,) = leaves(rng.uniform(-0.3, 0.3, size=(3,)))

    def f(x):
        for _ in range(12):  # each level uses the previous one twice: 2**12 paths
            x = x * 0.5 + x * x
        return x.sum()

    backprop(f(x))
    f(tx).backward()
    assert_grads_match([x], [tx], "12 stacked diamonds")


def test_deep_chain():
    rng = np.random.default_rng(5)
    (x,), (tx,) = leaves(rng.normal(size=(4,)))

    def f(x):
        y = x
        for _ in range(3000):
            y = y * 0.999 + x * 0.001
        return y.sum()

    backprop(f(x))
    f(tx).backward()
    assert_grads_match([x], [tx], "a chain of 6000 operations")


def test_broadcasting_and_constants():
    rng = np.random.default_rng(6)
    (a, b), (ta, tb) = leaves(rng.normal(size=(4, 1)), rng.normal(size=(3,)))
    c = rng.normal(size=(4, 3))  # a constant: never gets a gradient
    const = bp.Tensor(c)
    backprop(((a * b) * const - b).exp().sum())
    ((ta * tb) * torch.tensor(c) - tb).exp().sum().backward()
    assert_grads_match([a, b], [ta, tb], "exp(a * b * c - b).sum()")
    assert const.grad is None, "a tensor that does not require grad must not receive a .grad"


def test_end_grad_weights_a_non_scalar_output():
    rng = np.random.default_rng(7)
    (x, y), (tx, ty) = leaves(rng.normal(size=(2, 3)), rng.normal(size=(2, 3)))
    end_grad = rng.normal(size=(2, 3))
    backprop(x * y + x, end_grad)
    (tx * ty + tx).backward(torch.tensor(end_grad))
    assert_grads_match([x, y], [tx, ty], "x * y + x with end_grad")


def test_end_grad_defaults_to_ones():
    rng = np.random.default_rng(8)
    (x,), (tx,) = leaves(rng.normal(size=(2, 3)))
    backprop(x * 3.0)
    (tx * 3.0).backward(torch.ones(2, 3, dtype=torch.float64))
    assert_grads_match([x], [tx], "x * 3 with the default end_grad")


def test_only_leaves_get_grad():
    x = bp.Tensor([1.0, 2.0], requires_grad=True)
    middle = x * x
    backprop(middle.sum())
    assert middle.grad is None, "non-leaf tensors keep .grad = None (gradients are stored on leaves only)"


def test_gradients_accumulate_over_two_calls():
    rng = np.random.default_rng(9)
    (x,), (tx,) = leaves(positive(rng, 3))
    backprop((x * x).sum())
    backprop(x.log().sum())
    (tx * tx).sum().backward()
    tx.log().sum().backward()
    assert_grads_match([x], [tx], "two backprop calls (grads add up in .grad, as in torch)")




def test_common_mistakes_are_named():
    a = np.array([1.0, -2.0, 3.0])
    x = bp.Tensor(a, requires_grad=True)
    backprop((x * x).sum())  # x is both parents of one node: its two shares must add up
    assert_close(x.grad, 2 * a, name="gradient of sum(x * x)", mistakes={
        "a parent's share was overwritten by the next one: x * x gives x two shares (one per use); add them up": a})
    backprop((x * 3.0).sum())  # a second backprop adds to .grad
    assert_close(x.grad, 2 * a + 3.0, name="x.grad after a second backprop (gradients accumulate)", mistakes={
        "a leaf's .grad was overwritten; backprop adds to it, so two calls accumulate (as in torch)": np.full(3, 3.0)})
    w = bp.Tensor(a, requires_grad=True)
    seed = np.array([0.5, -1.0, 2.0])
    backprop(w * 2.0, end_grad=seed)
    assert_close(w.grad, 2 * seed, name="gradient with end_grad given", mistakes={
        "end_grad was ignored (ones used); start the backward pass from end_grad when it is given": np.full(3, 2.0)})
