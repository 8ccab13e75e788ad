"""Shared scaffolding for section 0.3 (optimisation).

- `tiny_mlp` and `regression_batches`: a small seeded model and data to compare optimisers on;
  `parameter_trajectory` records the parameters after every step of a training run.
- `spiral_data` and `train_classifier`: a small deterministic classification task whose
  hyper-parameters (learning rate, width, steps) matter; the sweep exercises train it.
- `read_offline_runs`: read back what wandb wrote in offline mode (config, history, summary of
  every run under a folder) from its `.wandb` run files, without a network or an account.
"""

from __future__ import annotations

import contextlib
import json
import math
import struct
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch on one thread inside the block: these tensors are tiny, and on a busy machine
    extra threads only wait for each other (a 60-step run measured 0.2 s on one thread, 8 s on
    two)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


# --------------------------------------------------------------------------- optimiser test bed


def tiny_mlp(seed: int, dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """5 -> 8 -> 3 with a LayerNorm: 2-D weights plus 1-D biases and norm gains."""
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(5, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3))
        with torch.no_grad():  # move the norm's gain and bias off their (1, 0) initial values
            model[1].weight.add_(0.3 * torch.randn(8))
            model[1].bias.add_(0.3 * torch.randn(8))
    finally:
        torch.random.set_rng_state(generator_state)
    return model.to(dtype)


def regression_batches(
    seed: int, n_steps: int, batch_size: int = 8, dtype: torch.dtype = torch.float64
) -> list[tuple[Tensor, Tensor]]:
    """`n_steps` batches (x [batch, 5], y [batch, 3]) of a noisy linear map, seeded."""
    generator = torch.Generator().manual_seed(seed)
    true_map = torch.randn(5, 3, generator=generator, dtype=dtype)
    batches = []
    for _ in range(n_steps):
        x = torch.randn(batch_size, 5, generator=generator, dtype=dtype)
        noise = 0.1 * torch.randn(batch_size, 3, generator=generator, dtype=dtype)
        batches.append((x, x @ true_map + noise))
    return batches


def parameter_trajectory(
    model: nn.Module,
    optimizer: Any,
    batches: Iterable[tuple[Tensor, Tensor]],
    loss_fn: Callable[[Tensor, Tensor], Tensor] = nn.functional.mse_loss,
) -> list[list[Tensor]]:
    """Train with `optimizer` (anything with zero_grad() and step()); return the parameters
    (detached copies, in `model.parameters()` order) after every step."""
    snapshots = []
    for x, y in batches:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        snapshots.append([p.detach().clone() for p in model.parameters()])
    return snapshots


# --------------------------------------------------------------------------- the sweep task

N_CLASSES = 3


