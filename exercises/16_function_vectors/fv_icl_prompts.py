"""In-context learning prompts: zero-shot, few-shot and shuffled labels, and the model's accuracy.

The zoo's `icl` model reads prompts `<bos> x1 y1 x2 y2 … xk yk x` and predicts f(x) at the last
position, where f is one of the tasks of `arena_cli.zoo.icl.TASK_NAMES` (for example `upper`:
a -> A, or `cipher2`: a fixed substitution of the 16 letters `a` … `p`). The examples are the
only clue to which task it is, so the three kinds of prompt the section works with are:

- zero-shot: no example, `<bos> x` (the model can only guess the task: about 1 in 12);
- few-shot: k examples of the task, then the query;
- shuffled labels (the *corrupted* prompts): the same examples with their outputs moved to
  other examples, so the outputs still look like the task's outputs but no longer follow it.

Goal:
1. `build_prompts(xs, ys)`: from inputs xs [batch, k+1] and their outputs ys [batch, k+1]
   (token ids), the prompts `<bos> x1 y1 … xk yk x_{k+1}` ([batch, 2k+2]) and the answers
   ys[:, -1] ([batch]). The last output is the answer, not part of the prompt.
2. `shuffle_labels(tokens, order)`: a copy of few-shot prompts whose i-th example's output is
   replaced by the output of example `order[b, i]` (order [batch, k], a permutation of 0 … k-1
   per row). Inputs and the query stay where they are.
3. `last_position_accuracy(model, tokens, answers)`: the fraction of prompts whose top-1
   prediction at the last position is the answer (a Python float).

Rules: torch only; leave your inputs unchanged.

Worked example (token ids: `<bos>` 0, letters `a` … `p` 3 … 18, `A` … `P` 19 … 34):
    xs = [[3, 5, 8]], ys = [[19, 21, 24]]   (task upper: a -> A, c -> C, f -> F)
    build_prompts -> tokens [[0, 3, 19, 5, 21, 8]], answers [24]
    shuffle_labels(tokens, order=[[1, 0]]) -> [[0, 3, 21, 5, 19, 8]]
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

BOS = 0


def build_prompts(
    xs: Int[Tensor, "batch n"], ys: Int[Tensor, "batch n"]
) -> tuple[Int[Tensor, "batch seq"], Int[Tensor, " batch"]]:
    """`<bos> x1 y1 … x_{n-1} y_{n-1} x_n` and the answers y_n (seq = 2n)."""
    raise NotImplementedError('interleave xs and ys after a <bos> column, drop the last y (about 5 lines)')


def shuffle_labels(tokens: Int[Tensor, "batch seq"], order: Int[Tensor, "batch k"]) -> Int[Tensor, "batch seq"]:
    """The prompts with example i's output replaced by example order[b, i]'s output."""
    raise NotImplementedError('the outputs sit at positions 2, 4, …, 2k; gather them by `order` into a clone (about 3 lines)')


def last_position_accuracy(model, tokens: Int[Tensor, "batch seq"], answers: Int[Tensor, " batch"]) -> float:
    """Fraction of prompts whose top prediction at the last position is the answer."""
    raise NotImplementedError('logits at position -1, argmax over the vocabulary, compare, mean (about 2 lines)')
