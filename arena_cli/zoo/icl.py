"""Zoo model `icl`: a small transformer that learns a task from the examples in its prompt.

A prompt is `<bos> x1 -> y1 x2 -> y2 … x10 -> y10`: ten different letters of `a` … `p` as
inputs, and after each input's arrow its output y = f(x) under one task f, the same for the
whole prompt. The tasks are the eight shifts "add k" (k = 1 … 8): a letter moves k places on
through the 16-letter alphabet, cyclically (`add3`: a -> d, n -> a).

The output is predicted at each arrow. Before the first example the task is unknown (about
1 in 8 right); one example gives it away. Because no input repeats, the model cannot copy an
earlier answer: it must work out the task and apply it to the new input. The task is
linearly readable from the residual stream after layer 1's attention
(`blocks.1.hook_resid_mid`), averaged over a prompt's arrows (the readout function vectors
use): a probe fitted on 2 000 prompts is right on 97.6 % of 2 000 others (chance 12.5 %; the
arrows' embeddings alone: 12 %). At a single arrow it is entangled with that arrow's input
letter: 83 % after 4 examples, 91 % after 9.

Limits, measured on the shipped checkpoint: because of that entanglement a *mean* task vector (`task_vectors`) added at the arrow of a prompt with no
example barely steers it (20 % right against 11 % unsteered): this model does not yet
support function-vector steering. Designs tried: the plain format `x1 y1 x2 y2 …` (no
arrow; the probe read the task about half of the time, with 2 or 3 layers, shifts or random
permutations, noisy examples or not), instruction tokens, d_model 128.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "icl"
N_SYMBOLS = 16
LETTERS = tuple("abcdefghijklmnop")
SPECIALS = ("<bos>", "<pad>", "<unk>")
VOCAB: tuple[str, ...] = SPECIALS + LETTERS + ("->",)
BOS, PAD = 0, 1
FIRST_LETTER = len(SPECIALS)
ARROW = VOCAB.index("->")

SHIFTS = (1, 2, 3, 4, 5, 6, 7, 8)
TASKS: dict[str, torch.Tensor] = {f"add{k}": (torch.arange(N_SYMBOLS) + k) % N_SYMBOLS for k in SHIFTS}
TASK_NAMES = tuple(TASKS)
TASK_TABLE = torch.stack(list(TASKS.values()))  # [task, x] -> f(x), letter indices
N_PAIRS = 10

CONFIG: dict[str, Any] = dict(
    n_layers=3, d_model=64, n_heads=4, d_head=16, d_mlp=256, n_ctx=1 + 3 * N_PAIRS,
    d_vocab=len(VOCAB), attn_only=False, normalization_type="LN", act_fn="gelu",
)

# Training recipe of the shipped checkpoint.
SEED = 0
STEPS = 2000
BATCH = 64
LR = 2e-3
WEIGHT_DECAY = 0.01
WARMUP = 100

# Properties the shipped checkpoint must have (tests/runner/test_zoo.py).
FEW_SHOT = 4  # "several examples"
FEW_SHOT_ACCURACY_MIN = 0.9
ZERO_SHOT_ACCURACY_MAX = 0.3  # chance is 1/8
PROBE_POINT = "blocks.1.hook_resid_mid"  # after layer 1's attention, at the arrow
PROBE_PROMPTS = 4000  # half to fit the probe, half to score it
PROBE_ARROWS = tuple(range(1, N_PAIRS))  # the probe reads the mean residual over these arrows
PROBE_ACCURACY_MIN = 0.9  # chance is 1/8
TASK_VECTOR_POINT = PROBE_POINT


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<bos>", pad="<pad>", unk="<unk>", name=NAME)


# ---------------------------------------------------------------------------------------------
# Data


def make_prompts(
    batch: int, g: torch.Generator, tasks: torch.Tensor | None = None, n_pairs: int = N_PAIRS
) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [batch, 1 + 3*n_pairs] and the task index of each prompt [batch].

    Positions 3k+1, 3k+2, 3k+3 hold x_k, `->`, y_k = f(x_k) (k = 0 … n_pairs-1); y_k is
    predicted at the arrow, position 3k+2, after k examples.
    """
    if tasks is None:
        tasks = torch.randint(len(TASKS), (batch,), generator=g)
    xs = torch.stack([torch.randperm(N_SYMBOLS, generator=g)[:n_pairs] for _ in range(batch)])
    ys = TASK_TABLE[tasks[:, None], xs]
    tokens = torch.empty(batch, 1 + 3 * n_pairs, dtype=torch.long)
    tokens[:, 0] = BOS
    tokens[:, 1::3] = xs + FIRST_LETTER
    tokens[:, 2::3] = ARROW
    tokens[:, 3::3] = ys + FIRST_LETTER
    return tokens, tasks