def spiral_data(
    seed: int = 0, points_per_class: int = 100
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Three interleaved noisy spirals in 2-D: (x_train, y_train, x_val, y_val), seeded.

    Every second point of each arm goes to the validation set.
    """
    generator = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for label in range(N_CLASSES):
        radius = torch.linspace(0.05, 1.0, points_per_class)
        angle = (
            torch.linspace(0.0, 3.0, points_per_class)
            + label * 2 * math.pi / N_CLASSES
            + 0.15 * torch.randn(points_per_class, generator=generator)
        )
        xs.append(torch.stack([radius * torch.cos(angle), radius * torch.sin(angle)], dim=1))
        ys.append(torch.full((points_per_class,), label))
    x, y = torch.cat(xs), torch.cat(ys)
    train = torch.arange(len(x)) % 2 == 0
    return x[train], y[train], x[~train], y[~train]


def train_classifier(
    config: Mapping[str, Any], log: Callable[[dict[str, float]], None] | None = None
) -> dict[str, float]:
    """Train an MLP on `spiral_data()` with full-batch Adam, as `config` says; deterministic.

    `config` keys: `lr` (learning rate), `hidden` (width), `steps` (number of updates) and
    optionally `seed` (initialisation, default 0). After each step `log({"loss": ...})` is called
    with that step's training loss. Returns the final metrics:
    `{"train_loss", "val_loss", "val_accuracy"}` (train_loss is the loss of the last step).
    """
    x_train, y_train, x_val, y_val = spiral_data()
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(int(config.get("seed", 0)))
        hidden = int(config["hidden"])
        model = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, N_CLASSES))
    finally:
        torch.random.set_rng_state(generator_state)
    optimizer = torch.optim.Adam(model.parameters(), lr=float(config["lr"]))
    loss = torch.tensor(float("nan"))
    with single_threaded():
        for _ in range(int(config["steps"])):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x_train), y_train)
            loss.backward()
            optimizer.step()
            if log is not None:
                log({"loss": loss.item()})
        with torch.no_grad():
            logits = model(x_val)
            val_loss = nn.functional.cross_entropy(logits, y_val).item()
            val_accuracy = (logits.argmax(-1) == y_val).float().mean().item()
    return {"train_loss": loss.item(), "val_loss": val_loss, "val_accuracy": val_accuracy}


# --------------------------------------------------------------------------- wandb offline files

# A `.wandb` file is a record log in LevelDB's log format: a 7-byte file header (":W&B",
# a 2-byte magic number, a version byte), then 32 KiB blocks of chunks, each with a 7-byte header
# (CRC-32, little-endian length, type: 1 full, 2 first, 3 middle, 4 last); each record is a
# serialised `wandb.proto.wandb_internal_pb2.Record`.
_BLOCK = 32 * 1024
_CHUNK_HEADER = 7
_FILE_HEADER = 7
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


@dataclass
class OfflineRun:
    """What one offline wandb run recorded."""

    path: Path
    config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    finished: bool = False  # an exit record was written (the run was finished)
    project: str = ""  # the project the run was started in


def _record_payloads(data: bytes) -> Iterable[bytes]:
    if data[:4] != b":W&B":
        raise ValueError("not a wandb run file (it does not start with ':W&B')")
    position, pending = _FILE_HEADER, b""
    while position + _CHUNK_HEADER <= len(data):
        left_in_block = _BLOCK - position % _BLOCK
        if left_in_block < _CHUNK_HEADER:  # the block's tail is padding
            position += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[position : position + _CHUNK_HEADER])
        start = position + _CHUNK_HEADER
        chunk = data[start : start + length]
        position = start + length
        if kind == 0 and length == 0:  # zero padding
            continue
        if kind in (_FULL, _FIRST):
            pending = b""
        pending += chunk
        if kind in (_FULL, _LAST):
            yield pending
            pending = b""


def _item_key(item: Any) -> str:
    return item.key or "/".join(item.nested_key)


def _apply_items(target: dict[str, Any], update: Any, remove: Any = ()) -> None:
    """Apply a wandb record's updated (JSON-valued) and removed items to `target`."""
    for item in update:
        target[_item_key(item)] = json.loads(item.value_json)
    for item in remove:
        target.pop(_item_key(item), None)


def read_offline_run(run_file: Path) -> OfflineRun:
    """Parse one `run-<id>.wandb` file."""
    from wandb.proto import wandb_internal_pb2

    run = OfflineRun(path=run_file)
    for payload in _record_payloads(run_file.read_bytes()):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(payload)
        kind = record.WhichOneof("record_type")
        if kind == "run":
            _apply_items(run.config, record.run.config.update)
            run.project = record.run.project or run.project
        elif kind == "config":
            _apply_items(run.config, record.config.update, record.config.remove)
        elif kind == "history":
            row = {_item_key(item): json.loads(item.value_json) for item in record.history.item}
            run.history.append(row)
        elif kind == "summary":
            _apply_items(run.summary, record.summary.update, record.summary.remove)
        elif kind == "exit":
            run.finished = True
    run.config.pop("_wandb", None)  # wandb's own bookkeeping
    return run


def read_offline_runs(root: str | Path) -> list[OfflineRun]:
    """Every offline run recorded anywhere under `root` (in the order of their folders' names)."""
    files = sorted(Path(root).rglob("run-*.wandb"), key=lambda p: p.parent.name)
    return [read_offline_run(path) for path in files]


# --------------------------------------------------------------------------- checks' helpers


def assert_follows_torch(
    make_ours: Callable[[nn.Module], Any],
    make_torch: Callable[[nn.Module], Any],
    *,
    seed: int,
    n_steps: int = 10,
    atol: float = 1e-9,
    rtol: float = 1e-7,
    mistakes: Mapping[str, Callable[[nn.Module], Any]] | None = None,
) -> None:
    """Train two copies of `tiny_mlp(seed)` (float64, so that any difference beyond rounding is
    a real one) on the same batches, each with the optimiser its factory makes from the model;
    assert that every parameter agrees after every step (reporting the first that diverges).

    `mistakes` maps a sentence to a factory of a deliberately wrong optimiser (see
    `MistakeOptimizer`); when our trajectory follows one of them, the message names it."""
    from arena_cli.testing import assert_close

    ours, reference = tiny_mlp(seed), tiny_mlp(seed)
    batches = regression_batches(seed, n_steps)
    with single_threaded():
        expected = parameter_trajectory(reference, make_torch(reference), batches)
        actual = parameter_trajectory(ours, make_ours(ours), batches)
    variants: dict[str, list[list[Tensor]]] = {}

    def variant(sentence: str, step: int, index: int) -> Tensor:
        if sentence not in variants:
            model = tiny_mlp(seed)
            with single_threaded():
                variants[sentence] = parameter_trajectory(model, (mistakes or {})[sentence](model), batches)
        return variants[sentence][step - 1][index]

    names = [name for name, _ in ours.named_parameters()]
    for step, (got, want) in enumerate(zip(actual, expected), start=1):
        for index, (name, got_param, want_param) in enumerate(zip(names, got, want)):
            assert_close(
                got_param,
                want_param,
                atol=atol,
                rtol=rtol,
                name=f"parameter {name!r} after step {step}",
                mistakes={
                    sentence: (lambda sentence=sentence, step=step, index=index: variant(sentence, step, index))
                    for sentence in (mistakes or {})
                },
            )


class MistakeOptimizer:
    """A deliberately wrong optimiser, for naming mistakes: `update(p, g, state)` changes each
    parameter that has a gradient in place; `state` is that parameter's dict, `state["t"]` its
    step count (1 on its first step)."""

    def __init__(self, params: Iterable[Tensor], update: Callable[[Tensor, Tensor, dict[str, Any]], None]) -> None:
        self.params = list(params)
        self.update = update
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                state["t"] = state.get("t", 0) + 1
                self.update(p, p.grad, state)


def sgd_mistake(mistake: str, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                weight_decay: float = 0.0, nesterov: bool = False) -> Callable[[nn.Module], MistakeOptimizer]:
    """SGD with one mistake: "nesterov_ignored", "dampened_first_step", "decay_after_momentum",
    "dampening_ignored"."""

    def update(p: Tensor, g: Tensor, state: dict[str, Any]) -> None:
        if weight_decay and mistake != "decay_after_momentum":
            g = g + weight_decay * p
        if momentum:
            damp = 0.0 if mistake == "dampening_ignored" else dampening
            if "buffer" not in state:
                state["buffer"] = (1 - damp) * g if mistake == "dampened_first_step" else g.clone()
            else:
                state["buffer"] = momentum * state["buffer"] + (1 - damp) * g
            g = g + momentum * state["buffer"] if nesterov and mistake != "nesterov_ignored" else state["buffer"]
        if weight_decay and mistake == "decay_after_momentum":
            g = g + weight_decay * p
        p -= lr * g

    return lambda model: MistakeOptimizer(model.parameters(), update)


def adam_mistake(mistake: str, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False) -> Callable[[nn.Module], MistakeOptimizer]:
    """Adam (decoupled=False) or AdamW (True) with one mistake: "no_bias_correction",
    "eps_inside_sqrt", "other_decay" (AdamW's decay in Adam, or Adam's in AdamW),
    "decay_after_update", "decay_without_lr"."""
    beta1, beta2 = betas
    is_decoupled = decoupled != (mistake == "other_decay")

    def update(p: Tensor, g: Tensor, state: dict[str, Any]) -> None:
        t = state["t"]
        if weight_decay and not is_decoupled:
            g = g + weight_decay * p
        if weight_decay and is_decoupled and mistake != "decay_after_update":
            p *= 1 - (1.0 if mistake == "decay_without_lr" else lr) * weight_decay
        state["m"] = beta1 * state.get("m", torch.zeros_like(p)) + (1 - beta1) * g
        state["v"] = beta2 * state.get("v", torch.zeros_like(p)) + (1 - beta2) * g**2
        m_hat, v_hat = state["m"], state["v"]
        if mistake != "no_bias_correction":
            m_hat, v_hat = m_hat / (1 - beta1**t), v_hat / (1 - beta2**t)
        denominator = (v_hat + eps).sqrt() if mistake == "eps_inside_sqrt" else v_hat.sqrt() + eps
        p -= lr * m_hat / denominator
        if weight_decay and is_decoupled and mistake == "decay_after_update":
            p *= 1 - lr * weight_decay

    return lambda model: MistakeOptimizer(model.parameters(), update)


def rmsprop_mistake(mistake: str, lr: float = 0.01, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                    momentum: float = 0.0, centered: bool = False) -> Callable[[nn.Module], MistakeOptimizer]:
    """RMSprop with one mistake: "eps_inside_sqrt", "centered_plus", "momentum_on_raw_gradient",
    "alpha_swapped"."""

    def update(p: Tensor, g: Tensor, state: dict[str, Any]) -> None:
        if weight_decay:
            g = g + weight_decay * p
        keep = 1 - alpha if mistake == "alpha_swapped" else alpha
        state["v"] = keep * state.get("v", torch.zeros_like(p)) + (1 - keep) * g**2
        v = state["v"]
        if centered:
            state["g_avg"] = alpha * state.get("g_avg", torch.zeros_like(p)) + (1 - alpha) * g
            v = v + state["g_avg"] ** 2 if mistake == "centered_plus" else v - state["g_avg"] ** 2
        denominator = (v + eps).sqrt() if mistake == "eps_inside_sqrt" else v.sqrt() + eps
        if momentum > 0:
            raw = mistake == "momentum_on_raw_gradient"
            state["buffer"] = momentum * state.get("buffer", torch.zeros_like(p)) + (g if raw else g / denominator)
            p -= lr * (state["buffer"] / denominator if raw else state["buffer"])
        else:
            p -= lr * g / denominator

    return lambda model: MistakeOptimizer(model.parameters(), update)


def assert_skips_parameters_without_grad(make_ours: Callable[[Iterable[Tensor]], Any]) -> None:
    """A parameter that gets no gradient (unused in the loss) must not move, nor break step()."""
    from arena_cli.testing import assert_close

    model = tiny_mlp(0)
    unused = nn.Parameter(torch.linspace(-1.0, 1.0, 4, dtype=torch.float64))
    optimizer = make_ours([*model.parameters(), unused])
    with single_threaded():
        parameter_trajectory(model, optimizer, regression_batches(0, 3))
    assert_close(
        unused,
        torch.linspace(-1.0, 1.0, 4, dtype=torch.float64),
        name="a parameter whose .grad is None (skip it, as torch does: no decay, no state)",
    )


def assert_counts_steps_per_parameter(
    make_ours: Callable[[list[Tensor]], Any], make_torch: Callable[[list[Tensor]], Any], *, decoupled: bool
) -> None:
    """Two parameters; the second gets no gradient on the first two steps. torch counts each
    parameter's steps separately (its bias correction starts at t = 1 when it first moves); a
    single global count moves it differently. `decoupled` says which Adam the mistake variant is
    (AdamW's decay or Adam's L2), for the named message."""
    from arena_cli.testing import assert_close

    def params() -> list[Tensor]:
        return [nn.Parameter(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)),
                nn.Parameter(torch.tensor([0.3, 0.7], dtype=torch.float64))]

    generator = torch.Generator().manual_seed(11)
    grads = [[torch.randn(3, generator=generator, dtype=torch.float64),
              None if step < 2 else torch.randn(2, generator=generator, dtype=torch.float64)] for step in range(6)]
    ours, theirs = params(), params()
    ours_opt, torch_opt = make_ours(ours), make_torch(theirs)
    group = torch_opt.param_groups[0]
    lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
    # the mistake: one global step count
    variant = params()
    m = [torch.zeros_like(p) for p in variant]
    v = [torch.zeros_like(p) for p in variant]
    with single_threaded(), torch.no_grad():
        for t, step_grads in enumerate(grads, start=1):
            for p, q, g in zip(ours, theirs, step_grads):
                p.grad = None if g is None else g.clone()
                q.grad = None if g is None else g.clone()
            ours_opt.step()
            torch_opt.step()
            for i, (p, g) in enumerate(zip(variant, step_grads)):
                if g is None:
                    continue
                if decoupled:
                    p *= 1 - lr * wd
                else:
                    g = g + wd * p
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g**2
                p -= lr * (m[i] / (1 - beta1**t)) / ((v[i] / (1 - beta2**t)).sqrt() + eps)
            for index, (p, q, w) in enumerate(zip(ours, theirs, variant)):
                assert_close(
                    p, q, atol=1e-10, rtol=1e-8,
                    name=f"parameter {index} after step {t} (parameter 1 gets its first gradient at step 3)",
                    mistakes={
                        "one step count for all parameters; torch counts steps per parameter, so a parameter "
                        "that first gets a gradient at step 3 is bias-corrected with t = 1 there": w.clone(),
                    },
                )
