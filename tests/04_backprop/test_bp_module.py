import numpy as np
import torch
from torch import nn

from arena_cli.course import backprop as bp
from arena_cli.testing import load_exercise, mistake

ex = load_exercise(__file__)

OURS = (ex.Module, bp.Parameter, lambda *shape: np.zeros(shape))
TORCH = (nn.Module, nn.Parameter, lambda *shape: torch.zeros(shape))


def build_nested(Module, Parameter, zeros):
    """The same structure in either framework: own parameters assigned before and after submodules."""

    class Affine(Module):
        def __init__(self, n):
            super().__init__()
            self.scale = Parameter(zeros(n))
            self.shift = Parameter(zeros(n))

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.gain = Parameter(zeros(2))
            self.norm = Affine(2)
            self.inner = Affine(3)
            self.bias = Parameter(zeros(2))  # assigned after the submodules, listed before them

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.encoder = Block()
            self.temperature = Parameter(zeros(1))
            self.decoder = Block()

    return Net()


def names(module):
    return [name for name, _ in module.named_parameters()]


def assert_same_names(ours, theirs, what):
    got, want = names(ours), names(theirs)
    if got != want and (len(got) > len(set(got)) or len(got) > len({id(p) for _, p in ours.named_parameters()})):
        raise mistake("a shared parameter was listed under every name; list each parameter once (compare by id)",
                      f"{what}: got {got}, torch gives {want}")
    if got != want and sorted(got) == sorted(want):
        own = [i for i, n in enumerate(got) if "." not in n]
        if own and any("." in n for n in got[: own[-1]]):
            raise mistake("submodules' parameters came before the module's own; own parameters first, then each "
                          "submodule's", f"{what}: got {got}, torch gives {want}")
    assert got == want, f"{what}: named_parameters() gave\n  {got}\nbut torch.nn.Module gives\n  {want}"


def test_flat_module():
    def build(Module, Parameter, zeros):
        class Affine(Module):
            def __init__(self):
                super().__init__()
                self.weight = Parameter(zeros(3, 2))
                self.bias = Parameter(zeros(3))

        return Affine()

    assert_same_names(build(*OURS), build(*TORCH), "a module with two parameters")


def test_nested_modules_match_torch_names_and_order():
    assert_same_names(build_nested(*OURS), build_nested(*TORCH), "nested modules")


def test_pairs_hold_the_registered_objects():
    net = build_nested(*OURS)
    for name, param in net.named_parameters():
        owner = net
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        assert getattr(owner, attribute) is param, f"{name}: the pair should hold the very Parameter stored at net.{name}"
    assert [id(p) for p in net.parameters()] == [id(p) for _, p in net.named_parameters()]


def test_shared_parameter_is_listed_once():
    def build(Module, Parameter, zeros):
        class Leaf(Module):
            def __init__(self, weight):
                super().__init__()
                self.weight = weight
                self.own = Parameter(zeros(1))

        class Tied(Module):
            def __init__(self):
                super().__init__()
                shared = Parameter(zeros(4))
                self.left = Leaf(shared)
                self.right = Leaf(shared)

        return Tied()

    assert_same_names(build(*OURS), build(*TORCH), "a parameter shared by two submodules")


def test_shared_submodule_is_listed_once():
    def build(Module, Parameter, zeros):
        class Leaf(Module):
            def __init__(self):
                super().__init__()
                self.w = Parameter(zeros(2))

        class Twice(Module):
            def __init__(self):
                super().__init__()
                leaf = Leaf()
                self.a = leaf
                self.b = leaf
                self.c = Leaf()

        return Twice()

    assert_same_names(build(*OURS), build(*TORCH), "one submodule assigned under two names")


def test_plain_values_are_not_registered():
    class Holder(ex.Module):
        def __init__(self):
            super().__init__()
            self.weight = bp.Parameter(np.zeros(2))
            self.buffer = bp.Tensor(np.zeros(2), requires_grad=True)  # a Tensor, not a Parameter
            self.table = np.zeros(3)
            self.layers = [bp.Parameter(np.zeros(1))]  # a list is not searched (as in torch)
            self.size = 3

    holder = Holder()
    assert names(holder) == ["weight"], f"only Parameters and Modules are registered; got {names(holder)}"
    assert holder.size == 3 and holder.table.shape == (3,), "plain attributes must still be stored and readable"


def test_reassignment_replaces_the_entry():
    class Growing(ex.Module):
        def __init__(self):
            super().__init__()
            self.a = bp.Parameter(np.zeros(1))
            self.b = bp.Parameter(np.zeros(1))
            self.c = bp.Parameter(np.zeros(1))

    module = Growing()
    new_a = bp.Parameter(np.ones(1))
    module.a = new_a
    module.b = None
    module.c = 5.0
    got = module.named_parameters()
    if {"b", "c"} & {n for n, _ in got}:
        raise mistake("a name given a non-parameter value (None, a number) stayed registered; remove it from both dicts",
                      f"got {[n for n, _ in got]}")
    assert [n for n, _ in got] == ["a"], f"after reassigning b and c to non-parameters only 'a' is left; got {[n for n, _ in got]}"
    assert got[0][1] is new_a and module.a is new_a, "after `module.a = new_a`, both the attribute and the entry must be new_a"


def test_reassignment_keeps_the_place_in_the_order():
    def build(Module, Parameter, zeros):
        class Leaf(Module):
            def __init__(self):
                super().__init__()
                self.w = Parameter(zeros(2))

        class Net(Module):
            def __init__(self):
                super().__init__()
                self.a = Parameter(zeros(1))
                self.b = Parameter(zeros(1))
                self.first = Leaf()
                self.second = Leaf()
                self.a = Parameter(zeros(3))  # a new Parameter under an existing name
                self.first = Leaf()  # a new Module under an existing name

        return Net()

    ours, theirs = build(*OURS), build(*TORCH)
    got, want = names(ours), names(theirs)
    if got != want and got == ["b", "a", "second.w", "first.w"]:
        raise mistake(
            "a re-assigned name moved to the end of the order; assigning a new Parameter (or Module) "
            "to a name that already holds one keeps its place, as in torch (dict[name] = value keeps the position)",
            f"got {got}, torch gives {want}",
        )
    assert_same_names(ours, theirs, "parameters and modules re-assigned under their own names")
    assert ours.a.array.shape == (3,) and names(ours).count("a") == 1
    engine = build(bp.Module, bp.Parameter, OURS[2])  # the engine's own Module follows the same rule
    assert [n for n, _ in engine.named_parameters()] == want, "arena_cli.course.backprop.Module disagrees with torch"


def test_zero_grad_reaches_nested_parameters():
    net = build_nested(*OURS)
    for param in net.parameters():
        param.grad = np.ones_like(param.array)
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters()), "zero_grad must reach every parameter, nested ones included"
    want = len(list(build_nested(*TORCH).parameters()))
    assert len(list(net.parameters())) == want, f"the nested test model has {want} parameters"
