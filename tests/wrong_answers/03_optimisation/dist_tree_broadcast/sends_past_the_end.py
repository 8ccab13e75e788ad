# MISTAKE: Sends even when relative + d is past the last rank (wraps around).
# NAMED: send to relative + d only while relative + d < world_size
"""Broadcast along a binomial tree: log2(world_size) rounds instead of world_size - 1.

Goal: the same result as `dist.broadcast(tensor, src)`, but faster for many ranks. When the
source sends to every rank in turn, the last rank waits for world_size - 1 sends. Instead, let
every rank that already has the data pass it on: after round 1, two ranks have it; after round
2, four; after round k, 2^k. Numbering ranks relative to the source (r = (rank - src) mod
world_size), in the round with distance d = 1, 2, 4, ...:

    ranks with r < d            send to relative rank r + d   (if that is < world_size)
    ranks with d <= r < 2 d     receive from relative rank r - d

So relative rank 0 sends to 1, then 2, then 4...; rank 1 sends to 3, then 5...; everyone is
reached after ceil(log2(world_size)) rounds, with world_size - 1 messages in all.

Rules: `dist.send`, `dist.recv`, `dist.get_rank`, `dist.get_world_size` only. The checks count
your messages and work out in which round each rank gets the data (a rank's k-th send after it
has the data arrives k rounds later); the last rank must be reached within ceil(log2(world_size))
rounds, and nobody may receive twice.

Worked example (5 ranks, src = 0; "a -> b" is a message):
    round 1 (d = 1):  0 -> 1
    round 2 (d = 2):  0 -> 2,  1 -> 3
    round 3 (d = 4):  0 -> 4                  all 5 ranks have it after 3 rounds, not 4
With src = 2 the same pattern runs on ranks 2, 3, 4, 0, 1 (relative 0, 1, 2, 3, 4).
"""

import torch.distributed as dist
from torch import Tensor


def tree_broadcast(tensor: Tensor, src: int) -> None:
    """Overwrite `tensor` on every rank with the `tensor` of rank `src`, in place, along a
    binomial tree."""
    # BEGIN SOLUTION: compute the relative rank, then for d = 1, 2, 4, ... while d < world_size: send to relative + d if relative < d, receive from relative - d if d <= relative < 2d; convert relative ranks back with (r + src) % world_size (about 12 lines)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    relative = (rank - src) % world_size

    def absolute(relative_rank: int) -> int:
        return (relative_rank + src) % world_size

    distance = 1
    while distance < world_size:
        if relative < distance:
            dist.send(tensor, dst=absolute(relative + distance))
        elif distance <= relative < 2 * distance:
            dist.recv(tensor, src=absolute(relative - distance))
        distance *= 2
    # END SOLUTION
