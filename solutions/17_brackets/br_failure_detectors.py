"""Two ways to be unbalanced, two detectors.

Goal: a string fails for one of two reasons (br_balanced_loop):

- `"elevation"`: the counts differ (total elevation != 0), e.g. `"(()"`;
- `"negative_prefix"`: the counts agree but some prefix has more `)` than `(`, e.g. `"())("`.

Does the model detect both with the same machinery? Use the per-component attributions of
br_component_attribution ([batch, 12], columns in the order of `COMPONENTS`) on strings of
every class, and ask which component responds to *one* failure and not the other:

1. `class_means(attributions, classes)`: [3, 12], the mean attribution of every component over
   the strings of each class, rows in the order of `CLASSES`.
2. `contrast(means)`: [2, 12], each failure class's means minus the balanced means (rows
   "elevation", "negative_prefix"): how much more a component pushes to "unbalanced" on
   that failure than on balanced strings.
3. `detectors(contrast)`: {"elevation": name, "negative_prefix": name}, for each failure
   class the component whose contrast on that class exceeds its contrast on the *other*
   failure class by the most (the most specific detector).

A component that pushes on every unbalanced string (the last MLP does) is not a detector of
either class in particular; that is why the third step compares the two failure classes.

Rules: torch; plain Python for the names.

Worked example (means [3, 2] for two components A, B):
    means    = [[0, 0], [4, 1], [1, 5]]        contrast = [[4, 1], [1, 5]]
    specific = [[3, -4], [-3, 4]]               detectors -> {"elevation": "A", "negative_prefix": "B"}
"""

import torch
from jaxtyping import Float
from torch import Tensor

COMPONENTS = ["embed", "pos_embed", "L0H0", "L0H1", "MLP0", "L1H0", "L1H1", "MLP1", "L2H0", "L2H1", "MLP2", "bias"]
CLASSES = ["balanced", "elevation", "negative_prefix"]


def class_means(attributions: Float[Tensor, "batch component"], classes: list[str]) -> Float[Tensor, "3 component"]:
    """Mean attribution per class (rows in CLASSES order)."""
    # BEGIN SOLUTION: for each class, a boolean mask over the batch, mean of those rows (about 3 lines)
    labels = torch.tensor([CLASSES.index(c) for c in classes])
    return torch.stack([attributions[labels == i].mean(dim=0) for i in range(len(CLASSES))])
    # END SOLUTION


def contrast(means: Float[Tensor, "3 component"]) -> Float[Tensor, "2 component"]:
    """Failure-class means minus balanced means."""
    # BEGIN SOLUTION: rows 1 and 2 minus row 0 (1 line)
    return means[1:] - means[:1]
    # END SOLUTION


def detectors(contrast: Float[Tensor, "2 component"], names: list[str] = COMPONENTS) -> dict[str, str]:
    """The most specific component of each failure class."""
    # BEGIN SOLUTION: specificity = contrast of this class minus contrast of the other; argmax per row (about 3 lines)
    specific = contrast - contrast.flip(0)
    return {cls: names[int(specific[i].argmax())] for i, cls in enumerate(CLASSES[1:])}
    # END SOLUTION
