"""Zoo model `grokking`: a 1-layer transformer that learned (a + b) mod p, with its history.

Input: the three tokens `a b =` (numbers 0 … p-1 are tokens "0" … "112", then "="; no BOS);
the prediction at "=" is (a + b) mod p. Trained full-batch on a random 30 % of all p² pairs
with strong weight decay (AdamW, wd 1.0): the model first memorises the training pairs (train
accuracy ~100 %, test accuracy near chance), and only later generalises ("groks") to the
held-out 70 %, by a Fourier algorithm: it embeds each number as cos/sin waves of a handful of
key frequencies and combines them with trig identities.

p = 113 (the prime of the original grokking-interpretability work): big enough that a handful
of the 56 frequencies clearly dominate, small enough that full-batch training groks in a few
minutes on a CPU. Training computes only the last position's logits (all that the loss uses;
the same maths as the full forward, checked by the structure tests).

`load_checkpoints()` returns the snapshots taken along training (the training-dynamics
exercises use them), `training_curve()` the losses and accuracies logged every few steps.
Each snapshot is its own small checkpoint (`grokking_history/step_NNNNN.pt`, 0.46 MB), so no
shipped file comes near the zoo's 2 MB limit per checkpoint; the curve is in `grokking.pt`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

NAME = "grokking"
P = 113
VOCAB: tuple[str, ...] = tuple(str(i) for i in range(P)) + ("=",)
EQUALS = P

CONFIG: dict[str, Any] = dict(
    n_layers=1, d_model=128, n_heads=4, d_head=32, d_mlp=512, n_ctx=3,
    d_vocab=P + 1, d_vocab_out=P, attn_only=False, normalization_type=None, act_fn="relu",
)

# Training recipe of the shipped checkpoint.
SEED = 0
TRAIN_FRACTION = 0.3
LR = 3e-3  # 1e-3 did not grok within 10 minutes; with 3e-3 test accuracy passes 99 % at step 2440
WEIGHT_DECAY = 1.0
BETAS = (0.9, 0.98)
WARMUP = 10
STEPS = 3500
N_SNAPSHOTS = 20
LOG_EVERY = 10  # the training curve's resolution
# History snapshots are stored in half precision: 227 200 parameters = 0.46 MB each (float32
# would be twice that); the final model is also stored in float32 in grokking.pt (0.9 MB).
SNAPSHOT_DTYPE = torch.float16

HISTORY_DIR = "grokking_history"  # next to grokking.pt: one file per snapshot
SNAPSHOT_GLOB = "step_*.pt"  # the names `snapshot_file` gives

# Properties the shipped checkpoint must have (tests/runner/test_zoo.py).
TEST_ACCURACY_MIN = 0.99
N_KEY_FREQUENCIES = 5
KEY_FREQUENCY_SHARE_MIN = 0.6


def tokenizer():
    from arena_cli.zoo._common import build_tokenizer

    return build_tokenizer(list(VOCAB), bos=None, pad="=", unk=None, name=NAME)


# ---------------------------------------------------------------------------------------------
# Data


def all_pairs() -> tuple[torch.Tensor, torch.Tensor]:
    """Every input `a b =` ([p*p, 3], row a*p + b) and its answer (a + b) mod p ([p*p])."""
    a = torch.arange(P).repeat_interleave(P)
    b = torch.arange(P).repeat(P)
    tokens = torch.stack([a, b, torch.full_like(a, EQUALS)], dim=1)
    return tokens, (a + b) % P


def split(seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (rows of `all_pairs`) of the training pairs and of the held-out pairs."""
    order = torch.randperm(P * P, generator=torch.Generator().manual_seed(seed))
    n_train = round(TRAIN_FRACTION * P * P)
    return order[:n_train].sort().values, order[n_train:].sort().values


# ---------------------------------------------------------------------------------------------
# The fast forward used in training, and measurements


def last_logits(model, tokens: torch.Tensor) -> torch.Tensor:
    """Logits at the last position ([batch, p]) of a bare NativeModel of this config.

    The same maths as `model(tokens)[:, -1]` (1 layer, no LayerNorm), but the query, the
    MLP and the unembedding run on the last position only: 3x less work for the MLP.
    """
    block = model.layers[0]
    attn = block.attn
    batch, n_pos = tokens.shape
    resid = model.tok_embed(tokens) + model.pos.weight[:n_pos]  # [batch, pos, d_model]
    heads, d_head = attn.n_heads, attn.d_head
    q = attn.q(resid[:, -1]).view(batch, heads, d_head)
    k = attn.k(resid).view(batch, n_pos, heads, d_head)
    v = attn.v(resid).view(batch, n_pos, heads, d_head)
    pattern = torch.einsum("bhd,bkhd->bhk", q, k).div(attn.scale).softmax(dim=-1)
    z = torch.einsum("bhk,bkhd->bhd", pattern, v).reshape(batch, heads * d_head)
    resid_last = resid[:, -1] + attn.o(z)
    resid_last = resid_last + block.mlp(resid_last)
    return model.head(resid_last)


