import pytest
import torch
import torch.distributed as dist

from arena_cli.course.distributed import RankError, log_messages, point_to_point_only, run_on_ranks
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

WORLD_SIZE = 4
CASES = {
    # name: (shape, dtype)
    "vector": ((6,), torch.float32),
    "matrix": ((2, 3), torch.float64),
    "one_element": ((1,), torch.float32),
    "integers": ((5,), torch.int64),
}


def initial(rank: int, case: str) -> torch.Tensor:
    """The tensor rank `rank` passes to the all-reduce in `case` (the same on every process)."""
    index = list(CASES).index(case)
    shape, dtype = CASES[case]
    generator = torch.Generator().manual_seed(100 * rank + index)
    return (10 * torch.randn(shape, generator=generator)).to(dtype)


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: the exercise's all-reduce (messages logged), then torch's."""
    results = {}
    for name, (shape, dtype) in CASES.items():
        data = initial(rank, name)
        ours, reference = data.clone(), data.clone()
        print(f"case {name}: shape {tuple(shape)}, {dtype}", flush=True)
        with point_to_point_only(), log_messages() as log:
            ex.all_reduce_naive(ours)
        dist.barrier()
        dist.all_reduce(reference)
        dist.barrier()
        results[name] = (ours, reference, log.events)
    return results


@pytest.fixture(scope="module")
def outcomes():
    try:
        return run_on_ranks(worker, WORLD_SIZE)
    except RankError as error:
        if "can't be cast to the desired output type Long" in str(error):
            raise mistake(
                "your code divides the int64 total in place (`tensor /= ...`), which torch "
                "refuses; an all-reduce leaves the sum over ranks, not the mean: do not divide "
                "by the world size", str(error)
            ) from None
        raise


@pytest.mark.parametrize("case", CASES)
def test_matches_dist_all_reduce(outcomes, case):
    for rank, results in enumerate(outcomes):
        ours, reference, _ = results[case]
        own = initial(rank, case)
        mistakes = {
            "you divide the total by the world size: an all-reduce leaves the sum over ranks, "
            "not the mean": lambda: reference / WORLD_SIZE,
            "rank 0 leaves its own tensor out of the sum: add the others' tensors to it, do not "
            "start from zero": lambda: reference - initial(0, case),
            f"every rank ends with rank {WORLD_SIZE - 1}'s tensor, the last one received: add "
            "each received tensor to the total (`tensor += incoming`), do not overwrite it":
                lambda: initial(WORLD_SIZE - 1, case),
        }
        if rank == 0:
            mistakes["rank 0's tensor is unchanged: you built the total in a new tensor "
                     "(`tensor = tensor + incoming`) that the caller never sees; add in place "
                     "(`tensor += incoming`)"] = own
        assert_close(
            ours, reference, atol=1e-5, rtol=1e-6, check_dtype=True,
            name=f"rank {rank}'s tensor after the all-reduce (the sum over ranks, in place)",
            mistakes=mistakes,
        )


def test_messages_go_through_rank_0(outcomes):
    others = list(range(1, WORLD_SIZE))
    for rank, results in enumerate(outcomes):
        events = [(kind, peer) for kind, peer, _ in results["vector"][2]]
        if rank == 0:
            received = sorted(peer for kind, peer in events if kind == "recv")
            sent = sorted(peer for kind, peer in events if kind == "send")
            assert received == others and sent == others, (
                f"rank 0 should receive once from and send once to each of {others}; it "
                f"received from {received} and sent to {sent}"
            )
        else:
            assert events == [("send", 0), ("recv", 0)], (
                f"rank {rank} should send its tensor to rank 0, then receive the sum from it; "
                f"its messages were {events}"
            )
