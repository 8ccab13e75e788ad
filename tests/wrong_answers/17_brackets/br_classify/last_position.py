# MISTAKE: reads the class at the last position
# NAMED: not at the last position
"""Ask the model: balanced or not?

Goal: run the zoo's `brackets` classifier on a list of strings and read its answer.

- `encode(strings)` (from `arena_cli.zoo.brackets`) gives the token ids [batch, 1 + longest]
  (`<start>` first, `<pad>` after each string) and the attention mask (1 on real tokens).
- The model is **bidirectional** (every position reads every other one), so padding must be
  hidden from it: pass `attention_mask=mask`. Without the mask, the `<pad>` tokens of the
  shorter strings of a batch change their answer.
- The class is read at **position 0** (`<start>`), a 2-way logit: index 0 = unbalanced,
  index 1 = balanced (`UNBALANCED`, `BALANCED`).

1. `balanced_probability(model, strings)`: P(balanced) of every string, [batch].
2. `accuracy(model, strings)`: the share of strings the model classifies right (P > 0.5 on
   the balanced ones, < 0.5 on the others), checked against the rule `is_balanced`.

Rules: `model(tokens, attention_mask=...)` and torch.

Worked example:
    balanced_probability(model, ["(())", "())("])   -> about [1.0, 0.0]
"""

import torch
from jaxtyping import Float
from torch import Tensor

from arena_cli.zoo.brackets import BALANCED, encode, is_balanced


def balanced_probability(model, strings: list[str]) -> Float[Tensor, " batch"]:
    """P(balanced) read at position 0, with the padding masked."""
    # BEGIN SOLUTION: encode, run with attention_mask, softmax of the logits at position 0, take column BALANCED (about 3 lines)
    tokens, mask = encode(strings)
    logits = model(tokens, attention_mask=mask)  # [batch, pos, 2]
    return logits[:, -1].softmax(dim=-1)[:, BALANCED]
    # END SOLUTION


def accuracy(model, strings: list[str]) -> float:
    """The share of strings classified right."""
    # BEGIN SOLUTION: compare P > 0.5 with the rule is_balanced, mean (about 3 lines)
    predicted = balanced_probability(model, strings) > 0.5
    truth = torch.tensor([is_balanced(s) for s in strings])
    return float((predicted == truth).float().mean())
    # END SOLUTION
