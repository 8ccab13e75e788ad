import pytest
import torch
import torch.distributed as dist

from arena_cli.course.distributed import log_messages, point_to_point_only, run_on_ranks
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

WORLD_SIZE = 4
CASES = {
    # name: (src, shape, dtype)
    "from_rank_0": (0, (5,), torch.float32),
    "from_the_last_rank": (3, (2, 3), torch.float32),
    "from_rank_2_int64": (2, (4,), torch.int64),
    "scalar_from_rank_1": (1, (), torch.float64),
}


def initial(rank: int, case: str) -> torch.Tensor:
    """The tensor rank `rank` passes to the broadcast in `case` (the same on every process)."""
    index = list(CASES).index(case)
    _, shape, dtype = CASES[case]
    generator = torch.Generator().manual_seed(100 * rank + index)
    return (10 * torch.randn(shape, generator=generator)).to(dtype)


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: the exercise's broadcast, then torch's on the same data."""
    results = {}
    for name, (src, shape, dtype) in CASES.items():
        data = initial(rank, name)
        ours, reference = data.clone(), data.clone()
        print(f"case {name}: broadcast from rank {src}, shape {tuple(shape)}, {dtype}", flush=True)
        with point_to_point_only(), log_messages() as log:
            ex.broadcast(ours, src)
        dist.barrier()
        dist.broadcast(reference, src)
        dist.barrier()
        results[name] = (ours, reference, log.events)
    return results


@pytest.fixture(scope="module")
def outcomes():
    return run_on_ranks(worker, WORLD_SIZE)


@pytest.mark.parametrize("case", CASES)
def test_matches_dist_broadcast(outcomes, case):
    src = CASES[case][0]
    last = WORLD_SIZE - 1
    wrong = [
        rank for rank, results in enumerate(outcomes)
        if not torch.equal(results[case][0], results[case][1])
    ]
    if wrong == [last] != [src] and torch.equal(outcomes[last][case][0], initial(last, case)):
        raise mistake(
            f"only rank {last}, the last rank, never got the data (its tensor is unchanged): "
            f"the source must send to every rank in range(world_size) except src (off by one?)"
        )
    unchanged = [rank for rank in range(len(outcomes)) if rank != src and torch.equal(outcomes[rank][case][0], initial(rank, case))]
    if wrong and len(unchanged) == len(outcomes) - 1 and all(rank in unchanged for rank in wrong):
        raise mistake(
            "no receiving rank's tensor changed: receive into `tensor` itself (dist.recv(tensor, src)) — "
            "a new buffer bound to the same name leaves the caller's tensor as it was"
        )
    for rank, results in enumerate(outcomes):
        ours, reference, _ = results[case]
        assert_close(
            ours, reference, atol=0, rtol=0, check_dtype=True,
            name=f"rank {rank}'s tensor after broadcast from rank {src} (change it in place)",
            mistakes={
                "every rank ends with rank 0's tensor, not rank src's: send from (and receive "
                "from) `src`, not rank 0": lambda: initial(0, case),
            } if src != 0 else {},
        )


@pytest.mark.parametrize("case", CASES)
def test_every_other_rank_receives_one_message_from_the_source(outcomes, case):
    src = CASES[case][0]
    for rank, results in enumerate(outcomes):
        if rank == src:
            continue
        received = [peer for kind, peer, _ in results[case][2] if kind == "recv"]
        assert received == [src], (
            f"broadcast from rank {src}: rank {rank} received from {received}, expected exactly "
            f"one message, from rank {src}"
        )
