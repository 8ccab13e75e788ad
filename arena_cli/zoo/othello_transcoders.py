"""Transcoders for the MLPs of the zoo's `othello` model (section 1.4's attribution graph).

A transcoder imitates one MLP with sparse latents: it reads what the MLP reads
(`blocks.L.mlp.hook_in`, the LayerNorm's output) and writes what the MLP writes
(`blocks.L.hook_mlp_out`). Each one here is a SAELens `Transcoder` (ReLU latents, its own
`encode`/`decode`, SAELens' folder format), one per block, so that the whole model has a
"replacement" in which every MLP is a sum of interpretable latents.

SAELens 6 ships the transcoder *classes* but no transcoder *trainer* (its `SAETrainer` trains an
SAE to reconstruct its own input), so the training loop is ours: Adam on
`|mlp_out - decode(encode(mlp_in))|² + l1 · Σ latent · |W_dec row|`, over the activations at the
move positions of random games, in a fixed seeded order.

    >>> from arena_cli.zoo import othello_transcoders
    >>> tc = othello_transcoders.load_transcoder("mlp2")
    >>> tc.cfg.metadata.hook_name, tc.cfg.metadata.hook_name_out
    ('blocks.2.mlp.hook_in', 'blocks.2.hook_mlp_out')

Retrain: `arena dev zoo train othello_transcoders` (= `python -m arena_cli.zoo.othello_transcoders`).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from arena_cli.zoo import CHECKPOINT_DIR
from arena_cli.zoo._dictionaries import Shuffled, move_positions, on_one_thread, othello_inputs, write_metrics

DIR = CHECKPOINT_DIR / "othello_transcoders"

# name -> block, number of latents, L1 coefficient, seed
TRANSCODERS: dict[str, dict[str, Any]] = {
    f"mlp{layer}": dict(layer=layer, d_sae=256, l1=L1, seed=10 + layer) for layer, L1 in ((0, 0.5), (1, 0.5), (2, 0.5), (3, 0.5))
}
STEPS, BATCH, LR = 3000, 512, 1e-3
DATA_GAMES, DATA_SEED = 3000, 4321


def hooks(layer: int) -> tuple[str, str]:
    """(where the transcoder reads, where it writes) for block `layer`."""
    return f"blocks.{layer}.mlp.hook_in", f"blocks.{layer}.hook_mlp_out"


def load_transcoder(name: str):
    """The shipped transcoder `name` (a sae_lens Transcoder, eval mode, on the CPU)."""
    from sae_lens.saes.transcoder import Transcoder

    if name not in TRANSCODERS:
        raise KeyError(f"unknown othello transcoder {name!r}; known: {', '.join(TRANSCODERS)}")
    tc = Transcoder.load_from_disk(str(DIR / name), device="cpu")
    tc.eval()
    return tc


def mlp_activations(model, tokens: torch.Tensor, layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """([n, d_model] MLP input, [n, d_model] MLP output) at every move position."""
    hin, hout = hooks(layer)
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in (hin, hout))
    keep = move_positions(tokens)
    return cache[hin][keep].float(), cache[hout][keep].float()


def fraction_of_variance_explained(tc, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        pred = tc.decode(tc.encode(x))
    return float(1 - (y - pred).pow(2).sum() / (y - y.mean(0)).pow(2).sum())


def train_one(name: str, x: torch.Tensor, y: torch.Tensor, steps: int = STEPS):
    from sae_lens.saes.transcoder import Transcoder, TranscoderConfig

    spec = TRANSCODERS[name]
    torch.manual_seed(spec["seed"])
    hin, hout = hooks(spec["layer"])
    cfg = TranscoderConfig(d_in=x.shape[1], d_sae=spec["d_sae"], d_out=y.shape[1], apply_b_dec_to_input=False)
    cfg.metadata.hook_name = hin
    cfg.metadata.hook_name_out = hout
    cfg.metadata.model_name = "othello"
    tc = Transcoder(cfg)
    with torch.no_grad():
        tc.W_dec.mul_(0.1 / tc.W_dec.norm(dim=1, keepdim=True))
        tc.W_enc.copy_(tc.W_dec.T * (x.std() / y.std()).clamp(max=10))
        tc.b_dec.copy_(y.mean(0))
    opt = torch.optim.Adam(tc.parameters(), lr=LR)
    batches = Shuffled(torch.arange(len(x)), BATCH, spec["seed"])  # row indices: x and y stay paired
    for step in range(steps):
        idx = next(batches)
        feats = tc.encode(x[idx])
        recon = tc.decode(feats)
        warm = min(1.0, (step + 1) / max(1, steps // 10))  # L1 warm-up over the first tenth
        sparsity = (feats * tc.W_dec.norm(dim=1)).sum(-1).mean()
        loss = (recon - y[idx]).pow(2).sum(-1).mean() + warm * spec["l1"] * sparsity
        opt.zero_grad()
        loss.backward()
        opt.step()
    return tc


def train(*, device: str = "cpu", out: Path | None = None, seed: int | None = None, steps: int = STEPS) -> dict[str, Any]:
    """Train every transcoder of TRANSCODERS and write them under `out` (default: the shipped folder)."""
    from arena_cli.zoo import load

    out = DIR if out is None else Path(out)
    start = time.time()
    result: dict[str, Any] = {}
    with on_one_thread():
        model = load("othello")
        for p in model.parameters():
            p.requires_grad_(False)
        tokens = othello_inputs(DATA_GAMES, DATA_SEED)
        for name, spec in TRANSCODERS.items():
            t0 = time.time()
            x, y = mlp_activations(model, tokens, spec["layer"])
            tc = train_one(name, x, y, steps)
            tc.eval()
            path = out / name
            path.mkdir(parents=True, exist_ok=True)
            tc.save_model(path)
            with torch.no_grad():
                l0 = float((tc.encode(x) > 0).float().sum(-1).mean())
            result[name] = dict(hook_in=tc.cfg.metadata.hook_name, hook_out=tc.cfg.metadata.hook_name_out, d_sae=spec["d_sae"],
                                explained_variance=round(fraction_of_variance_explained(tc, x, y), 4), l0=round(l0, 2),
                                seconds=round(time.time() - t0, 1))
            print(f"[othello_transcoders] {name}: {result[name]}", flush=True)
    return write_metrics(out, result, start)


if __name__ == "__main__":
    print(json.dumps(train(), indent=2))
