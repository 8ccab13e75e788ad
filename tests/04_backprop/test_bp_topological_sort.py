import numpy as np
import pytest

from arena_cli.testing import load_exercise, mistake

ex = load_exercise(__file__)


class Node:
    """A graph node compared by identity; `children` may be filled in after creation."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.children: list["Node"] = []

    def __repr__(self) -> str:
        return self.name


def reachable(start, get_children) -> set:
    """Breadth-first search: the set every valid answer must equal."""
    found, frontier = {start}, [start]
    while frontier:
        frontier = [c for n in frontier for c in get_children(n) if c not in found and not found.add(c)]
    return found


def assert_topological(order, start, get_children, what: str) -> None:
    assert isinstance(order, list), f"{what}: return a list, got {type(order).__name__}"
    positions: dict = {}
    for i, node in enumerate(order):
        assert node not in positions, (
            f"{what}: node {node!r} appears twice (at {positions[node]} and {i}); "
            "keep a set of visited nodes so shared nodes are listed once"
        )
        positions[node] = i
    expected = reachable(start, get_children)
    missing, extra = expected - positions.keys(), positions.keys() - expected
    assert not missing, f"{what}: reachable nodes missing from the order: {sorted(map(repr, missing))[:5]}"
    assert not extra, f"{what}: nodes that are not reachable from the start: {sorted(map(repr, extra))[:5]}"
    for node in order:
        for child in get_children(node):
            assert positions[child] < positions[node], (
                f"{what}: child {child!r} (position {positions[child]}) must come before its parent "
                f"{node!r} (position {positions[node]})"
            )
    assert order[-1] == start, f"{what}: the start node must come last, got {order[-1]!r}"


def test_worked_example():
    graph = {0: [1, 2], 1: [3], 2: [3], 3: []}
    assert_topological(ex.topological_sort(0, graph.__getitem__), 0, graph.__getitem__, "the docstring's graph")


def test_single_node():
    assert ex.topological_sort("x", lambda n: []) == ["x"], "a node without children sorts to [itself]"


def test_diamond_lists_the_shared_node_once():
    top, left, right, bottom = Node("top"), Node("left"), Node("right"), Node("bottom")
    top.children = [left, right]
    left.children = [bottom]
    right.children = [bottom]
    children = lambda n: n.children
    assert_topological(ex.topological_sort(top, children), top, children, "diamond")


def test_node_used_twice_by_the_same_parent():
    # like x * x: the same child appears twice in the parent's list
    x, square = Node("x"), Node("x*x")
    square.children = [x, x]
    order = ex.topological_sort(square, lambda n: n.children)
    assert_topological(order, square, lambda n: n.children, "x * x")


def test_child_listed_before_its_own_child():
    # `a` is a child of the top directly and through `b`: a naive pre-order puts it too early
    top, a, b = Node("top"), Node("a"), Node("b")
    top.children = [a, b]
    b.children = [a]
    a.children = []
    children = lambda n: n.children
    assert_topological(ex.topological_sort(top, children), top, children, "top -> a, top -> b -> a")
    top.children = [b, a]
    assert_topological(ex.topological_sort(top, children), top, children, "top -> b -> a, top -> a")


def test_stacked_diamonds_are_explored_once():
    # 40 diamonds in a row have 2**40 paths: a walk that re-explores shared nodes never ends
    depth = 40
    bottom = Node("d0")
    current = bottom
    visits = {"count": 0}
    for i in range(1, depth + 1):
        left, right, top = Node(f"l{i}"), Node(f"r{i}"), Node(f"d{i}")
        left.children = [current]
        right.children = [current]
        top.children = [left, right]
        current = top

    budget = 2 * (3 * depth + 1)

    def children(n):
        visits["count"] += 1
        if visits["count"] > budget:  # stop a walk that would take 2**40 steps
            pytest.fail(f"get_children was called over {budget} times for {3 * depth + 1} nodes: explore each node once")
        return n.children

    order = ex.topological_sort(current, children)
    assert_topological(order, current, lambda n: n.children, "40 stacked diamonds")


def test_handles_a_chain_of_10000_nodes():
    n = 10_000
    children = lambda i: [i - 1] if i > 0 else []
    try:
        order = ex.topological_sort(n - 1, children)
    except RecursionError:
        pytest.fail("RecursionError on a chain of 10000 nodes: use an explicit stack instead of recursion")
    assert order == list(range(n)), "a chain has one valid order: 0, 1, ..., 9999"


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_random_dags(seed):
    # edges only go from a higher to a lower number, so there are no cycles
    rng = np.random.default_rng(seed)
    n = 60
    graph = {i: sorted({int(c) for c in rng.integers(0, i, size=rng.integers(0, 4))}) if i else [] for i in range(n)}
    # wire node n-1 to a few nodes so a sizeable part of the graph is reachable
    graph[n - 1] = sorted(set(graph[n - 1]) | {n - 2, n - 3, n // 2})
    children = graph.__getitem__
    assert_topological(ex.topological_sort(n - 1, children), n - 1, children, f"random DAG (seed {seed})")


def test_common_mistakes_are_named():
    # a diamond: top -> (left, right) -> bottom
    top, left, right, bottom = Node("top"), Node("left"), Node("right"), Node("bottom")
    top.children, left.children, right.children = [left, right], [bottom], [bottom]
    order = ex.topological_sort(top, lambda n: n.children)
    if isinstance(order, list) and order:
        if order[0] is top and len(order) == 4:
            raise mistake("the start node came first; every node must come *after* its children (append a node "
                          "once all its children are done), so the start comes last", f"got {order}")
        first = {}
        for position, node in enumerate(order):
            first.setdefault(id(node), position)
        if first.get(id(left), -1) >= 0 and first[id(left)] < first.get(id(bottom), -1):
            raise mistake("a node was added to the order before its children (pre-order); add it only once all "
                          "its children are in the order", f"got {order}")
        if len(order) > len(set(map(id, order))):
            raise mistake("a node reached along two paths was listed twice: keep a `seen` set", f"got {order}")
