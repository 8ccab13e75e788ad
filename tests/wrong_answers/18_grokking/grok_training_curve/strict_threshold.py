# MISTAKE: first_step uses > instead of >=
# NAMED: first_step compared with >
"""The training curve: memorise first, generalise thousands of steps later.

Goal: the zoo model's training logged its losses and accuracies every 10 steps
(`arena_cli.zoo.grokking.training_curve()`: a dict of 1D tensors "step", "train_loss",
"test_loss", "train_acc", "test_acc", 351 entries from step 0 to 3500). Summarise it:

1. `first_step(curve, key, threshold)`: the first logged **step** (not index) where
   `curve[key] >= threshold`; -1 if it never gets there.
2. `summarise(curve)`: {"memorised": first step with train_acc >= 0.99,
   "grokked": first step with test_acc >= 0.99,
   "peak_test_loss_step": the step where the test loss is highest,
   "delay": grokked - memorised}.

The training set is 30 % of all pairs, so memorising it is easy; generalising to the other
70 % takes many times longer (the delay is the famous part of grokking). Between the two, the
test loss goes *up* far above ln p: the memorised table is confidently wrong on unseen pairs.

Rules: torch.

Worked example: curve {"step": [0, 10, 20], "train_acc": [0.2, 0.995, 1.0], …}:
first_step(curve, "train_acc", 0.99) = 10; first_step(curve, "train_acc", 2.0) = -1.
"""

from torch import Tensor


def first_step(curve: dict[str, Tensor], key: str, threshold: float) -> int:
    """The first step where curve[key] >= threshold, or -1."""
    # BEGIN SOLUTION: nonzero of the condition; map the index to curve["step"] (4 lines)
    hits = (curve[key] > threshold).nonzero()
    if len(hits) == 0:
        return -1
    return int(curve["step"][hits[0, 0]])
    # END SOLUTION


def summarise(curve: dict[str, Tensor]) -> dict[str, int]:
    """memorised, grokked, peak_test_loss_step, delay."""
    # BEGIN SOLUTION: two first_step calls, an argmax of the test loss mapped to its step, a difference (about 5 lines)
    memorised = first_step(curve, "train_acc", 0.99)
    grokked = first_step(curve, "test_acc", 0.99)
    peak = int(curve["step"][curve["test_loss"].argmax()])
    return {"memorised": memorised, "grokked": grokked, "peak_test_loss_step": peak, "delay": grokked - memorised}
    # END SOLUTION
