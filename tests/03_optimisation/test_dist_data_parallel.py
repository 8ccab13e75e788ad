import pytest
import torch

from arena_cli.course.distributed import run_on_ranks
from arena_cli.course.optim import (
    parameter_trajectory,
    regression_batches,
    single_threaded,
    tiny_mlp,
)
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

WORLD_SIZE = 4
LR = 0.1
BATCHES = dict(seed=4, n_steps=5, batch_size=16)


def rank_gradients(rank: int, model: torch.nn.Module) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1000 + rank)
    return [torch.randn(p.shape, generator=generator, dtype=p.dtype) for p in model.parameters()]


def worker(rank: int, world_size: int) -> dict:
    """Runs on every rank: each function of the exercise on rank-specific models."""
    results = {}

    print("calling broadcast_parameters", flush=True)
    model = tiny_mlp(seed=10 + rank)  # every rank starts from different weights
    ex.broadcast_parameters(model)
    results["broadcast"] = [p.detach().clone() for p in model.parameters()]

    print("calling average_gradients", flush=True)
    model = tiny_mlp(seed=0)
    for p, g in zip(model.parameters(), rank_gradients(rank, model)):
        p.grad = g
    ex.average_gradients(model)
    results["averaged"] = [p.grad.clone() for p in model.parameters()]

    print("calling train_data_parallel", flush=True)
    model = tiny_mlp(seed=20 + rank)
    seen = []
    model.register_forward_pre_hook(lambda module, inputs: seen.append(inputs[0].detach().clone()))
    ex.train_data_parallel(model, regression_batches(**BATCHES), lr=LR)
    results["trained"] = [p.detach().clone() for p in model.parameters()]
    results["inputs_seen"] = seen
    return results


@pytest.fixture(scope="module")
def outcomes():
    return run_on_ranks(worker, WORLD_SIZE)


NAMES = [name for name, _ in tiny_mlp(0).named_parameters()]


def test_broadcast_parameters_copies_rank_0_everywhere(outcomes):
    expected = list(tiny_mlp(seed=10).parameters())
    from_last = list(tiny_mlp(seed=10 + WORLD_SIZE - 1).parameters())
    for rank, results in enumerate(outcomes):
        for name, got, want, last in zip(NAMES, results["broadcast"], expected, from_last):
            assert_close(
                got, want, atol=0, rtol=0, name=f"rank {rank}'s {name!r} after broadcast_parameters",
                mistakes={
                    f"every rank got rank {WORLD_SIZE - 1}'s (the last rank's) weights: broadcast "
                    "from `src`": last,
                },
            )


def test_average_gradients_gives_the_mean_over_ranks(outcomes):
    model = tiny_mlp(seed=0)
    per_rank = [rank_gradients(rank, model) for rank in range(WORLD_SIZE)]
    for rank, results in enumerate(outcomes):
        for i, (name, got) in enumerate(zip(NAMES, results["averaged"])):
            mean = torch.stack([grads[i] for grads in per_rank]).mean(0)
            assert_close(
                got, mean, atol=1e-12, rtol=1e-10,
                name=f"rank {rank}'s averaged .grad of {name!r} (sum over ranks / {WORLD_SIZE})",
            )


def test_training_equals_single_process_training_on_the_whole_batch(outcomes):
    reference = tiny_mlp(seed=20)  # rank 0's initial weights, which the broadcast spreads
    with single_threaded():
        trajectory = parameter_trajectory(
            reference, torch.optim.SGD(reference.parameters(), lr=LR), regression_batches(**BATCHES)
        )
    # With identical (averaged) updates but no initial broadcast, the ranks keep their different
    # starting weights apart: trained - initial is the same on every rank, trained is not.
    starts = [list(tiny_mlp(seed=20 + rank).parameters()) for rank in range(WORLD_SIZE)]
    updates = [
        [got - start for got, start in zip(results["trained"], starts[rank])]
        for rank, results in enumerate(outcomes)
    ]
    ranks_disagree = any(
        not torch.allclose(a, b, atol=1e-10, rtol=1e-8)
        for results in outcomes[1:] for a, b in zip(results["trained"], outcomes[0]["trained"])
    )
    same_updates = all(
        torch.allclose(a, b, atol=1e-6, rtol=1e-5)
        for rank_updates in updates[1:] for a, b in zip(rank_updates, updates[0])
    )
    if ranks_disagree and same_updates:
        raise mistake(
            "the ranks made the same updates from different starting weights: call "
            "broadcast_parameters(model) before the first step so every rank starts from rank 0's"
        )
    for rank, results in enumerate(outcomes):
        for name, got, want in zip(NAMES, results["trained"], trajectory[-1]):
            assert_close(
                got, want, atol=1e-10, rtol=1e-8,
                name=f"rank {rank}'s {name!r} after {BATCHES['n_steps']} data-parallel steps vs "
                "one process on the whole batches",
            )


def test_each_rank_computes_on_its_own_slice_of_the_batch(outcomes):
    batches = regression_batches(**BATCHES)
    for rank, results in enumerate(outcomes):
        seen = results["inputs_seen"]
        assert len(seen) == len(batches), (
            f"rank {rank} ran {len(seen)} forward passes, expected one per batch ({len(batches)})"
        )
        for step, ((x, _), inputs) in enumerate(zip(batches, seen)):
            assert_close(
                inputs, x.chunk(WORLD_SIZE)[rank], atol=0, rtol=0,
                name=f"input of rank {rank}'s forward pass at step {step} (its chunk of the batch)",
            )
