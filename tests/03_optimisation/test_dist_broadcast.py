import pytest
import torch
import torch.distributed as dist

from arena_cli.course.distributed import log_messages, point_to_point_only, run_on_ranks
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

WORLD_SIZE = 4
CASES = {
    # name: (src, shape, dtype)
    "from_rank_0": (0, (5,), torch.float32),
    "from_the_last_rank": (3, (2, 3), torch.float32),
    "from_rank_2_int64": (2, (4,), torch.int64),
    "scalar_from_rank_1": (1, (), torch.float64),
}


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: the exercise's broadcast, then torch's on the same data."""
    results = {}
    for index, (name, (src, shape, dtype)) in enumerate(CASES.items()):
        generator = torch.Generator().manual_seed(100 * rank + index)
        data = (10 * torch.randn(shape, generator=generator)).to(dtype)
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
    for rank, results in enumerate(outcomes):
        ours, reference, _ = results[case]
        assert_close(
            ours, reference, atol=0, rtol=0, check_dtype=True,
            name=f"rank {rank}'s tensor after broadcast from rank {src} (change it in place)",
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
