# MISTAKE: logit[S] - logit[IO] instead of logit[IO] - logit[S].
# NAMED: IO and S are swapped
"""The metric of the whole section: the logit difference, and its normalised form.

On "When Mary and John went to the park , John gave a ball to" the model should say Mary (the
indirect object, IO) rather than John (the subject, S). How much it prefers IO is the logit
difference at the last position: logit[IO] - logit[S]. Patching experiments compare a run with
a reference: the *clean* prompt (the model knows the answer) and its *corrupted* twin (S2
replaced by a third name, so the prompt no longer says who the answer is). The normalised metric
puts the two on one scale: 0 means "as the corrupted run", 1 means "as the clean run".

Goal:
1. `logit_diff(logits, io, s, end, per_prompt=False)`: logit[IO] - logit[S] at position
   `end[i]` of each prompt i: a [batch] tensor with `per_prompt=True`, else its mean (0-dim).
2. `normalised_metric(logit_diff, clean_diff, corrupted_diff)`:
   (logit_diff - corrupted_diff) / (clean_diff - corrupted_diff).

Rules: torch indexing; do not assume the answer is at the last position (read it at `end`).

Worked example (1 prompt, 2 positions, vocabulary of 3; IO = 2, S = 0, end = 0):
    logits[0, 0] = [1.0, 5.0, 4.0]  ->  logit_diff = 4.0 - 1.0 = 3.0
    normalised_metric(3.0, clean_diff=5.0, corrupted_diff=1.0) = (3 - 1) / (5 - 1) = 0.5
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def logit_diff(
    logits: Float[Tensor, "batch pos d_vocab"],
    io: Int[Tensor, "batch"],
    s: Int[Tensor, "batch"],
    end: Int[Tensor, "batch"],
    per_prompt: bool = False,
) -> Float[Tensor, "..."]:
    """logit[IO] - logit[S] at each prompt's end position; the mean unless `per_prompt`."""
    # BEGIN SOLUTION: index logits[rows, end] to [batch, d_vocab], then [rows, io] - [rows, s]; mean unless per_prompt (about 4 lines)
    rows = torch.arange(logits.shape[0])
    final = logits[rows, end]  # [batch, d_vocab]
    diff = final[rows, s] - final[rows, io]  # [batch]
    return diff if per_prompt else diff.mean()
    # END SOLUTION


def normalised_metric(logit_diff: Float[Tensor, "..."], clean_diff: float, corrupted_diff: float) -> Float[Tensor, "..."]:
    """0 where `logit_diff` equals the corrupted run's, 1 where it equals the clean run's."""
    # BEGIN SOLUTION: (logit_diff - corrupted) / (clean - corrupted) (about 1 line)
    return (logit_diff - corrupted_diff) / (clean_diff - corrupted_diff)
    # END SOLUTION
