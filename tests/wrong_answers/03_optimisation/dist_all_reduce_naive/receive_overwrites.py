# MISTAKE: Receives every rank's tensor into the result instead of adding it (keeps only the last).
# NAMED: the last one received: add each received tensor
"""All-reduce, the simple way: gather everything on rank 0, add, send the sum back.

Goal: replace the tensor of every rank by the element-wise sum of the tensors of all ranks,
in place, like `dist.all_reduce(tensor)` does, using only point-to-point messages.

All-reduce is the collective that data-parallel training runs after every backward pass
(every rank adds up everybody's gradients), so its cost matters. This version:

    every rank r != 0:  send its tensor to rank 0, then receive the total from rank 0
    rank 0:             receive each other rank's tensor and add it to its own,
                        then send the total to each other rank

Rank 0 does all the work and moves 2 (world_size - 1) whole tensors through its one network
link while the other links sit idle: the time grows linearly with the number of ranks.
(`dist_ring_all_reduce` fixes that.)

Rules: `dist.send`, `dist.recv`, `dist.get_rank`, `dist.get_world_size`, tensor arithmetic
(collectives raise inside the checks). Receive into a separate buffer (`torch.empty_like`):
receiving into `tensor` itself would overwrite rank 0's own contribution.

Worked example (3 ranks):
    rank:        0          1          2
    before:  [1., 2.]   [10., 20.]  [100., 200.]
    after:   [111., 222.] on every rank
"""

import torch
import torch.distributed as dist
from torch import Tensor


def all_reduce_naive(tensor: Tensor) -> None:
    """Sum `tensor` over all ranks, in place, through rank 0."""
    # BEGIN SOLUTION: rank 0 receives every other rank's tensor into a buffer and adds it, then sends the total back; the others send, then receive (about 12 lines)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        incoming = torch.empty_like(tensor)
        for other in range(1, world_size):
            dist.recv(incoming, src=other)
            tensor.copy_(incoming)
        for other in range(1, world_size):
            dist.send(tensor, dst=other)
    else:
        dist.send(tensor, dst=0)
        dist.recv(tensor, src=0)
    # END SOLUTION
