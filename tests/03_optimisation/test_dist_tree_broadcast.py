import math

import pytest
import torch
import torch.distributed as dist

from arena_cli.course.distributed import RankError, log_messages, point_to_point_only, run_on_ranks
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

WORLD_SIZE = 5  # not a power of two: the last round is incomplete
CASES = {
    # name: (src, shape, dtype)
    "from_rank_0": (0, (6,), torch.float32),
    "from_rank_2": (2, (2, 3), torch.float32),
    "from_the_last_rank_int64": (4, (3,), torch.int64),
}


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: the exercise's broadcast (messages logged), then torch's."""
    results = {}
    for index, (name, (src, shape, dtype)) in enumerate(CASES.items()):
        generator = torch.Generator().manual_seed(100 * rank + index)
        data = (10 * torch.randn(shape, generator=generator)).to(dtype)
        ours, reference = data.clone(), data.clone()
        print(f"case {name}: broadcast from rank {src}, shape {tuple(shape)}, {dtype}", flush=True)
        with point_to_point_only(), log_messages() as log:
            ex.tree_broadcast(ours, src)
        dist.barrier()
        dist.broadcast(reference, src)
        dist.barrier()
        results[name] = (ours, reference, log.events)
    return results


@pytest.fixture(scope="module")
def outcomes():
    try:
        return run_on_ranks(worker, WORLD_SIZE)
    except RankError as error:
        if "for send operation to complete" in str(error):
            raise mistake(
                "a rank sent a message nobody receives (gloo timed out waiting): send to relative "
                "+ d only while relative + d < world_size, do not wrap around past the last rank",
                str(error),
            ) from None
        raise


@pytest.mark.parametrize("case", CASES)
def test_matches_dist_broadcast(outcomes, case):
    src = CASES[case][0]
    for rank, results in enumerate(outcomes):
        ours, reference, _ = results[case]
        assert_close(
            ours, reference, atol=0, rtol=0, check_dtype=True,
            name=f"rank {rank}'s tensor after broadcast from rank {src} (change it in place)",
        )


def rounds_to_reach(events_by_rank: list[list], src: int) -> dict[int, int]:
    """Round in which each rank first has the data: the source has it in round 0, and a
    rank's k-th send (after it has the data) arrives k rounds after it got it."""
    reached = {src: 0}
    frontier = [src]
    while frontier:
        sender = frontier.pop()
        destinations = [peer for kind, peer, _ in events_by_rank[sender] if kind == "send"]
        for k, destination in enumerate(destinations, start=1):
            if destination not in reached:
                reached[destination] = reached[sender] + k
                frontier.append(destination)
    return reached


@pytest.mark.parametrize("case", CASES)
def test_reaches_every_rank_in_log2_rounds(outcomes, case):
    src = CASES[case][0]
    events = [results[case][2] for results in outcomes]
    reached = rounds_to_reach(events, src)
    budget = math.ceil(math.log2(WORLD_SIZE))
    assert set(reached) == set(range(WORLD_SIZE)), (
        f"broadcast from rank {src}: ranks {sorted(set(range(WORLD_SIZE)) - set(reached))} "
        "never receive a message that traces back to the source"
    )
    slowest = max(reached, key=reached.get)
    assert reached[slowest] <= budget, (
        f"broadcast from rank {src} over {WORLD_SIZE} ranks: rank {slowest} gets the data in "
        f"round {reached[slowest]}, but a binomial tree reaches everyone within {budget} rounds "
        f"(rounds per rank: {dict(sorted(reached.items()))})"
    )


@pytest.mark.parametrize("case", CASES)
def test_each_rank_receives_at_most_once(outcomes, case):
    src = CASES[case][0]
    for rank, results in enumerate(outcomes):
        received = [peer for kind, peer, _ in results[case][2] if kind == "recv"]
        expected = 0 if rank == src else 1
        assert len(received) == expected, (
            f"broadcast from rank {src}: rank {rank} received {len(received)} messages (from "
            f"{received}); expected {expected}: world_size - 1 messages in all"
        )
