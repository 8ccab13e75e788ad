"""The model zoo: small trained models that chapter 1 studies, shipped and reproducible offline.

Each model is a TransformerLens native model (`TransformerBridge.boot_native`) with a shipped
checkpoint in `arena_cli/zoo/checkpoints/`, its vocabulary and data generator, and a seeded
training function that rebuilds the checkpoint on a CPU in minutes.

    >>> from arena_cli import zoo
    >>> model = zoo.load("induction")            # a TransformerBridge, eval mode, with a tokenizer
    >>> logits, cache = model.run_with_cache(model.to_tokens("t1 t2 t3 t1 t2"))

Importing this package is cheap (no torch): `catalogue()` lists the models for `arena zoo`.
`load`, `train` and the model modules import torch when they are called.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"


class ZooError(Exception):
    """A zoo model cannot be used: unknown name, missing or damaged checkpoint.

    The message says what is wrong and what to do about it.
    """


@dataclass(frozen=True)
class ZooEntry:
    """One model of the zoo, as `arena zoo` lists it."""

    name: str
    description: str  # what the model demonstrates
    sections: tuple[str, ...]  # the course sections that use it
    checkpoint: Path  # the shipped checkpoint file
    size_bytes: int  # size of the checkpoint file(s) on disk; 0 if missing
    n_params: int  # trainable parameters of the model


@dataclass(frozen=True)
class _Spec:
    name: str
    module: str  # arena_cli.zoo.<module> holds the definition and the training function
    description: str
    sections: tuple[str, ...]
    config: dict[str, Any]  # the TransformerBridgeConfig fields (plain data, no torch)
    extra_files: tuple[str, ...] = ()  # further shipped files (e.g. the grokking training history)


def _grokking_snapshot_steps(steps: int = 3500, n: int = 20) -> list[int]:
    # = grokking.snapshot_steps(), repeated without torch (tests/runner/test_zoo.py checks it)
    return sorted({round(i * steps / (n - 1)) for i in range(n)})


# The model definitions live in the model modules; their configs are repeated here as plain data
# so that listing the zoo needs no torch (tests/runner/test_zoo.py checks the two agree).
_SPECS: dict[str, _Spec] = {
    spec.name: spec
    for spec in (
        _Spec(
            name="induction",
            module="induction",
            description=(
                "2-layer attention-only model on random tokens with repeats: a layer-0 "
                "previous-token head and a layer-1 induction head (K-composition)."
            ),
            sections=("1.2 TransformerLens & induction heads", "1.4 interpreting with SAEs"),
            config=dict(
                n_layers=2, d_model=64, n_heads=4, d_head=16, n_ctx=64, d_vocab=103,
                attn_only=True, normalization_type="LN", act_fn="relu",
            ),
        ),
        _Spec(
            name="grokking",
            module="grokking",
            description=(
                "1-layer transformer on (a + b) mod 113, trained on 30 % of the pairs: memorises, "
                "then groks a Fourier algorithm with a few key frequencies; 20 snapshots along training."
            ),
            sections=("1.8 grokking & modular arithmetic",),
            config=dict(
                n_layers=1, d_model=128, n_heads=4, d_head=32, d_mlp=512, n_ctx=3,
                d_vocab=114, d_vocab_out=113, attn_only=False, normalization_type=None, act_fn="relu",
            ),
            extra_files=tuple(f"grokking_history/step_{step:05d}.pt" for step in _grokking_snapshot_steps()),
        ),
        _Spec(
            name="brackets",
            module="brackets",
            description=(
                "3-layer bidirectional classifier of balanced parentheses (length <= 40), class read "
                "at position 0; right on unseen strings, including equal counts with a negative prefix."
            ),
            sections=("1.7 balanced brackets",),
            config=dict(
                n_layers=3, d_model=56, n_heads=2, d_head=28, d_mlp=56, n_ctx=42, d_vocab=4,
                d_vocab_out=2, attention_dir="bidirectional", normalization_type="LN", act_fn="relu",
            ),
        ),
        _Spec(
            name="ioi",
            module="ioi",
            description=(
                "3-layer language model of generated indirect-object sentences (145 names, varied "
                "clauses, both name orders, distractor names): a subject head L0H0 and name movers "
                "L1H0, L1H2 form a circuit of faithfulness 1.14 under mean ablation."
            ),
            sections=("1.5 indirect object identification & patching", "1.4 interpreting with SAEs"),
            config=dict(
                n_layers=3, d_model=48, n_heads=4, d_head=12, d_mlp=192, n_ctx=32, d_vocab=206,
                attn_only=False, normalization_type="LN", act_fn="gelu",
            ),
        ),
        _Spec(
            name="icl",
            module="icl",
            description=(
                "2-layer model that infers which of 12 tasks (copy or 5 letter ciphers, lower or upper "
                "case) its prompt follows from 'x x:y' examples: ~15 % right with no example, 100 % after "
                "four; a function vector from 3 layer-0 heads makes zero-shot prompts do the task."
            ),
            sections=("1.6 function vectors & steering",),
            config=dict(
                n_layers=2, d_model=64, n_heads=4, d_head=16, d_mlp=512, n_ctx=17, d_vocab=531,
                attn_only=False, normalization_type="LN", act_fn="gelu",
            ),
        ),
        _Spec(
            name="othello",
            module="othello",
            description=(
                "4-layer model trained on random legal games of 6x6 Othello: predicts legal moves, and "
                "the board (empty / mine / theirs) is linearly readable from its residual stream."
            ),
            sections=("1.9 world models & linear probes",),
            config=dict(
                n_layers=4, d_model=96, n_heads=4, d_head=24, d_mlp=384, n_ctx=33, d_vocab=34,
                attn_only=False, normalization_type="LN", act_fn="gelu",
            ),
        ),
    )
}


@dataclass(frozen=True)
class SaeSetEntry:
    """A set of sparse autoencoders trained on a zoo model, as `arena zoo` lists it."""

    name: str
    module: str  # arena_cli.zoo.<module> trains and loads them
    model: str  # the zoo model they read
    description: str
    sections: tuple[str, ...]
    saes: tuple[str, ...]  # one folder each under checkpoints/<name>/ (SAELens format)
    size_bytes: int = 0  # the files on disk, all SAEs together
    kind: str = "SAEs"  # what the set holds, as `arena zoo` names it


# SAE sets: listed separately from the models (they are not TransformerBridge models). The SAE
# names are repeated from the module (tests/runner/test_zoo_saes.py checks the two agree).
_SAE_SETS: dict[str, SaeSetEntry] = {
    entry.name: entry
    for entry in (
        SaeSetEntry(
            name="othello_saes",
            module="othello_saes",
            model="othello",
            description=(
                "SAELens SAEs on othello's residual stream: TopK (k 32, 512 latents) entering blocks 1 "
                "and 2, >= 99 % of the loss recovered, 26 + 4 latents that are named features (F1 >= 0.9); "
                "standard ReLU/L1 ones (256 latents) entering blocks 2 and 3 and a 64-latent one at "
                "block 3 (~95 % recovered, features matched only partly)."
            ),
            sections=("1.4 interpreting with SAEs",),
            saes=("resid2", "resid3", "resid3_narrow", "resid1_topk", "resid2_topk"),
        ),
        SaeSetEntry(
            name="othello_transcoders",
            module="othello_transcoders",
            model="othello",
            description=(
                "SAELens transcoders (ReLU, 256 latents) imitating each of othello's four MLPs, from "
                "the MLP's input to its output: the replacement model of the attribution graph."
            ),
            sections=("1.4 interpreting with SAEs",),
            saes=("mlp0", "mlp1", "mlp2", "mlp3"),
            kind="transcoders",
        ),
    )
}


def sae_catalogue() -> list[SaeSetEntry]:
    """Every SAE set with its files' size on disk; cheap (no torch import)."""
    out = []
    for entry in _SAE_SETS.values():
        folder = CHECKPOINT_DIR / entry.name
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0
        out.append(SaeSetEntry(**{**entry.__dict__, "size_bytes": size}))
    return out


