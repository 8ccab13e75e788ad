# MISTAKE: Stops after the reduce-scatter (each rank holds only its one reduced chunk).
# NAMED: you stop after the reduce-scatter
"""Ring all-reduce: every link busy, each rank sends about 2x its tensor whatever the world size.

Goal: sum `tensor` over all ranks, in place, like `dist.all_reduce`, with messages passed only
around a ring (each rank sends to rank + 1 and receives from rank - 1, modulo world_size).

Split the tensor into world_size chunks (chunk c is `tensor.view(-1).tensor_split(n)[c]`).
Two phases of world_size - 1 steps each; in every step all ranks send one chunk at the same
time, so all links carry data at once:

    1. reduce-scatter: in step s, rank r sends chunk (r - s) mod n to the right, receives
       chunk (r - s - 1) mod n from the left and adds it to its own copy of that chunk.
       After n - 1 steps rank r holds the complete sum of chunk (r + 1) mod n.
    2. all-gather: in step s, rank r sends chunk (r + 1 - s) mod n (a complete sum) to the
       right, receives chunk (r - s) mod n from the left and overwrites its copy with it.

Each rank sends 2 (n - 1) chunks of size ~N/n: 2 (n - 1)/n * N elements in all, less than
2 N for any n, where the naive version makes rank 0 send (n - 1) N. That is why this is how
NCCL and gloo reduce large gradients (modern libraries mix rings with trees).

Deadlocks: if every rank first calls a blocking `dist.send`, all of them may wait for a
receiver forever. Start the send without waiting (`request = dist.isend(chunk, dst)`), then
`dist.recv`, then `request.wait()` before touching the sent chunk again.

Rules: `dist.send/recv/isend/irecv`, `dist.get_rank`, `dist.get_world_size`, tensor
arithmetic. Assume a contiguous tensor with at least world_size elements. The checks compare
with `dist.all_reduce`, and check that messages go only to the right-hand neighbour and that
no rank sends more than 2 (n - 1) chunks.

Worked example (3 ranks, chunks a, b, c; a0 = chunk a of rank 0, etc.):
    reduce-scatter step 0:  0 sends a0 -> 1 (1 has a0+a1),  1 sends b1 -> 2,  2 sends c2 -> 0
    reduce-scatter step 1:  0 sends c0+c2 -> 1,  1 sends a0+a1 -> 2,  2 sends b1+b2 -> 0
    now rank 0 has b complete, rank 1 has c, rank 2 has a; the all-gather passes them round.
"""

import torch
import torch.distributed as dist
from torch import Tensor


def ring_all_reduce(tensor: Tensor) -> None:
    """Sum `tensor` over all ranks, in place, passing chunks around a ring."""
    # BEGIN SOLUTION: chunk tensor.view(-1) with tensor_split; n - 1 reduce-scatter steps (isend one chunk right, recv the next from the left into a buffer, add), then n - 1 all-gather steps (isend, recv straight into the chunk) (about 20 lines)
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if world_size == 1:
        return
    chunks = tensor.view(-1).tensor_split(world_size)  # views: writing them writes `tensor`
    right, left = (rank + 1) % world_size, (rank - 1) % world_size

    for step in range(world_size - 1):  # reduce-scatter
        outgoing = chunks[(rank - step) % world_size]
        target = chunks[(rank - step - 1) % world_size]
        incoming = torch.empty_like(target)
        request = dist.isend(outgoing, dst=right)
        dist.recv(incoming, src=left)
        request.wait()
        target += incoming

    for step in range(0):  # all-gather
        outgoing = chunks[(rank + 1 - step) % world_size]
        target = chunks[(rank - step) % world_size]
        request = dist.isend(outgoing, dst=right)
        dist.recv(target, src=left)
        request.wait()
    # END SOLUTION
