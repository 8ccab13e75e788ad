"""A small autograd engine in numpy: the reference pieces that section 0.4 (Backprop) builds on.

The exercises of 0.4 write this engine one piece at a time. Each exercise imports the pieces it
does not ask for from here, so a learner stuck on one exercise can still do the next ones.
This module therefore holds a reference version of every piece: try the exercise first.

The engine in one paragraph. A `Tensor` wraps a numpy array. Calling a tensor function (made by
`differentiable` from a numpy function) computes the result with numpy and, when some argument
requires a gradient, records a `Creator` on the result: which numpy function made it, with which
arguments, and which of those arguments were Tensors (its parents in the graph). `backprop`
walks that graph from the output back to the leaves in reverse topological order; at every node
it looks up one *backward function* per parent (`register_backward`) and calls it as

    back(grad_out, out, *args, **kwargs) -> the gradient with respect to that one argument

where `grad_out` is the gradient of the final output with respect to `out`, and `args`/`kwargs`
are exactly what the forward numpy function received (arrays, not Tensors). Gradients of one node
reached along several paths are added up before the node passes its own gradient on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

Arr = np.ndarray
BackwardFn = Callable[..., Arr]
Node = TypeVar("Node")

# ---------------------------------------------------------------------------------------------
# Backward functions: the registry
# ---------------------------------------------------------------------------------------------

_BACKWARD: dict[Callable[..., Any], dict[int, BackwardFn]] = {}


def register_backward(forward: Callable[..., Any], argnum: int, back: BackwardFn) -> None:
    """Declare `back` as the backward function of `forward` with respect to argument `argnum`."""
    _BACKWARD.setdefault(forward, {})[argnum] = back


def get_backward(forward: Callable[..., Any], argnum: int) -> BackwardFn:
    """The backward function of `forward` for argument `argnum` (a clear error when missing)."""
    try:
        return _BACKWARD[forward][argnum]
    except KeyError:
        name = getattr(forward, "__name__", repr(forward))
        raise KeyError(
            f"no backward function registered for argument {argnum} of {name}; "
            f"call register_backward({name}, {argnum}, <function>) first"
        ) from None


@contextmanager
def overriding_backward(overrides: dict[tuple[Callable[..., Any], int], BackwardFn]) -> Iterator[None]:
    """Temporarily replace backward functions: `{(forward, argnum): back, ...}`.

    The checks use this to run a learner's backward function inside the whole engine and restore
    the reference afterwards, whatever happens inside the block.
    """
    saved = {key: _BACKWARD.get(key[0], {}).get(key[1]) for key in overrides}
    try:
        for (forward, argnum), back in overrides.items():
            register_backward(forward, argnum, back)
        yield
    finally:
        for (forward, argnum), back in saved.items():
            if back is None:
                _BACKWARD[forward].pop(argnum, None)
            else:
                _BACKWARD[forward][argnum] = back


# ---------------------------------------------------------------------------------------------
# Unbroadcasting and the backward functions of numpy operations
# ---------------------------------------------------------------------------------------------


def unbroadcast(grad: Arr, original_shape: tuple[int, ...]) -> Arr:
    """Sum `grad` (the gradient of a broadcast result) back down to `original_shape`."""
    n_added = grad.ndim - len(original_shape)
    grad = grad.sum(axis=tuple(range(n_added)))  # leading axes that broadcasting prepended
    stretched = tuple(i for i, size in enumerate(original_shape) if size == 1)
    return grad.sum(axis=stretched, keepdims=True)  # axes of size 1 that broadcasting stretched


def log_back(grad_out: Arr, out: Arr, x: Arr) -> Arr:
    return grad_out / x


def exp_back(grad_out: Arr, out: Arr, x: Arr) -> Arr:
    return grad_out * out


def negative_back(grad_out: Arr, out: Arr, x: Arr) -> Arr:
    return -grad_out


def add_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out, np.shape(x))


def add_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out, np.shape(y))


def subtract_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out, np.shape(x))


def subtract_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(-grad_out, np.shape(y))


def multiply_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out * y, np.shape(x))


def multiply_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out * x, np.shape(y))


def divide_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out / y, np.shape(x))


def divide_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(-grad_out * x / (np.asarray(y) ** 2), np.shape(y))


def maximum_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    # ties split the gradient equally between both inputs, as torch.maximum does
    share = np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))
    return unbroadcast(grad_out * share, np.shape(x))


def maximum_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    share = np.where(y > x, 1.0, np.where(x == y, 0.5, 0.0))
    return unbroadcast(grad_out * share, np.shape(y))


def _swap_last(a: Arr) -> Arr:
    return np.swapaxes(a, -1, -2)


def matmul_back0(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(grad_out @ _swap_last(y), x.shape)


def matmul_back1(grad_out: Arr, out: Arr, x: Arr, y: Arr) -> Arr:
    return unbroadcast(_swap_last(x) @ grad_out, y.shape)


def sum_forward(x: Arr, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Arr:
    """`x.sum(dim, keepdim)` with torch's argument names."""
    return np.sum(x, axis=dim, keepdims=keepdim)


