# MISTAKE: drops the <bos> column
# NAMED: must start with <bos>
"""In-context learning prompts: zero-shot, few-shot and shuffled labels, and the model's accuracy.

The zoo's `icl` model reads prompts `<bos> x1 x1:y1 x2 x2:y2 … x` and predicts `x:f(x)` at the
last position, where f is one of the tasks of `arena_cli.zoo.icl.TASK_NAMES` (for example
`upper`: a -> A, or `cipher2`: a fixed substitution of the 16 letters `a` … `p`). Each example
is one token `x:y` (the input and its output), after the input letter on its own; the answer
is the example token of the query. The examples are the only clue to which task it is, so the
three kinds of prompt the section works with are:

- zero-shot: no example, `<bos> x` (the model can only guess the task: about 1 in 6);
- few-shot: k examples of the task, then the query;
- shuffled labels (the *corrupted* prompts): each example keeps its input but gets the output
  of another example, so the outputs still look like the task's outputs but no longer follow it.

Token ids (`arena_cli.zoo.icl`): `<bos>` 0, the letters `a` … `p` FIRST_LETTER + 0 … 15 (3 … 18),
the example `x:y` FIRST_PAIR + 32·x + y (FIRST_PAIR = 19), with x the input's index (0 … 15) and
y the output's (0 … 15 for `a` … `p`, 16 … 31 for `A` … `P`).

Goal:
1. `build_prompts(xs, examples)`: from inputs xs [batch, k+1] (letter token ids) and their
   example tokens [batch, k+1] (`x:f(x)` ids), the prompts `<bos> x1 x1:y1 … xk xk:yk x_{k+1}`
   ([batch, 2k+2]) and the answers examples[:, -1] ([batch]). The last example is the
   answer, not part of the prompt.
2. `shuffle_labels(tokens, order)`: a copy of few-shot prompts whose i-th example is
   `x_i:y_j` with y_j the output of example j = order[b, i] (order [batch, k], a permutation
   of 0 … k-1 per row). The inputs and the query stay as they are.
3. `last_position_accuracy(model, tokens, answers)`: the fraction of prompts whose top-1
   prediction at the last position is the answer (a Python float).

Rules: torch only; leave your inputs unchanged.

Worked example (task upper):
    xs = [[3, 5, 8]] (a, c, f), examples = [[35, 101, 200]] (a:A, c:C, f:F)
    build_prompts -> tokens [[0, 3, 35, 5, 101, 8]], answers [200]
    shuffle_labels(tokens, order=[[1, 0]]) -> [[0, 3, 37, 5, 99, 8]] (a:C, c:A)
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.zoo.icl import FIRST_LETTER, FIRST_PAIR

BOS = 0
N_OUTPUTS = 32  # a … p, A … P


def build_prompts(
    xs: Int[Tensor, "batch n"], examples: Int[Tensor, "batch n"]
) -> tuple[Int[Tensor, "batch seq"], Int[Tensor, " batch"]]:
    """`<bos> x1 e1 … x_{n-1} e_{n-1} x_n` and the answers e_n (seq = 2n)."""
    # BEGIN SOLUTION: interleave xs and examples after a <bos> column, drop the last example (about 5 lines)
    batch, n = xs.shape
    tokens = torch.full((batch, 2 * n + 1), BOS, dtype=torch.long)
    tokens[:, 1::2] = xs
    tokens[:, 2::2] = examples
    return tokens[:, 1:-1], examples[:, -1].clone()
    # END SOLUTION


def shuffle_labels(tokens: Int[Tensor, "batch seq"], order: Int[Tensor, "batch k"]) -> Int[Tensor, "batch seq"]:
    """The prompts with example i made of its own input and example order[b, i]'s output."""
    # BEGIN SOLUTION: examples at positions 2, 4, …, 2k and their inputs one before; decode the outputs, gather them by `order`, re-encode with the inputs (about 6 lines)
    examples = tokens[:, 2:-1:2]  # [batch, k]
    inputs = tokens[:, 1:-1:2] - FIRST_LETTER
    outputs = (examples - FIRST_PAIR) % N_OUTPUTS
    shuffled = tokens.clone()
    shuffled[:, 2:-1:2] = FIRST_PAIR + N_OUTPUTS * inputs + outputs.gather(1, order)
    return shuffled
    # END SOLUTION


def last_position_accuracy(model, tokens: Int[Tensor, "batch seq"], answers: Int[Tensor, " batch"]) -> float:
    """Fraction of prompts whose top prediction at the last position is the answer."""
    # BEGIN SOLUTION: logits at position -1, argmax over the vocabulary, compare, mean (about 2 lines)
    logits: Float[Tensor, "batch vocab"] = model(tokens)[:, -1]
    return (logits.argmax(-1) == answers).float().mean().item()
    # END SOLUTION
