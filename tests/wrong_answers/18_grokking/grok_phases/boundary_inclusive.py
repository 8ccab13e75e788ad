# MISTAKE: a phase starts after its boundary step instead of at it
# NAMED: a phase starts after its boundary step
"""The three phases of grokking, read off the progress measures.

Goal: Nanda et al. (2023) split grokking into three phases; the curves of
grok_progress_measures show them in the zoo model too:

1. **memorisation**: the training loss falls to ~0, the test loss rises (the model learns a
   lookup table of its training pairs); the excluded loss is as low as the training loss.
2. **circuit formation**: the test loss stays high, but the restricted loss falls steadily: the
   Fourier algorithm is being built *next to* the memorised table, and the excluded loss starts
   to climb as the model relies on the algorithm for its training pairs.
3. **clean-up**: weight decay removes the memorised table; the excluded loss shoots above the
   loss of a uniform guess (ln p), the weight norm falls, and the test loss finally drops.

Read the boundaries off the measures ({"step", "train_loss", "test_loss", "train_acc",
"test_acc", "restricted_loss", "excluded_loss", "weight_norm"}, 1D tensors, one entry per
snapshot, oldest first) with these rules:

- `memorised`: the first step where train_acc >= 0.99 while test_acc < 0.5;
- `cleanup`: the first step after `memorised` where the excluded loss exceeds ln p (p = 113);
- `grokked`: the first step where test_acc >= 0.99.

1. `phase_boundaries(measures)`: {"memorised": step, "cleanup": step, "grokked": step}.
2. `phase_of(step, boundaries)`: "memorisation" (before `memorised`), "circuit formation"
   (from `memorised`, before `cleanup`), "clean-up" (from `cleanup`, before `grokked`) or
   "grokked" (from `grokked` on).
3. `weight_norm_drop(measures, boundaries)`: the weight norm at `cleanup` minus the one at
   `grokked` (positive: the clean-up shrinks the weights).

Rules: torch / plain Python.

Worked example: with train_acc [0.1, 1, 1, 1, 1], test_acc [0, 0, 0.2, 0.6, 1], excluded loss
[4, 0.1, 2, 9, 9] at steps [0, 10, 20, 30, 40] (p = 113, ln p = 4.73): memorised 10,
cleanup 30, grokked 40.
"""

import math

from torch import Tensor

P = 113


def _first(steps: Tensor, condition: Tensor) -> int:
    return int(steps[condition.nonzero()[0, 0]])


def phase_boundaries(measures: dict[str, Tensor]) -> dict[str, int]:
    """The steps where memorisation ends, clean-up starts, and the model has grokked."""
    steps = measures["step"]
    # BEGIN SOLUTION: three boolean conditions over the snapshots; the first True of each (the clean-up one also after `memorised`) (about 6 lines)
    memorised = _first(steps, (measures["train_acc"] >= 0.99) & (measures["test_acc"] < 0.5))
    cleanup = _first(steps, (steps >= memorised) & (measures["excluded_loss"] > math.log(P)))
    grokked = _first(steps, measures["test_acc"] >= 0.99)
    return {"memorised": memorised, "cleanup": cleanup, "grokked": grokked}
    # END SOLUTION


def phase_of(step: int, boundaries: dict[str, int]) -> str:
    """Which phase a step belongs to."""
    # BEGIN SOLUTION: compare with the three boundaries in order (about 7 lines)
    if step <= boundaries["memorised"]:
        return "memorisation"
    if step < boundaries["cleanup"]:
        return "circuit formation"
    if step < boundaries["grokked"]:
        return "clean-up"
    return "grokked"
    # END SOLUTION


def weight_norm_drop(measures: dict[str, Tensor], boundaries: dict[str, int]) -> float:
    """Weight norm at the start of the clean-up minus at grokking."""
    # BEGIN SOLUTION: look the two steps up in measures["step"] (3 lines)
    steps = measures["step"].tolist()
    norms = measures["weight_norm"]
    return float(norms[steps.index(boundaries["cleanup"])] - norms[steps.index(boundaries["grokked"])])
    # END SOLUTION