def sum_back(grad_out: Arr, out: Arr, x: Arr, dim=None, keepdim: bool = False) -> Arr:
    if dim is None:
        dims = tuple(range(x.ndim))
    else:
        dims = tuple(d % x.ndim for d in ((dim,) if isinstance(dim, int) else dim))
    if not keepdim:
        grad_out = np.expand_dims(grad_out, dims)  # put the summed axes back, with size 1
    return np.broadcast_to(grad_out, x.shape).copy()


def reshape_forward(x: Arr, shape: tuple[int, ...]) -> Arr:
    return np.reshape(x, shape)


def reshape_back(grad_out: Arr, out: Arr, x: Arr, shape: tuple[int, ...]) -> Arr:
    return np.reshape(grad_out, x.shape)


def permute_forward(x: Arr, dims: tuple[int, ...]) -> Arr:
    return np.transpose(x, dims)


def permute_back(grad_out: Arr, out: Arr, x: Arr, dims: tuple[int, ...]) -> Arr:
    return np.transpose(grad_out, np.argsort(dims))


def getitem_forward(x: Arr, index: Any) -> Arr:
    return x[index]


def getitem_back(grad_out: Arr, out: Arr, x: Arr, index: Any) -> Arr:
    grad = np.zeros(x.shape, dtype=np.result_type(grad_out, np.float64))
    np.add.at(grad, index, grad_out)  # repeated indices add up, unlike grad[index] += ...
    return grad


def relu_forward(x: Arr) -> Arr:
    return np.maximum(x, 0.0)


def relu_back(grad_out: Arr, out: Arr, x: Arr) -> Arr:
    return grad_out * (x > 0)  # 0 at x == 0, as torch.relu


for _forward, _backs in [
    (np.log, [log_back]),
    (np.exp, [exp_back]),
    (np.negative, [negative_back]),
    (np.add, [add_back0, add_back1]),
    (np.subtract, [subtract_back0, subtract_back1]),
    (np.multiply, [multiply_back0, multiply_back1]),
    (np.true_divide, [divide_back0, divide_back1]),
    (np.maximum, [maximum_back0, maximum_back1]),
    (np.matmul, [matmul_back0, matmul_back1]),
    (sum_forward, [sum_back]),
    (reshape_forward, [reshape_back]),
    (permute_forward, [permute_back]),
    (getitem_forward, [getitem_back]),
    (relu_forward, [relu_back]),
]:
    for _argnum, _back in enumerate(_backs):
        register_backward(_forward, _argnum, _back)


# ---------------------------------------------------------------------------------------------
# Grad mode
# ---------------------------------------------------------------------------------------------

_grad_enabled = True


