# MISTAKE: Divides the logits in place (logits /= temperature).
# NAMED: changed its argument `logits` in place
"""Sampling, part 1: greedy decoding, temperature, and drawing a token.

A language model gives logits for the next token; generating text means turning them into one
token id, again and again. Goal: write three functions, each working on a batch of rows
[batch, d_vocab] at once.

1. `greedy(logits)`: the most likely token of each row (the argmax). Deterministic, and often
   dull: it repeats itself.
2. `apply_temperature(logits, temperature)`: logits / temperature. Below 1 the distribution
   sharpens (towards greedy as temperature -> 0), above 1 it flattens (towards uniform).
3. `sample_from_logits(logits, generator)`: one token per row, drawn from softmax(logits), using
   `generator` for the randomness (so a seeded generator gives reproducible samples). Rows may
   contain -inf: those tokens must never be drawn (their probability is exactly 0).

Rules: `argmax`, `softmax`, `torch.multinomial(..., generator=generator)`. No
`torch.distributions` (it cannot take a generator).

Worked example:
    logits = [[1., 3., 2.]]
    greedy -> [1]
    apply_temperature(logits, 0.5) -> [[2., 6., 4.]]
    sample_from_logits draws 0, 1, 2 with probabilities 0.090, 0.665, 0.245
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def greedy(logits: Float[Tensor, "batch d_vocab"]) -> Int[Tensor, "batch"]:
    """The index of the largest logit of each row."""
    # BEGIN SOLUTION: argmax over the vocabulary axis (about 1 line)
    return logits.argmax(dim=-1)
    # END SOLUTION


def apply_temperature(logits: Float[Tensor, "batch d_vocab"], temperature: float) -> Float[Tensor, "batch d_vocab"]:
    """Logits divided by the temperature (which is > 0)."""
    # BEGIN SOLUTION: divide (about 1 line)
    logits /= temperature
    return logits
    # END SOLUTION


def sample_from_logits(
    logits: Float[Tensor, "batch d_vocab"], generator: torch.Generator | None = None
) -> Int[Tensor, "batch"]:
    """One token id per row, drawn from softmax(logits) with `generator`."""
    # BEGIN SOLUTION: softmax over the vocabulary, torch.multinomial with num_samples=1 and the generator, drop the last axis (about 2 lines)
    probs = logits.softmax(dim=-1)  # [batch, d_vocab]
    return torch.multinomial(probs, num_samples=1, generator=generator)[:, 0]
    # END SOLUTION