def names() -> tuple[str, ...]:
    """The names of the zoo's models, in course order."""
    return tuple(_SPECS)


def _spec(name: str) -> _Spec:
    try:
        return _SPECS[name]
    except KeyError:
        known = ", ".join(_SPECS)
        raise ZooError(f"unknown zoo model {name!r}; the zoo has: {known}") from None


def checkpoint_path(name: str) -> Path:
    """Where the shipped checkpoint of `name` lives."""
    return CHECKPOINT_DIR / f"{_spec(name).name}.pt"


def count_params(config: dict[str, Any]) -> int:
    """Trainable parameters of a TransformerLens native model with this config (pure arithmetic)."""
    d, n_heads, d_head = config["d_model"], config["n_heads"], config["d_head"]
    d_vocab = config["d_vocab"]
    d_vocab_out = config.get("d_vocab_out", -1)
    d_vocab_out = d_vocab_out if d_vocab_out > 0 else d_vocab
    d_mlp = config.get("d_mlp") or 4 * d
    norm = 2 * d if config.get("normalization_type", "LN") in ("LN", "RMS") else 0
    if config.get("normalization_type") == "RMS":
        norm = d
    attn = 4 * d * n_heads * d_head + 3 * n_heads * d_head + d
    mlp = 0 if config.get("attn_only", False) else norm + 2 * d * d_mlp + d_mlp + d
    per_layer = norm + attn + mlp
    return d_vocab * d + config["n_ctx"] * d + config["n_layers"] * per_layer + norm + d * d_vocab_out