def is_grad_enabled() -> bool:
    return _grad_enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, tensor functions record no graph (for evaluation and updates)."""
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


# ---------------------------------------------------------------------------------------------
# Tensor and its graph
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Creator:
    """How a Tensor was made: `func(*args, **kwargs)`.

    func:    the numpy-level forward function (e.g. `np.multiply`, `sum_forward`).
    args:    its positional arguments as the forward saw them: arrays, never Tensors.
    kwargs:  its keyword arguments.
    parents: argument position -> the Tensor passed there, for the arguments that require grad.
    """

    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    parents: dict[int, "Tensor"] = field(default_factory=dict)


def _unwrap(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, tuple):  # an index such as x[rows, cols] may hold Tensors
        return tuple(_unwrap(v) for v in value)
    return value


class Tensor:
    """A float64 numpy array that can record how it was computed.

    Tensors hash and compare by identity (no elementwise `==`), so they can key dicts and sets.
    """

    __array_ufunc__ = None  # `ndarray * Tensor` defers to Tensor.__rmul__ instead of looping

    array: Arr
    requires_grad: bool
    grad: Arr | None
    creator: Creator | None

    def __init__(self, array: Any, requires_grad: bool = False) -> None:
        self.array = np.asarray(_unwrap(array), dtype=np.float64)
        self.requires_grad = requires_grad
        self.grad = None
        self.creator = None

    # --- basics
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (no creator), False for results of recorded ops."""
        return self.creator is None

    def item(self) -> float:
        return float(self.array.item())

    def numpy(self) -> Arr:
        return self.array

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        extra = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self.array!r}{extra})"

    def backward(self, end_grad: Arr | None = None) -> None:
        backprop(self, end_grad)

    # --- arithmetic (operators dispatch to the tensor functions defined below)
    def __neg__(self) -> Tensor:
        return negative(self)

    def __add__(self, other: Any) -> Tensor:
        return add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return divide(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return getitem(self, _unwrap(index))

    # --- methods with torch's names
    def exp(self) -> Tensor:
        return exp(self)

    def log(self) -> Tensor:
        return log(self)

    def sum(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        return tensor_sum(self, dim=dim, keepdim=keepdim)

    def mean(self, dim: int | tuple[int, ...] | None = None, keepdim: bool = False) -> Tensor:
        total = self.sum(dim=dim, keepdim=keepdim)
        return total / (self.array.size / max(total.array.size, 1))

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return reshape(self, tuple(shape))

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        return permute(self, tuple(dims))

    @property
    def T(self) -> Tensor:  # noqa: N802 (torch's name)
        return self.permute(tuple(range(self.ndim))[::-1])

    def relu(self) -> Tensor:
        return relu(self)


def differentiable(numpy_func: Callable[..., Any]) -> Callable[..., Tensor]:
    """Turn a numpy function into a tensor function that records its creator.

    The returned function accepts Tensors or plain values as positional arguments (keyword
    arguments are passed through unchanged), computes `numpy_func` on the unwrapped arrays, and
    records a `Creator` on the result when grad mode is on and some Tensor argument requires grad.
    """

    def tensor_func(*args: Any, **kwargs: Any) -> Tensor:
        arrays = tuple(_unwrap(a) for a in args)
        out = Tensor(numpy_func(*arrays, **kwargs))
        parents = {i: a for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad}
        if parents and is_grad_enabled():
            out.requires_grad = True
            out.creator = Creator(numpy_func, arrays, kwargs, parents)
        return out

    tensor_func.__name__ = getattr(numpy_func, "__name__", "tensor_func")
    return tensor_func


log = differentiable(np.log)
exp = differentiable(np.exp)
negative = differentiable(np.negative)
add = differentiable(np.add)
subtract = differentiable(np.subtract)
multiply = differentiable(np.multiply)
divide = differentiable(np.true_divide)
maximum = differentiable(np.maximum)
matmul = differentiable(np.matmul)
tensor_sum = differentiable(sum_forward)
reshape = differentiable(reshape_forward)
permute = differentiable(permute_forward)
getitem = differentiable(getitem_forward)
relu = differentiable(relu_forward)


# ---------------------------------------------------------------------------------------------
# Topological sort and backpropagation
# ---------------------------------------------------------------------------------------------


def topological_sort(node: Node, get_children: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node reachable from `node`, each once, every node after all of its children.

    Iterative depth-first search, so a chain of any length works (no recursion limit).
    """
    order: list[Node] = []
    seen = {node}
    stack = [(node, iter(get_children(node)))]
    while stack:
        current, children = stack[-1]
        for child in children:
            if child not in seen:
                seen.add(child)
                stack.append((child, iter(get_children(child))))
                break
        else:  # every child is placed: now `current` can be
            stack.pop()
            order.append(current)
    return order


def tensor_parents(tensor: Tensor) -> list[Tensor]:
    return list(tensor.creator.parents.values()) if tensor.creator is not None else []


def sorted_computational_graph(end: Tensor) -> list[Tensor]:
    """The graph that ends at `end`, `end` first, every tensor before its parents."""
    return topological_sort(end, tensor_parents)[::-1]


def backprop(end: Tensor, end_grad: Arr | None = None) -> None:
    """Add d(end)/d(leaf) (weighted by `end_grad`, ones by default) to every leaf's `.grad`."""
    if not end.requires_grad:
        raise RuntimeError("backprop: this tensor does not require grad and has no graph")
    start = np.ones_like(end.array) if end_grad is None else np.asarray(end_grad, dtype=np.float64)
    grads: dict[Tensor, Arr] = {end: start}
    for node in sorted_computational_graph(end):
        grad = grads.pop(node)  # complete: every path into `node` has been walked already
        if node.creator is None:
            if node.requires_grad:
                node.grad = np.array(grad, dtype=np.float64) if node.grad is None else node.grad + grad
            continue
        for argnum, parent in node.creator.parents.items():
            back = get_backward(node.creator.func, argnum)
            parent_grad = back(grad, node.array, *node.creator.args, **node.creator.kwargs)
            grads[parent] = grads[parent] + parent_grad if parent in grads else parent_grad


# ---------------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------------


class Parameter(Tensor):
    """A leaf Tensor that a Module registers as one of its parameters (requires grad)."""

    def __init__(self, array: Any, requires_grad: bool = True) -> None:
        super().__init__(array, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return f"Parameter({self.array!r})"


class Module:
    """Base class: Parameters and Modules assigned as attributes are registered, in order."""

    _parameters: dict[str, Parameter]
    _modules: dict[str, Module]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning attributes")
        # a name that already holds a Parameter (Module) keeps its place in the order, as in torch
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        else:
            self._parameters.pop(name, None)
            self._modules.pop(name, None)
        object.__setattr__(self, name, value)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, own parameters first, each parameter once."""
        seen: set[int] = set()
        for name, param in self._named_parameters_with_duplicates(prefix):
            if id(param) not in seen:
                seen.add(id(param))
                yield name, param

    def _named_parameters_with_duplicates(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, param in self._parameters.items():
            yield prefix + name, param
        for name, module in self._modules.items():
            yield from module._named_parameters_with_duplicates(prefix + name + ".")

    def parameters(self) -> Iterator[Parameter]:
        for _, param in self.named_parameters():
            yield param

    def zero_grad(self) -> None:
        for param in self.parameters():
            param.grad = None

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no forward method")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)


class Linear(Module):
    """y = x @ weight.T + bias, weight [out, in], initialised uniformly in ±1/sqrt(in)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, size=(out_features, in_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, size=(out_features,))) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class Sequential(Module):
    """Apply modules in order; they are registered under the names "0", "1", ... as in torch."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def forward(self, x: Tensor) -> Tensor:
        for module in self._modules.values():
            x = module(x)
        return x


def mlp(sizes: tuple[int, ...], rng: np.random.Generator | None = None) -> Sequential:
    """Linear, ReLU, Linear, ReLU, ..., Linear through the given layer sizes."""
    layers: list[Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(ReLU())
        layers.append(Linear(n_in, n_out, rng=rng))
    return Sequential(*layers)


def cross_entropy(logits: Tensor, targets: Arr) -> Tensor:
    """Mean over the batch of -log softmax(logits)[target], computed stably."""
    shift = logits.array.max(axis=-1, keepdims=True)  # a constant: no gradient flows through it
    shifted = logits - shift
    log_norm = shifted.exp().sum(dim=-1).log()  # [batch]
    picked = shifted[np.arange(len(targets)), np.asarray(targets)]  # [batch]
    return (log_norm - picked).mean()


def load_digits_split(test_fraction: float = 0.25, seed: int = 0) -> tuple[Arr, Arr, Arr, Arr]:
    """scikit-learn's 8x8 digits (shipped with the package): x in [0, 1], a seeded split.

    Returns x_train [n, 64], y_train [n], x_test [m, 64], y_test [m].
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(len(y) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]
