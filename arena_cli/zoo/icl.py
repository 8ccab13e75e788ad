"""Zoo model `icl`: a small transformer that learns a task from the examples in its prompt.

A prompt is `<bos> x1 y1 x2 y2 … x16 y16`: sixteen letters `a` … `p` as inputs (each exactly
once, in random order) and after each input its output y = f(x) under one task f, the same
for the whole prompt. The tasks are eight bijections of the alphabet:

    shift+1  shift+2  shift+5  shift-1  mirror  swap-pairs  xor-4  shift+8

(`shift+k`: k letters on, cyclically; `mirror`: a<->p, b<->o, …; `swap-pairs`: a<->b, c<->d, …;
`xor-4`: flip bit 2 of the letter's index.) Because no input repeats, the model cannot copy an
earlier answer: to predict y_k it must work out the task from the k earlier pairs and apply
it. Trained with the next-token loss on the outputs only, it is near chance with no example
and close to perfect after a few; the task is readable from its residual stream (a linear
probe finds it), which is what the function-vector exercises build on.
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
VOCAB: tuple[str, ...] = SPECIALS + LETTERS
BOS, PAD = 0, 1
FIRST_LETTER = len(SPECIALS)

_i = torch.arange(N_SYMBOLS)
TASKS: dict[str, torch.Tensor] = {
    "shift+1": (_i + 1) % N_SYMBOLS,
    "shift+2": (_i + 2) % N_SYMBOLS,
    "shift+5": (_i + 5) % N_SYMBOLS,
    "shift-1": (_i - 1) % N_SYMBOLS,
    "mirror": N_SYMBOLS - 1 - _i,
    "swap-pairs": _i ^ 1,
    "xor-4": _i ^ 4,
    "shift+8": (_i + 8) % N_SYMBOLS,
}
TASK_NAMES = tuple(TASKS)
TASK_TABLE = torch.stack(list(TASKS.values()))  # [task, x] -> f(x), letter indices
N_PAIRS = N_SYMBOLS

CONFIG: dict[str, Any] = dict(
    n_layers=3, d_model=64, n_heads=4, d_head=16, d_mlp=256, n_ctx=1 + 2 * N_PAIRS,
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
ZERO_SHOT_ACCURACY_MAX = 0.4
PROBE_ACCURACY_MIN = 0.9


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos="<bos>", pad="<pad>", unk="<unk>", name=NAME)


# ---------------------------------------------------------------------------------------------
# Data


def make_prompts(batch: int, g: torch.Generator, tasks: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids [batch, 1 + 2*N_PAIRS] and the task index of each prompt [batch].

    Position 2k+1 holds x_k and position 2k+2 holds y_k = f(x_k) (k = 0 … N_PAIRS-1); the
    prediction of y_k is read at position 2k+1 (after k examples).
    """
    if tasks is None:
        tasks = torch.randint(len(TASKS), (batch,), generator=g)
    xs = torch.stack([torch.randperm(N_SYMBOLS, generator=g) for _ in range(batch)])  # [batch, pair]
    ys = TASK_TABLE[tasks[:, None], xs]
    tokens = torch.empty(batch, 1 + 2 * N_PAIRS, dtype=torch.long)
    tokens[:, 0] = BOS
    tokens[:, 1::2] = xs + FIRST_LETTER
    tokens[:, 2::2] = ys + FIRST_LETTER
    return tokens, tasks


def query_positions(n_examples: int) -> int:
    """The position of x_k whose output is predicted after `n_examples` = k examples."""
    return 2 * n_examples + 1


# ---------------------------------------------------------------------------------------------
# Measurements


@torch.no_grad()
def accuracy_by_examples(model, *, n: int = 512, seed: int = 77) -> list[float]:
    """Top-1 accuracy of predicting y_k after k examples, for k = 0 … N_PAIRS-1."""
    tokens, _ = make_prompts(n, torch.Generator().manual_seed(seed))
    device = next(model.parameters()).device
    logits = model(tokens.to(device)).float().cpu()
    predicted = logits[:, 1::2].argmax(-1)  # at x_k, [batch, pair]
    return (predicted == tokens[:, 2::2]).float().mean(0).tolist()


@torch.no_grad()
def residuals(model, tokens: torch.Tensor, position: int) -> list[torch.Tensor]:
    """The residual stream at `position` before each layer and after the last: [n_layers+1] x [batch, d_model]."""
    if hasattr(model, "run_with_cache"):
        _, cache = model.run_with_cache(tokens)
        layers = model.cfg.n_layers
        out = [cache[f"blocks.{layer}.hook_resid_pre"][:, position] for layer in range(layers)]
        return out + [cache[f"blocks.{layers - 1}.hook_resid_post"][:, position]]
    captured: list[torch.Tensor] = []
    hooks = [b.register_forward_pre_hook(lambda _m, args: captured.append(args[0][:, position])) for b in model.layers]
    hooks.append(model.ln_out.register_forward_pre_hook(lambda _m, args: captured.append(args[0][:, position])))
    try:
        model(tokens)
    finally:
        for h in hooks:
            h.remove()
    return captured


def probe_accuracy(model, *, n_examples: int = FEW_SHOT, n: int = 800, seed: int = 5) -> list[float]:
    """Held-out accuracy of a linear probe (multinomial logistic regression, scikit-learn) that
    reads the task from the residual stream at the query after `n_examples` examples; one
    figure per layer boundary (before layer 0 … after the last). Chance is 1/8."""
    from sklearn.linear_model import LogisticRegression

    tokens, tasks = make_prompts(n, torch.Generator().manual_seed(seed))
    device = next(model.parameters()).device
    acts = residuals(model, tokens.to(device), query_positions(n_examples))
    half = n // 2
    scores = []
    for act in acts:
        x = act.float().cpu().numpy()
        probe = LogisticRegression(max_iter=2000).fit(x[:half], tasks[:half].numpy())
        scores.append(float(probe.score(x[half:], tasks[half:].numpy())))
    return scores


def measure(model) -> dict[str, Any]:
    by_k = accuracy_by_examples(model)
    probes = probe_accuracy(model)
    return dict(
        accuracy_by_examples=by_k, zero_shot=by_k[0], few_shot=by_k[FEW_SHOT],
        probe_by_layer=probes, probe_best=max(probes),
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
            # the loss is on the outputs only: the inputs are random
            loss = F.cross_entropy(logits[:, 1::2].flatten(0, 1), tokens[:, 2::2].flatten())
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
                    shown = " ".join(f"{a:.2f}" for a in by_k[:8])
                    print(f"[{NAME}] step {step:5d}  {clock():6.1f}s  loss {loss.item():.3f}  "
                          f"accuracy after 0..7 examples: {shown}", flush=True)
        model.eval()
        final = measure(model)
    result = dict(
        name=NAME, seed=seed, steps=steps, device=device, train_seconds=round(clock(), 1),
        train_cpu_seconds=round(clock.cpu(), 1),
        n_params=_common.n_params(model), **final, history=history,
    )
    if out is not None:
        result["checkpoint"] = str(out)
        result["size_bytes"] = _common.save_checkpoint(
            Path(out),
            dict(
                name=NAME, config=CONFIG, vocab=list(VOCAB),
                tensors={"model": _common.bridge_state_dict(NAME, model)},
                metrics={k: v for k, v in result.items() if k not in ("history", "checkpoint", "size_bytes")},
                train_args=dict(seed=seed, steps=steps, batch=BATCH, lr=LR, weight_decay=WEIGHT_DECAY),
            ),
        )
    return result
