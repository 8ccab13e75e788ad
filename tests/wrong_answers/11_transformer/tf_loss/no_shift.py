# MISTAKE: Matches the logits at p with the token at p instead of p + 1.
# NAMED: no shift
"""Next-token log-probabilities and the language-modelling loss.

Goal: write two functions.

1. `next_token_log_probs(logits, tokens)`: the logits at position p are the model's prediction
   for the token at position p + 1. Return, for every p from 0 to pos - 2, the log-probability
   the model gave to the token that really came next:
       out[b, p] = log_softmax(logits[b, p])[tokens[b, p + 1]]        shape [batch, pos - 1]
   The last position's logits predict a token we do not have, so they are not used.
2. `lm_cross_entropy(logits, tokens)`: the loss a language model is trained on, the mean over
   batch and positions of -out. A scalar tensor.

Rules: `log_softmax` (stable; never `softmax(...).log()`) and `gather` or integer-array indexing.
No `torch.nn.functional.cross_entropy` / `nll_loss`.

Worked example (batch 1, pos 3, d_vocab 2):
    logits = [[[0., 0.], [2., 0.], [9., 9.]]]     tokens = [[1, 1, 0]]
    out = [[log 1/2, log(e^2 / (e^2 + 1))]] = [[-0.693, -0.127]]
    loss = (0.693 + 0.127) / 2 = 0.410

A model that knows nothing (uniform over d_vocab tokens) has loss log(d_vocab); anything lower
means it has learned something about the text.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def next_token_log_probs(
    logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]
) -> Float[Tensor, "batch pos_minus_1"]:
    """log P(tokens[:, p + 1] | tokens[:, :p + 1]) for p = 0 .. pos - 2."""
    # BEGIN SOLUTION: log_softmax over d_vocab of logits[:, :-1], then gather at tokens[:, 1:] (about 2 lines)
    log_probs = logits[:, :-1].log_softmax(dim=-1)  # [batch, pos - 1, d_vocab]
    return log_probs.gather(dim=-1, index=tokens[:, :-1, None])[..., 0]
    # END SOLUTION


def lm_cross_entropy(logits: Float[Tensor, "batch pos d_vocab"], tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, ""]:
    """The mean next-token cross-entropy (a 0-dimensional tensor)."""
    # BEGIN SOLUTION: minus the mean of next_token_log_probs (about 1 line)
    return -next_token_log_probs(logits, tokens).mean()
    # END SOLUTION
