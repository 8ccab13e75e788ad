"""The one training skeleton every zoo model shares: a model is a config, a data generator and a loss.

`fit` boots the bare `NativeModel` of a zoo config (seeded as `boot_native` does), trains it with
AdamW under a `LambdaLR` schedule on batches drawn from one seeded `torch.Generator`, one
thread on a CPU and deterministic algorithms, and calls `observe(step, model, loss)` after every
step (and once before the first, with step 0 and no loss) so that each model logs and measures
what it cares about. `summary` and `save` give every model's result the same fields and the same
checkpoint. The order of operations is fixed here (it decides the weights bit for bit), so a
model's training is reproducible from its recipe alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import torch

from arena_cli.zoo import _common, model_module

Observer = Callable[[int, torch.nn.Module, "torch.Tensor | None"], None]


def fit(
    name: str,
    *,
    seed: int,
    device: str,
    steps: int,
    lr: float,
    weight_decay: float,
    lr_factor: Callable[[int], float],
    batch: Callable[[torch.Generator], Any],
    loss: Callable[[torch.nn.Module, Any], torch.Tensor],
    final: Callable[[torch.nn.Module], dict[str, Any]],
    betas: tuple[float, float] = (0.9, 0.999),
    observe: Observer | None = None,
) -> tuple[torch.nn.Module, dict[str, Any]]:
    """Train zoo model `name` from scratch; returns the trained native model (eval mode) and
    `final(model)`, measured before the training context (one thread) is left.

    `batch(generator)` draws the next batch from the data generator (seeded with `seed`);
    `loss(model, batch)` is the scalar to minimise; `lr_factor(s)` scales `lr` after `s` steps."""
    config = model_module(name).CONFIG
    with _common.training_context(seed, device):
        model = _common.native_model(config, seed=seed, device=device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, betas=betas)
        schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
        data = torch.Generator().manual_seed(seed)
        if observe is not None:
            observe(0, model, None)
        for step in range(1, steps + 1):
            value = loss(model, batch(data))
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            optimizer.step()
            schedule.step()
            if observe is not None:
                observe(step, model, value)
        model.eval()
        return model, final(model)


def logging_every(log_every: int, steps: int) -> Callable[[int], bool]:
    """Whether to log after `step` steps: every `log_every` and at the last one (never at 0)."""
    return lambda step: step > 0 and (step % log_every == 0 or step == steps)


def summary(name: str, *, seed: int, steps: int, device: str, clock: _common.Clock, model: torch.nn.Module) -> dict[str, Any]:
    """The fields every model's training result starts with."""
    return dict(
        name=name, seed=seed, steps=steps, device=device, train_seconds=round(clock(), 1),
        train_cpu_seconds=round(clock.cpu(), 1), n_params=_common.n_params(model),
    )


def save(out: Path | None, name: str, model: torch.nn.Module, result: dict[str, Any], train_args: dict[str, Any]) -> None:
    """Write the checkpoint of a model whose only tensors are its weights (no-op when `out` is None)."""
    if out is not None:
        module = model_module(name)
        _common.write_model_checkpoint(
            out, name, module.CONFIG, module.VOCAB, {"model": _common.bridge_state_dict(name, model)}, result, train_args
        )


def warmup_cosine(warmup: int, steps: int) -> Callable[[int], float]:
    """Linear warm-up over `warmup` steps, then a cosine decay to 0 at `steps`."""
    import math

    return lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps))