def catalogue() -> list[ZooEntry]:
    """Every zoo model with its checkpoint's size on disk; cheap (no torch import)."""
    entries = []
    for spec in _SPECS.values():
        path = checkpoint_path(spec.name)
        files = [path, *(CHECKPOINT_DIR / extra for extra in spec.extra_files)]
        size = sum(f.stat().st_size for f in files if f.is_file())
        entries.append(
            ZooEntry(
                name=spec.name,
                description=spec.description,
                sections=spec.sections,
                checkpoint=path,
                size_bytes=size,
                n_params=count_params(spec.config),
            )
        )
    return entries


def model_module(name: str):
    """The module that defines zoo model `name` (imports torch)."""
    return importlib.import_module(f"{__name__}.{_spec(name).module}")


def load(name: str, *, device: str = "cpu"):
    """The trained zoo model `name` as a TransformerBridge in eval mode, with its tokenizer.

    Works offline. Raises ZooError for an unknown name or a missing or damaged checkpoint.
    """
    _spec(name)
    from arena_cli.zoo import _common

    return _common.load_model(name, device=device)


def train(
    name: str, *, device: str = "cpu", out: Path | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Retrain zoo model `name` from scratch and write its checkpoint.

    `out` defaults to the shipped checkpoint path; `seed` defaults to the seed the shipped
    checkpoint was trained with. Returns the measured metrics (also stored in the checkpoint).
    """
    if name in _SAE_SETS:
        module = importlib.import_module(f"{__name__}.{_SAE_SETS[name].module}")
        return module.train(device=device, out=out, seed=seed)
    module = model_module(name)
    return module.train(device=device, out=out if out is not None else checkpoint_path(name), seed=seed)


__all__ = [
    "CHECKPOINT_DIR",
    "ZooEntry",
    "ZooError",
    "catalogue",
    "checkpoint_path",
    "count_params",
    "load",
    "model_module",
    "names",
    "sae_catalogue",
    "train",
]
