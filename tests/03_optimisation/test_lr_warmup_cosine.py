import math
import warnings

import pytest
import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

from arena_cli.course.optim import regression_batches, single_threaded, tiny_mlp
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

SCHEDULES = {
    # name: (base_lr, warmup_steps, total_steps, min_lr, start_factor)
    "short": (0.1, 5, 20, 0.0, 0.1),
    "with_min_lr": (1.0, 3, 10, 0.01, 0.25),
    "one_warmup_step": (0.5, 1, 7, 0.05, 0.5),
    "long": (3e-4, 10, 100, 1e-5, 0.01),
    "no_warmup": (0.2, 0, 12, 0.02, 0.1),
}


def torch_schedule(base_lr, warmup_steps, total_steps, min_lr, start_factor) -> list[float]:
    """The rates torch's schedulers give to steps 0 .. total_steps."""
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
    if warmup_steps == 0:
        scheduler = cosine
    else:
        warmup = LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_steps)
        scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
    rates = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "step() before optimizer.step()": nothing to optimise
        for _ in range(total_steps + 1):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
    return rates


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_matches_torch_schedulers(schedule):
    base_lr, warmup_steps, total_steps, min_lr, start_factor = SCHEDULES[schedule]
    expected = torch_schedule(*SCHEDULES[schedule])
    got = [
        ex.warmup_cosine_lr(t, base_lr, warmup_steps, total_steps, min_lr, start_factor)
        for t in range(total_steps + 1)
    ]
    assert all(isinstance(rate, float) for rate in got), "return a Python float for every step"

    def variant(kind):
        rates = []
        for t in range(total_steps + 1):
            if t < warmup_steps:
                rates.append(base_lr * t / warmup_steps if kind == "from_zero" else base_lr * (start_factor + (1 - start_factor) * t / warmup_steps))
            elif t >= total_steps:
                rates.append(min_lr)
            else:
                floor = 0.0 if kind == "no_min_lr" else min_lr
                rates.append(floor + (base_lr - floor) * (1 + math.cos(math.pi * (t - warmup_steps) / (total_steps - warmup_steps))) / 2)
        return torch.tensor(rates, dtype=torch.float64)

    assert_close(
        torch.tensor(got, dtype=torch.float64),
        torch.tensor(expected, dtype=torch.float64),
        atol=1e-12,
        rtol=1e-9,
        name=f"learning rates of steps 0..{total_steps} (index = step)",
        mistakes={
            "the warm-up starts at 0; it starts at start_factor * base_lr": lambda: variant("from_zero"),
            "the cosine decays to 0 instead of min_lr: lr = min_lr + (base_lr - min_lr) * (1 + cos) / 2":
                lambda: variant("no_min_lr"),
        },
    )


def test_stays_at_min_lr_after_the_end():
    rates = [ex.warmup_cosine_lr(t, 0.1, 5, 20, min_lr=0.003) for t in range(21, 40)]
    assert_close(torch.tensor(rates), torch.full((19,), 0.003), name="rates after total_steps")


def test_warmup_as_long_as_the_whole_schedule():
    # K = total - warmup = 0: no cosine; the warm-up line, then min_lr from step total_steps on
    base_lr, steps, min_lr, start_factor = 0.4, 4, 0.02, 0.25
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    warmup = LinearLR(optimizer, start_factor=start_factor, total_iters=steps)
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            expected.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            warmup.step()
    expected += [min_lr] * 3
    try:
        got = [ex.warmup_cosine_lr(t, base_lr, steps, steps, min_lr, start_factor) for t in range(steps + 3)]
    except ZeroDivisionError:
        raise mistake(
            "with warmup_steps == total_steps the cosine has K = 0 steps and your code divides by it; "
            "from step total_steps on the rate is min_lr"
        ) from None
    assert_close(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), atol=1e-12,
                 rtol=1e-9, name=f"rates of steps 0..{steps + 2} with warmup_steps = total_steps = {steps}")


SETTINGS = {"plain_sgd": dict(), "momentum": dict(momentum=0.9)}


@pytest.mark.parametrize("setting", SETTINGS)
def test_training_loop_sets_the_rate_of_every_group_before_each_step(setting):
    # the reference: torch's own schedulers driving the same optimiser, stepped after each update
    base_lr, warmup_steps, total_steps, min_lr, start_factor = 0.2, 3, 9, 0.01, 0.2
    rates = torch_schedule(base_lr, warmup_steps, total_steps, min_lr, start_factor)
    batches = regression_batches(5, n_steps=total_steps + 1)

    def groups(model):  # two groups: the rate must reach both
        params = list(model.parameters())
        return [{"params": params[:2]}, {"params": params[2:]}]

    ours, reference = tiny_mlp(5), tiny_mlp(5)
    with single_threaded(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer = torch.optim.SGD(groups(ours), lr=123.0, **SETTINGS[setting])
        used = []  # the rate of each group at each optimizer.step()
        optimizer.register_step_pre_hook(
            lambda opt, args, kwargs: used.append([group["lr"] for group in opt.param_groups])
        )
        # past the last step the schedule stays at its final rate (an off-by-one still runs)
        ex.train_with_schedule(ours, optimizer, batches, lambda t: rates[min(t, len(rates) - 1)])

        optimizer = torch.optim.SGD(groups(reference), lr=base_lr, **SETTINGS[setting])
        warmup = LinearLR(optimizer, start_factor=start_factor, total_iters=warmup_steps)
        cosine = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps, eta_min=min_lr)
        scheduler = SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])
        for x, y in batches:
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(reference(x), y).backward()
            optimizer.step()
            scheduler.step()
    n = len(batches)
    if len(used) == n:
        if all(step[0] == rates[t] for t, step in enumerate(used)) and all(
            rate == 123.0 for step in used for rate in step[1:]
        ):
            raise mistake(
                "only the first parameter group got the scheduled rate (the second kept lr=123.0): "
                "set group['lr'] for every group in optimizer.param_groups"
            )
        if all(rate == rates[min(t + 1, len(rates) - 1)] for t, step in enumerate(used) for rate in step) \
                and any(step[0] != rates[t] for t, step in enumerate(used)):
            raise mistake(
                "step t ran with schedule(t + 1): the first step must use schedule(0) (enumerate from 0)"
            )
    for (name, p), q in zip(ours.named_parameters(), reference.parameters()):
        assert_close(p, q, atol=1e-10, rtol=1e-8, name=f"parameter {name!r} after training")
