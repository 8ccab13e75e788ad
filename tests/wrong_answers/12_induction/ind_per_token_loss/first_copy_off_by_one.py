# MISTAKE: Reads the first copy at indices 1 … half_len instead of 0 … half_len - 1.
# NAMED: one index too late
"""Per-token loss, and the drop on the repeated half.

Goal:
1. `per_token_loss(logits, tokens)`: the cross-entropy of every next-token prediction:
   `loss[b, p] = -log softmax(logits[b, p])[tokens[b, p + 1]]` for p = 0 … pos-2.
   Output [batch, pos - 1] (the last position has nothing to predict).
2. `loss_on_copies(losses, half_len)`: on repeated tokens (`<bos>`, a copy of `half_len` tokens
   at positions 1 … half_len, the same copy again at half_len+1 … 2*half_len), the mean loss
   over the batch of
   - the first copy: predicting tokens 1 … half_len (none of them is predictable);
   - the second copy: predicting tokens half_len+2 … 2*half_len (each is predictable from the
     first copy; token half_len+1, the start of the repeat, is not, so it is left out).
   Returns two Python floats `(first, second)`.

Rules: `log_softmax` and `gather` (no `torch.nn.functional.cross_entropy`: the checks compare
with it). Mind the offset: the loss of predicting token t sits at index t - 1.

Worked example (half_len 2: tokens <bos> A B A B, losses at index 0 … 3):
    index 0 predicts A, 1 predicts B  -> first copy  = mean(losses[:, 0:2])
    index 2 predicts A (start)        -> left out
    index 3 predicts B                -> second copy = mean(losses[:, 3:4])
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def per_token_loss(
    logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "batch pos_minus_1"]:
    """The loss of predicting token p + 1 from position p, for every p but the last."""
    # BEGIN SOLUTION: log_softmax over the vocabulary of logits[:, :-1], gather at tokens[:, 1:], negate (about 3 lines)
    log_probs = logits[:, :-1].log_softmax(dim=-1)  # [batch, pos-1, d_vocab]
    next_tokens = tokens[:, 1:, None]  # [batch, pos-1, 1]
    return -log_probs.gather(dim=-1, index=next_tokens).squeeze(-1)
    # END SOLUTION


def loss_on_copies(losses: Float[Tensor, "batch pos_minus_1"], half_len: int) -> tuple[float, float]:
    """Mean loss on the first copy (tokens 1 … half_len) and on the second (half_len+2 … 2*half_len)."""
    # BEGIN SOLUTION: slice the loss of token t at index t - 1 for both ranges, .mean().item() (about 3 lines)
    first = losses[:, 1 : half_len + 1]
    second = losses[:, half_len + 1 :]  # predicting tokens half_len+2 … 2*half_len
    return first.mean().item(), second.mean().item()
    # END SOLUTION
