# MISTAKE: Appends a node before its children (pre-order).
# NAMED: a node was added to the order before its children
"""Topological sort: an order in which every node comes after everything it depends on.

Goal: write `topological_sort(node, get_children)`: all nodes reachable from `node` (itself
included) through `get_children`, each exactly once, ordered so that every node comes *after*
all of its children. `node` itself therefore comes last.

Backprop needs this order (reversed): a tensor may pass its gradient on to its parents only once
every path into it has delivered its share, and in a graph where one node is used twice (a
diamond, or `x * x`) that is not true of a naive depth-first walk. Here the function is generic:
nodes are anything hashable (compare them with `in` on a set, never by value of their data), and
`get_children(n)` returns an iterable of n's children. For Tensors the children are the
`creator.parents`; the engine calls this function with exactly that.

Rules:
  - Visit each node once: keep a set of the nodes already seen, so a shared node is neither
    listed twice nor explored twice (a diamond chain of depth 40 has 2**40 paths).
  - Depth: graphs of ten thousand chained ops are ordinary (a long loop, an unrolled RNN), and
    Python's recursion limit is about 1000. Use an explicit stack, not recursion.
  - Graphs here have no cycles.

Worked example (an integer graph given as a dict; 3 is shared by 1 and 2):
    >>> graph = {0: [1, 2], 1: [3], 2: [3], 3: []}
    >>> topological_sort(0, graph.__getitem__)
    [3, 1, 2, 0]
(`[3, 2, 1, 0]` is also a valid answer: any order that puts children first passes.)
"""

from collections.abc import Callable, Iterable
from typing import TypeVar

Node = TypeVar("Node")


def topological_sort(node: Node, get_children: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node reachable from `node`, once each, children before parents (`node` last)."""
    # BEGIN SOLUTION: iterative depth-first search with a stack of (node, iterator over its children) and a `seen` set; append a node once all its children are done (about 14 lines)
    order: list[Node] = []
    seen = {node}
    stack = [(node, iter(get_children(node)))]
    while stack:
        current, children = stack[-1]
        for child in children:
            if child not in seen:
                seen.add(child)
                order.append(child)
                stack.append((child, iter(get_children(child))))
                break  # finish the child's subtree before the rest of current's children
        else:  # every child of `current` is in `order`, so `current` can follow them
            stack.pop()
            order.append(current)
    return order
    # END SOLUTION
