import math

import pytest
import torch
import torch.distributed as dist

from arena_cli.course.distributed import log_messages, point_to_point_only, run_on_ranks
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

WORLD_SIZE = 4
CASES = {
    # name: (shape, dtype)
    "length_divisible_by_world_size": ((12,), torch.float32),
    "length_not_divisible": ((10,), torch.float32),
    "matrix": ((3, 5), torch.float64),
    "one_element_per_rank": ((4,), torch.float32),
    "integers": ((9,), torch.int64),
    "long_vector": ((1000,), torch.float32),
}


def initial(rank: int, case: str) -> torch.Tensor:
    """The tensor rank `rank` passes to the all-reduce in `case` (the same on every process)."""
    index = list(CASES).index(case)
    shape, dtype = CASES[case]
    generator = torch.Generator().manual_seed(100 * rank + index)
    return (10 * torch.randn(shape, generator=generator)).to(dtype)


def simulated_ring(case: str, scatter_steps: int, gather_steps: int) -> list[torch.Tensor]:
    """Every rank's tensor after a ring all-reduce with the given numbers of reduce-scatter and
    all-gather steps, simulated in one process (for recognising cut-short rings)."""
    n = WORLD_SIZE
    start = [initial(rank, case) for rank in range(n)]
    chunks = [list(t.clone().view(-1).tensor_split(n)) for t in start]
    for step in range(scatter_steps):
        outgoing = [chunks[r][(r - step) % n].clone() for r in range(n)]
        for r in range(n):
            chunks[r][(r - step - 1) % n] += outgoing[(r - 1) % n]
    for step in range(gather_steps):
        outgoing = [chunks[r][(r + 1 - step) % n].clone() for r in range(n)]
        for r in range(n):
            chunks[r][(r - step) % n] = outgoing[(r - 1) % n]
    return [torch.cat(c).view(t.shape) for c, t in zip(chunks, start)]


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: the exercise's ring all-reduce (messages logged), then torch's."""
    results = {}
    for name, (shape, dtype) in CASES.items():
        data = initial(rank, name)
        ours, reference = data.clone(), data.clone()
        print(f"case {name}: shape {tuple(shape)}, {dtype}", flush=True)
        with point_to_point_only(), log_messages() as log:
            ex.ring_all_reduce(ours)
        dist.barrier()
        dist.all_reduce(reference)
        dist.barrier()
        results[name] = (ours, reference, log)
    return results


@pytest.fixture(scope="module")
def outcomes():
    return run_on_ranks(worker, WORLD_SIZE)


@pytest.mark.parametrize("case", CASES)
def test_matches_dist_all_reduce(outcomes, case):
    for rank, results in enumerate(outcomes):
        ours, reference, _ = results[case]
        n = WORLD_SIZE
        assert_close(
            ours, reference, atol=1e-4, rtol=1e-5, check_dtype=True,
            name=f"rank {rank}'s tensor after the ring all-reduce (the sum over ranks, in place)",
            mistakes={
                "the tensor is unchanged: the chunks you wrote are not views of `tensor` (a copy "
                "such as flatten().clone()); split tensor.view(-1) so writes reach it":
                    lambda: initial(rank, case),
                f"you stop after the reduce-scatter: each rank then holds just one fully reduced "
                f"chunk; run the n - 1 = {n - 1} all-gather steps too":
                    lambda: simulated_ring(case, n - 1, 0)[rank],
                f"the reduce-scatter runs n - 2 steps, one short: it takes n - 1 = {n - 1} steps "
                "for each chunk to collect every rank's part":
                    lambda: simulated_ring(case, n - 2, n - 1)[rank],
            },
        )


@pytest.mark.parametrize("case", ["length_not_divisible", "long_vector"])
def test_messages_only_go_around_the_ring(outcomes, case):
    steps = 2 * (WORLD_SIZE - 1)
    for rank, results in enumerate(outcomes):
        log = results[case][2]
        right, left = (rank + 1) % WORLD_SIZE, (rank - 1) % WORLD_SIZE
        sent_to = {peer for kind, peer, _ in log.events if kind == "send"}
        received_from = {peer for kind, peer, _ in log.events if kind == "recv"}
        assert sent_to == {right} and received_from == {left}, (
            f"rank {rank} should send only to rank {right} and receive only from rank {left}; "
            f"it sent to {sorted(sent_to)} and received from {sorted(received_from)}"
        )
        assert log.sends == steps and log.recvs == steps, (
            f"rank {rank} sent {log.sends} and received {log.recvs} messages; a ring all-reduce "
            f"over {WORLD_SIZE} ranks takes 2 (n - 1) = {steps} of each"
        )


def test_each_rank_sends_only_about_twice_its_tensor(outcomes):
    numel = math.prod(CASES["long_vector"][0])
    budget = 2 * (WORLD_SIZE - 1) * math.ceil(numel / WORLD_SIZE)
    for rank, results in enumerate(outcomes):
        sent = results["long_vector"][2].elements_sent
        assert sent <= budget, (
            f"rank {rank} sent {sent} elements for a {numel}-element all-reduce; the ring sends "
            f"2 (n - 1) chunks of ~N/n = {budget} elements (send chunks, not the whole tensor)"
        )
