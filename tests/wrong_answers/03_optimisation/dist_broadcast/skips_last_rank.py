# MISTAKE: Sends to ranks 0 .. world_size - 2 only (off by one).
# NAMED: the last rank, never got the data
"""Broadcast from point-to-point messages.

Goal: copy the tensor of one rank (`src`) into the tensor of every other rank, in place, like
`torch.distributed.broadcast` does, using only point-to-point messages.

Several processes ("ranks", numbered 0 .. world_size - 1) run this same function at the same
time, each with its own `tensor` (same shape and dtype everywhere). They are already joined in
a process group: `dist.get_rank()` says which one you are, `dist.get_world_size()` how many
there are. A message moves a tensor from one rank to another:

    dist.send(tensor, dst=3)     # on the sender: blocks until rank 3 has taken it
    dist.recv(tensor, src=0)     # on the receiver: blocks until it arrives, writes into `tensor`

Every send must be matched by a recv on the other side, or both ranks wait forever (the checks
end such a run after a few seconds and say which rank was waiting).

Rules: `dist.send`, `dist.recv`, `dist.get_rank`, `dist.get_world_size` only (collectives such
as `dist.broadcast` raise inside the checks). The simplest scheme is enough here: the source
sends to each other rank in turn. (`dist_tree_broadcast` makes it faster.)

Worked example (4 ranks, each starts with its own rank number):
    rank:    0     1     2     3
    before:  [0.]  [1.]  [2.]  [3.]
    broadcast(tensor, src=2)
    after:   [2.]  [2.]  [2.]  [2.]

Try it: `run_on_ranks(worker, 4)` from `arena_cli.course.distributed` runs a module-level
function `worker(rank, world_size)` of a file on 4 local processes and returns its results.
"""

import torch.distributed as dist
from torch import Tensor


def broadcast(tensor: Tensor, src: int) -> None:
    """Overwrite `tensor` on every rank with the `tensor` of rank `src`, in place."""
    # BEGIN SOLUTION: on the source, send to every other rank; elsewhere, receive from the source (about 6 lines)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if rank == src:
        for other in range(world_size - 1):
            if other != src:
                dist.send(tensor, dst=other)
    elif rank != world_size - 1:
        dist.recv(tensor, src=src)
    # END SOLUTION
