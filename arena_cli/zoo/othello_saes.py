"""Sparse autoencoders (SAELens) trained on the residual stream of the zoo's `othello` model.

Section 1.4 studies them. Each SAE is a SAELens `StandardSAE` (ReLU latents, L1 penalty) or
`TopKSAE` (the k largest pre-activations kept), trained by SAELens' own `SAETrainer` on the
residual stream at the positions of moves (`<bos>` and padding left out) of random legal games
from the zoo's generator, and shipped in SAELens' own format (`sae_weights.safetensors` +
`cfg.json`, read by the class's `load_from_disk`) in
`arena_cli/zoo/checkpoints/othello_saes/<name>/`.

    >>> from arena_cli.zoo import othello_saes
    >>> sae = othello_saes.load_sae("resid3")      # a sae_lens StandardSAE, eval mode
    >>> sae.cfg.metadata.hook_name
    'blocks.3.hook_resid_pre'

Retrain them all with `arena dev zoo train othello_saes` (= `python -m arena_cli.zoo.othello_saes`):
deterministic (one thread, fixed seeds), a few minutes on one CPU core.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path
from typing import Any

import torch

from arena_cli.zoo import CHECKPOINT_DIR
from arena_cli.zoo._dictionaries import Shuffled, move_positions, on_one_thread, othello_inputs, write_metrics

DIR = CHECKPOINT_DIR / "othello_saes"

# name -> architecture, hook point, number of latents, sparsity (L1 coefficient or k), seed.
# The standard (ReLU + L1) ones reconstruct well but their latents match named features only
# partly; the TopK ones (k active latents, no L1 shrinkage) are the ones whose latents *are* the
# named features: at block 1 most `played:X` squares get a latent of F1 >= 0.9.
SAES: dict[str, dict[str, Any]] = {
    "resid2": dict(kind="standard", hook="blocks.2.hook_resid_pre", d_sae=256, l1=1.5, seed=1),
    "resid3": dict(kind="standard", hook="blocks.3.hook_resid_pre", d_sae=256, l1=1.5, seed=2),
    "resid3_narrow": dict(kind="standard", hook="blocks.3.hook_resid_pre", d_sae=64, l1=1.5, seed=3),
    "resid1_topk": dict(kind="topk", hook="blocks.1.hook_resid_pre", d_sae=512, k=32, seed=4, steps=3000),
    "resid2_topk": dict(kind="topk", hook="blocks.2.hook_resid_pre", d_sae=512, k=32, seed=5, steps=3000),
}
STEPS, BATCH, LR = 2000, 512, 1e-3
DATA_GAMES, DATA_SEED = 3000, 1234


def sae_dir(name: str) -> Path:
    return DIR / name


def _classes(kind: str):
    """(inference class, training class, training config class) of SAELens for `kind`."""
    if kind == "topk":
        from sae_lens.saes.topk_sae import TopKSAE, TopKTrainingSAE, TopKTrainingSAEConfig

        return TopKSAE, TopKTrainingSAE, TopKTrainingSAEConfig
    from sae_lens.saes.standard_sae import StandardSAE, StandardTrainingSAE, StandardTrainingSAEConfig

    return StandardSAE, StandardTrainingSAE, StandardTrainingSAEConfig


def load_sae(name: str):
    """The shipped SAE `name` (a sae_lens StandardSAE or TopKSAE, eval mode, on the CPU)."""
    if name not in SAES:
        raise KeyError(f"unknown othello SAE {name!r}; known: {', '.join(SAES)}")
    sae = _classes(SAES[name]["kind"])[0].load_from_disk(str(sae_dir(name)), device="cpu")
    if SAES[name]["kind"] == "topk":
        # SAELens trains TopK SAEs with `rescale_acts_by_decoder_norm`: decode divides each row of
        # W_dec by its norm. Folding the norms into the encoder leaves encode and decode as they
        # are and makes W_dec's rows unit vectors, so "latent i writes f_i · W_dec[i]" holds for
        # every SAE of the course.
        sae.fold_W_dec_norm()
    sae.eval()
    return sae


def move_activations(model, tokens: torch.Tensor, hook: str) -> torch.Tensor:
    """[n, d_model]: the activations at `hook` at every position holding a move (not `<bos>`, not padding)."""
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == hook)
    return cache[hook][move_positions(tokens)].float()


def train_one(name: str, acts: torch.Tensor, steps: int | None = None):
    from sae_lens.training.sae_trainer import SAETrainer

    from arena_cli.course.superposition import trainer_config

    spec = SAES[name]
    steps = spec.get("steps", STEPS) if steps is None else steps
    torch.manual_seed(spec["seed"])
    _, training_class, config_class = _classes(spec["kind"])
    if spec["kind"] == "topk":
        cfg = config_class(d_in=acts.shape[1], d_sae=spec["d_sae"], k=spec["k"])
    else:
        cfg = config_class(d_in=acts.shape[1], d_sae=spec["d_sae"], l1_coefficient=spec["l1"], l1_warm_up_steps=steps // 10)
    cfg.metadata.hook_name = spec["hook"]
    cfg.metadata.model_name = "othello"
    sae = training_class(cfg)
    with torch.no_grad():  # start the decoder bias at the data's mean
        sae.b_dec.copy_(acts.mean(0))
    trainer = SAETrainer(trainer_config(steps, BATCH, LR, dead_feature_window=steps), sae, Shuffled(acts, BATCH, spec["seed"]))
    with contextlib.redirect_stderr(io.StringIO()):
        trainer.fit()
    return sae


def explained_variance(sae, acts: torch.Tensor) -> float:
    with torch.no_grad():
        recon = sae.decode(sae.encode(acts))
    return float(1 - (acts - recon).pow(2).sum() / (acts - acts.mean(0)).pow(2).sum())


def train(*, device: str = "cpu", out: Path | None = None, seed: int | None = None, steps: int | None = None) -> dict[str, Any]:
    """Train every SAE of SAES and write them under `out` (default: the shipped directory)."""
    from arena_cli.zoo import load

    out = DIR if out is None else Path(out)
    start = time.time()
    result: dict[str, Any] = {}
    with on_one_thread():
        model = load("othello")
        tokens = othello_inputs(DATA_GAMES, DATA_SEED)
        buffers: dict[str, torch.Tensor] = {}
        for name, spec in SAES.items():
            if spec["hook"] not in buffers:
                buffers[spec["hook"]] = move_activations(model, tokens, spec["hook"])
            acts = buffers[spec["hook"]]
            t0 = time.time()
            sae = train_one(name, acts, steps)
            path = out / name
            path.mkdir(parents=True, exist_ok=True)
            inference = _classes(spec["kind"])[0].from_dict(sae.cfg.get_inference_sae_cfg_dict())
            inference.load_state_dict({k: v for k, v in sae.state_dict().items() if k in inference.state_dict()})
            inference.save_model(path)
            with torch.no_grad():
                l0 = float((sae.encode(acts) > 0).float().sum(-1).mean())
            result[name] = dict(kind=spec["kind"], hook=spec["hook"], d_sae=spec["d_sae"], explained_variance=round(explained_variance(sae, acts), 4),
                                l0=round(l0, 2), seconds=round(time.time() - t0, 1))
            print(f"[othello_saes] {name}: {result[name]}", flush=True)
    return write_metrics(out, result, start)


if __name__ == "__main__":
    print(json.dumps(train(), indent=2))