def query_position(n_examples: int) -> int:
    """The arrow where the output is predicted after `n_examples` examples."""
    return 3 * n_examples + 2


# ---------------------------------------------------------------------------------------------
# Measurements


@torch.no_grad()
def accuracy_by_examples(model, *, n: int = 512, seed: int = 77) -> list[float]:
    """Top-1 accuracy of predicting y_k after k examples, for k = 0 … N_PAIRS-1."""
    tokens, _ = make_prompts(n, torch.Generator().manual_seed(seed))
    device = next(model.parameters()).device
    logits = model(tokens.to(device)).float().cpu()
    predicted = logits[:, 2::3].argmax(-1)  # at the arrows, [batch, pair]
    return (predicted == tokens[:, 3::3]).float().mean(0).tolist()


def probe_points(n_layers: int) -> list[str]:
    """The residual-stream hook points the task probe reads, in order through the model."""
    points = []
    for layer in range(n_layers):
        points += [f"blocks.{layer}.hook_resid_pre", f"blocks.{layer}.hook_resid_mid"]
    return points + [f"blocks.{n_layers - 1}.hook_resid_post"]


def fit_logistic_probe(x: torch.Tensor, y: torch.Tensor, n_classes: int, c: float = 1.0):
    """Multinomial logistic regression with an L2 penalty (scikit-learn's objective with C=c),
    fitted by L-BFGS in float64: weights [d, class] and biases [class]."""
    x = x.double()
    weights = torch.zeros(x.shape[1], n_classes, dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_classes, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([weights, bias], max_iter=150, tolerance_grad=1e-6, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weights + bias, y, reduction="sum") + 0.5 / c * weights.pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return weights.detach(), bias.detach()


def probe_accuracy(
    bridge, *, arrows: tuple[int, ...] = PROBE_ARROWS, n: int = PROBE_PROMPTS, seed: int = 5,
    points: list[str] | None = None,
) -> dict[str, float]:
    """Held-out accuracy of a linear probe (`fit_logistic_probe`) that reads the task from the
    residual stream of a bridge, averaged over the arrows after each number of examples in
    `arrows` (the default, 1 … 9, is the readout `task_vectors` uses; `(4,)` reads one arrow),
    at each hook point (default: all of `probe_points`). Fitted on half the prompts, scored on
    the other half. Chance is 1/8."""
    tokens, tasks = make_prompts(n, torch.Generator().manual_seed(seed))
    points = probe_points(bridge.cfg.n_layers) if points is None else points
    device = next(bridge.parameters()).device
    with torch.no_grad():
        _, cache = bridge.run_with_cache(tokens.to(device), names_filter=lambda name: name in points)
    half = n // 2
    positions = [query_position(k) for k in arrows]
    scores = {}
    for point in points:
        x = cache[point][:, positions].mean(1).double().cpu()
        weights, bias = fit_logistic_probe(x[:half], tasks[:half], len(TASKS))
        scores[point] = float(((x[half:] @ weights + bias).argmax(-1) == tasks[half:]).float().mean())
    return scores


@torch.no_grad()
def task_vectors(bridge, *, point: str = TASK_VECTOR_POINT, n: int = 800, seed: int = 6) -> torch.Tensor:
    """[task, d_model]: each task's mean residual at `point` over the arrows after 1 … 9
    examples, minus the mean over all tasks."""
    tokens, tasks = make_prompts(n, torch.Generator().manual_seed(seed))
    _, cache = bridge.run_with_cache(tokens, names_filter=lambda name: name == point)
    acts = cache[point][:, [query_position(k) for k in range(1, N_PAIRS)]].mean(1)  # [n, d_model]
    means = torch.stack([acts[tasks == t].mean(0) for t in range(len(TASKS))])
    return means - means.mean(0)


@torch.no_grad()
def task_vector_accuracy(bridge, vectors: torch.Tensor, *, point: str = TASK_VECTOR_POINT,
                         n: int = 800, seed: int = 8) -> tuple[float, float]:
    """Accuracy on prompts with no example (`<bos> x ->`), without and with the task's vector
    added at `point` at the arrow."""
    tokens, tasks = make_prompts(n, torch.Generator().manual_seed(seed), n_pairs=1)
    tokens = tokens[:, :3]  # <bos> x ->
    truth = TASK_TABLE[tasks, tokens[:, 1] - FIRST_LETTER] + FIRST_LETTER

    def add(resid, hook):
        resid[:, 2] += vectors[tasks].to(resid.dtype)
        return resid

    plain = bridge(tokens)[:, 2].argmax(-1)
    steered = bridge.run_with_hooks(tokens, fwd_hooks=[(point, add)])[:, 2].argmax(-1)
    return float((plain == truth).float().mean()), float((steered == truth).float().mean())


def measure(bridge) -> dict[str, Any]:
    by_k = accuracy_by_examples(bridge)
    probes = probe_accuracy(bridge)
    best = max(probes, key=probes.get)
    plain, steered = task_vector_accuracy(bridge, task_vectors(bridge))
    return dict(
        accuracy_by_examples=by_k, zero_shot=by_k[0], few_shot=by_k[FEW_SHOT],
        probe=probes, probe_best=probes[best], probe_best_point=best,
        task_vector_zero_shot=plain, task_vector_steered=steered,
    )


# ---------------------------------------------------------------------------------------------
# Training


def train(
    *, device: str = "cpu", out: Path | None = None, seed: int | None = None,
    steps: int = STEPS, log_every: int = 250, verbose: bool = True,
) -> dict[str, Any]:
    """Train from scratch (seeded, deterministic) and write the checkpoint to `out` if given."""
    from arena_cli.zoo import _common

    seed = SEED if seed is None else seed
    device = _common.resolve_device(device)
    clock = _common.Clock()
    with _common.training_context(seed, device):
        model = _common.native_model(CONFIG, seed=seed, device=device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda s: min(1.0, (s + 1) / WARMUP) * 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)),
        )
        data = torch.Generator().manual_seed(seed)
        history = []
        for step in range(1, steps + 1):
            tokens, _ = make_prompts(BATCH, data)
            tokens = tokens.to(device)
            logits = model(tokens)
            # the loss is on the outputs only (predicted at the arrows): inputs are random
            loss = F.cross_entropy(logits[:, 2::3].flatten(0, 1), tokens[:, 3::3].flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % log_every == 0 or step == steps:
                model.eval()
                by_k = accuracy_by_examples(model, n=256)
                model.train()
                history.append(dict(step=step, seconds=round(clock(), 1), loss=loss.item(), accuracy_by_examples=by_k))
                if verbose:
                    shown = " ".join(f"{a:.2f}" for a in by_k[:6])
                    print(f"[{NAME}] step {step:5d}  {clock():6.1f}s  loss {loss.item():.3f}  "
                          f"accuracy after 0..5 examples: {shown}", flush=True)
        model.eval()
        state = _common.bridge_state_dict(NAME, model)
        bridge = _common.boot(NAME, device=device)
        bridge.load_state_dict(state)
        final = measure(bridge.eval())
    result = dict(
        name=NAME, seed=seed, steps=steps, device=device, train_seconds=round(clock(), 1),
        train_cpu_seconds=round(clock.cpu(), 1),
        n_params=_common.n_params(model), **final, history=history,
    )
    if out is not None:
        _common.write_model_checkpoint(
            out, NAME, CONFIG, VOCAB, {"model": state}, result,
            train_args=dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY),
        )
    return result
