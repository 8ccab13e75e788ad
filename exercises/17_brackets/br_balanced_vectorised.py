"""The balanced check on a whole batch of token ids at once, with cumulative sums.

Goal: the model never sees strings; it sees token ids [batch, pos] (`<start>` first, then the
brackets, then `<pad>` up to the longest string of the batch):

    token ids: <start> = 0, <pad> = 1, ( = 2, ) = 3         (arena_cli.zoo.brackets)

1. `bracket_steps(tokens)`: +1 for `(`, -1 for `)`, 0 for `<start>` and `<pad>`: [batch, pos].
2. `elevation(tokens)`: the running elevation, a cumulative sum along the positions.
3. `failure_flags(tokens)`: two booleans per string, (total elevation != 0, some prefix below 0).
4. `is_balanced(tokens)`: neither flag.

Padding must count as nothing: a string is balanced or not whatever the batch it is padded in.

Rules: torch only, no Python loop over the batch or the positions (`torch.cumsum`,
comparisons, `.any`, `.amin`).

Worked example (tokens of "())(" and "(", padded to width 5):
    tokens          [[0, 2, 3, 3, 2], [0, 2, 1, 1, 1]]
    bracket_steps   [[0, 1, -1, -1, 1], [0, 1, 0, 0, 0]]
    elevation       [[0, 1, 0, -1, 0], [0, 1, 1, 1, 1]]
    failure_flags   (tensor([False, True]), tensor([True, False]))
    is_balanced     tensor([False, False])
"""

from jaxtyping import Bool, Int
from torch import Tensor

START, PAD, OPEN, CLOSE = 0, 1, 2, 3


def bracket_steps(tokens: Int[Tensor, "batch pos"]) -> Int[Tensor, "batch pos"]:
    """+1 for (, -1 for ), 0 for <start> and <pad>."""
    raise NotImplementedError('two comparisons with OPEN and CLOSE, one minus the other (1 line)')


def elevation(tokens: Int[Tensor, "batch pos"]) -> Int[Tensor, "batch pos"]:
    """The running elevation after each position."""
    raise NotImplementedError('cumsum of bracket_steps along the positions (1 line)')


def failure_flags(tokens: Int[Tensor, "batch pos"]) -> tuple[Bool[Tensor, " batch"], Bool[Tensor, " batch"]]:
    """(total elevation != 0, some prefix below 0) for every string."""
    raise NotImplementedError('the last column of the elevation is the total; its minimum along the positions tells a negative prefix (about 3 lines)')


def is_balanced(tokens: Int[Tensor, "batch pos"]) -> Bool[Tensor, " batch"]:
    """True where the string is balanced."""
    raise NotImplementedError('neither failure flag (2 lines)')