def predict(model, tokens: torch.Tensor) -> torch.Tensor:
    """Last-position logits of a bridge (its real forward) or of a bare model (`last_logits`)."""
    if hasattr(model, "run_with_cache"):
        return model(tokens)[:, -1]
    return last_logits(model, tokens)


@torch.no_grad()
def evaluate(model, train_idx: torch.Tensor, test_idx: torch.Tensor) -> dict[str, float]:
    tokens, labels = all_pairs()
    device = next(model.parameters()).device
    out = {}
    for part, idx in (("train", train_idx), ("test", test_idx)):
        logits = predict(model, tokens[idx].to(device)).float().cpu()
        out[f"{part}_loss"] = float(F.cross_entropy(logits, labels[idx]))
        out[f"{part}_acc"] = float((logits.argmax(-1) == labels[idx]).float().mean())
    return out


def frequency_norms(embedding: torch.Tensor) -> torch.Tensor:
    """Squared norm of the number embeddings ([p, d]) per frequency 1 … (p-1)/2 (cos and sin
    together), from the discrete Fourier transform over the number axis (`torch.fft.rfft`)."""
    spectrum = torch.fft.rfft(embedding.float(), dim=0)  # [p//2 + 1, d]
    return spectrum[1:].abs().pow(2).sum(dim=-1)  # frequency 0 (the mean) left out


def key_frequencies(embedding: torch.Tensor, k: int = N_KEY_FREQUENCIES) -> tuple[list[int], float]:
    """The k frequencies with the most embedding norm, and their share of it (frequency > 0)."""
    norms = frequency_norms(embedding)
    top = norms.topk(k)
    return sorted(int(i) + 1 for i in top.indices), float(top.values.sum() / norms.sum())


# ---------------------------------------------------------------------------------------------
# Snapshots along training


@dataclass(frozen=True)
class Snapshot:
    """The model at one point of training, with its accuracies there."""

    step: int
    train_loss: float
    test_loss: float
    train_acc: float
    test_acc: float
    model: Any  # a TransformerBridge in eval mode


def snapshot_steps(steps: int = STEPS, n: int = N_SNAPSHOTS) -> list[int]:
    """Evenly spaced steps from 0 (the initialisation) to the last step."""
    return sorted({round(i * steps / (n - 1)) for i in range(n)})


def snapshot_file(step: int) -> str:
    """A snapshot's file name inside the history folder."""
    return f"step_{step:05d}.pt"


def history_dir() -> Path:
    from arena_cli import zoo

    return zoo.CHECKPOINT_DIR / HISTORY_DIR


def load_checkpoints(*, device: str = "cpu", path: Path | None = None) -> list[Snapshot]:
    """The ~20 snapshots taken along training, oldest first, each with its step and losses.

    `path` is the history folder (default: the shipped one). The weights are stored in half
    precision and loaded back as float32. A missing or damaged snapshot is a ZooError.
    """
    from arena_cli.zoo import _common

    folder = Path(path) if path is not None else history_dir()
    files = sorted(folder.glob(SNAPSHOT_GLOB))
    if not files:
        raise _common.ZooError(
            f"the history files of zoo model {NAME!r} are missing ({folder}/{SNAPSHOT_GLOB}); {_common.rebuild_hint(NAME)}"
        )
    snapshots = []
    for file in files:
        data = _common.read_checkpoint(file, NAME, kind="history")
        model = _common.boot(NAME, device=device)
        model.load_state_dict({k: v.float() for k, v in data["tensors"]["model"].items()}, strict=True)
        model.eval()
        snapshots.append(Snapshot(model=model, **data["snapshot"]))
    return snapshots


def training_curve(path: Path | None = None) -> dict[str, torch.Tensor]:
    """Losses and accuracies every LOG_EVERY steps: keys step, train_loss, test_loss, train_acc,
    test_acc. `path` is a grokking checkpoint (default: the shipped one)."""
    from arena_cli import zoo
    from arena_cli.zoo import _common

    return dict(_common.read_checkpoint(path or zoo.checkpoint_path(NAME), NAME)["tensors"]["curve"])


