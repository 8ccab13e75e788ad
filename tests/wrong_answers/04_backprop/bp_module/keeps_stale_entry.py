# MISTAKE: Leaves the old entry when a name is given a non-parameter.
# NAMED: stayed registered
"""Module and Parameter: find every parameter of a nested model by itself.

Goal: write two methods of `Module`, the base class of every layer and model:
  - `__setattr__(name, value)`: every attribute assignment `self.name = value` goes through it.
    Register `value` under `name` in `self._parameters` if it is a `Parameter`, in
    `self._modules` if it is a `Module`, and store it as a plain attribute either way (so that
    `self.name` reads it back). An assignment replaces whatever `name` held before: a name that
    now holds something else (None, a number) must leave both dicts, and a name that held a
    Parameter and is given a new Parameter keeps its place in the order (torch's rule: assigning
    to an existing dict key keeps its position; the same for a Module replaced by a Module).
  - `named_parameters()`: a list of `(dotted name, parameter)` pairs: this module's own
    parameters first (in the order they were first assigned), then, for each submodule in the
    order it was first assigned, that submodule's pairs with `"<submodule name>."` prefixed,
    recursively. A parameter reachable under several names (shared between two layers) is listed
    once, under the first name. These are torch.nn.Module's rules, so names and order match a
    torch model of the same structure ("encoder.0.weight").

`Parameter` (from the engine) is a Tensor with `requires_grad=True`: the leaves an optimiser
updates. A plain Tensor, a numpy array or a list of Parameters is *not* registered (torch's rule
too: use a Module to hold a list of layers).

Rules: plain Python. `object.__setattr__(self, name, value)` stores an attribute without
calling your `__setattr__` again. Compare parameters by identity (`id(p)` or `is`), never `==`.

Worked example:
    >>> class Affine(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = Parameter(np.ones(3))
    ...         self.shift = Parameter(np.zeros(3))
    >>> class Net(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.first = Affine()
    ...         self.second = Affine()
    ...         self.temperature = Parameter(np.ones(()))
    >>> [name for name, _ in Net().named_parameters()]
    ['temperature', 'first.scale', 'first.shift', 'second.scale', 'second.shift']
"""

from collections.abc import Iterator
from typing import Any

import numpy as np  # noqa: F401 (the worked example uses it)

from arena_cli.course.backprop import Parameter


class Module:
    """Base class: Parameters and Modules assigned as attributes are registered, in order."""

    _parameters: dict[str, Parameter]
    _modules: dict[str, "Module"]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning attributes")
        # BEGIN SOLUTION: put a Parameter in _parameters, a Module in _modules (dropping `name` from the other dict, or from both for anything else), then object.__setattr__ (about 9 lines)
        # a name that already holds a Parameter (Module) keeps its place in the order, as in torch
        if isinstance(value, Parameter):
            self._modules.pop(name, None)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._parameters.pop(name, None)
            self._modules[name] = value
        object.__setattr__(self, name, value)
        # END SOLUTION

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs: own parameters first, then each submodule's; no duplicates."""
        # BEGIN SOLUTION: walk the module tree (own _parameters, then each of _modules with "name." prefixed), skipping parameters already seen by id (about 12 lines)
        found: list[tuple[str, Parameter]] = []
        seen: set[int] = set()

        def walk(module: Module, prefix: str) -> None:
            for name, param in module._parameters.items():
                if id(param) not in seen:
                    seen.add(id(param))
                    found.append((prefix + name, param))
            for name, child in module._modules.items():
                walk(child, prefix + name + ".")

        walk(self, "")
        return found
        # END SOLUTION

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