def train_indices() -> tuple[torch.Tensor, torch.Tensor]:
    """The training and held-out pair indices of the shipped checkpoint (rows of `all_pairs`)."""
    from arena_cli import zoo
    from arena_cli.zoo import _common

    tensors = _common.read_checkpoint(zoo.checkpoint_path(NAME), NAME)["tensors"]
    return tensors["train_idx"].long(), tensors["test_idx"].long()


# ---------------------------------------------------------------------------------------------
# Training


def train(
    *, device: str = "cpu", out: Path | None = None, seed: int | None = None,
    steps: int = STEPS, verbose: bool = True,
) -> dict[str, Any]:
    """Train from scratch (seeded, deterministic); write the checkpoint to `out` and the
    training history next to it (the `grokking_history/` folder beside `out`)."""
    from arena_cli.zoo import _common, _training

    seed = SEED if seed is None else seed
    device = _common.resolve_device(device)
    clock = _common.Clock()
    train_idx, test_idx = split(seed)
    tokens, labels = all_pairs()
    x_train, y_train = tokens[train_idx].to(device), labels[train_idx].to(device)
    keep = set(snapshot_steps(steps))
    curve: dict[str, list[float]] = {k: [] for k in ("step", "train_loss", "test_loss", "train_acc", "test_acc")}
    snapshots: list[dict[str, Any]] = []
    snapshot_weights: list[dict[str, torch.Tensor]] = []
    grokked_at = None

    def observe(step: int, model, loss) -> None:
        nonlocal grokked_at
        if not (step % LOG_EVERY == 0 or step in keep):
            return
        metrics = evaluate(model, train_idx, test_idx)
        if step % LOG_EVERY == 0:
            curve["step"].append(step)
            for key, value in metrics.items():
                curve[key].append(value)
        if grokked_at is None and metrics["test_acc"] > TEST_ACCURACY_MIN:
            grokked_at = step
        if step in keep:
            snapshots.append(dict(step=step, **metrics))
            snapshot_weights.append({k: v.to(SNAPSHOT_DTYPE) for k, v in _common.bridge_state_dict(NAME, model).items()})
            if verbose:
                print(
                    f"[{NAME}] step {step:5d}  {clock():6.1f}s  train loss {metrics['train_loss']:.4f} "
                    f"acc {metrics['train_acc']:.3f}  test loss {metrics['test_loss']:.3f} "
                    f"acc {metrics['test_acc']:.4f}",
                    flush=True,
                )

    model, final = _training.fit(  # full batch: every step sees the whole training split
        NAME, seed=seed, device=device, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY, betas=BETAS,
        lr_factor=lambda s: min(1.0, (s + 1) / WARMUP), batch=lambda _data: (x_train, y_train),
        loss=lambda model, batch: F.cross_entropy(last_logits(model, batch[0]), batch[1]),
        final=lambda model: evaluate(model, train_idx, test_idx), observe=observe,
    )
    state = _common.bridge_state_dict(NAME, model)
    frequencies, share = key_frequencies(state["embed.weight"][:P])
    memorised = [s for s in snapshots if s["train_acc"] > 0.99 and s["test_acc"] < 0.5]
    result = dict(
        _training.summary(NAME, seed=seed, steps=steps, device=device, clock=clock, model=model),
        grokked_at_step=grokked_at, **final,
        memorised_snapshot_steps=[s["step"] for s in memorised],
        key_frequencies=frequencies, key_frequency_share=share,
    )
    if out is not None:
        out = Path(out)
        train_args = dict(
            seed=seed, steps=steps, lr=LR, weight_decay=WEIGHT_DECAY, betas=list(BETAS),
            train_fraction=TRAIN_FRACTION, full_batch=True,
        )
        tensors = {
            "model": state, "train_idx": train_idx.short(), "test_idx": test_idx.short(),
            "curve": {k: torch.tensor(v) for k, v in curve.items()},
        }
        _common.write_model_checkpoint(out, NAME, CONFIG, VOCAB, tensors, result, train_args)
        history = out.with_name(HISTORY_DIR)
        result["history"] = str(history)
        names = [snapshot_file(snapshot["step"]) for snapshot in snapshots]
        result["history_size_bytes"] = sum(
            _common.save_checkpoint(
                history / name,
                dict(
                    name=NAME, kind="history", config=CONFIG, vocab=list(VOCAB), snapshot=snapshot,
                    tensors={"model": weights}, train_args=train_args,
                ),
            )
            for name, snapshot, weights in zip(names, snapshots, snapshot_weights)
        )
        for stale in history.glob(SNAPSHOT_GLOB):  # from a run with other snapshot steps
            if stale.name not in names:
                stale.unlink()
    return result
