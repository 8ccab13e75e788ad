"""Shared scaffolding for section 1.3 (superposition & sparse autoencoders).

Reference pieces the later exercises build on, so that exercise 9 never depends on how a learner
solved exercise 2, and the checks have a twin to compare training loops with step by step:

- `generate_batch`, `correlated_batch`, `anticorrelated_batch`: synthetic sparse features for
  many model instances at once, all drawn from one `torch.Generator` in a documented order.
- `ToyModel` (x' = ReLU(WᵀW x + b)), `NeuronModel` (a ReLU on the hidden layer as well),
  `importance_weighted_loss` and `train_toy` (Adam over all instances at once).
- `hidden_dataset`: a toy model's hidden activations h = W x, the data the SAEs are trained on,
  with the planted feature directions (the columns of W) that an SAE should find.
- `to_saelens(kind, params, training=...)`: an SAELens SAE (standard, gated, jumprelu, topk,
  inference or training class) holding given weights, built offline from a config dict. The
  checks use these as the oracle for the learner's SAEs.
- `trained_toys()`: toy models trained by `python -m arena_cli.course.superposition` (the file
  `data/superposition_toys.pt`; regenerate it with that command, about a minute on one core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

DATA_FILE = Path(__file__).with_name("data") / "superposition_toys.pt"


# --------------------------------------------------------------------------- synthetic features


def generate_batch(batch_size: int, sparsity: Tensor, n_features: int, generator: torch.Generator) -> Tensor:
    """[batch, instance, feature]: uniform in [0, 1], zero with probability sparsity[instance].

    Draws, in this order: the values `torch.rand(batch, inst, feat)`, then the mask draws
    `torch.rand(batch, inst, feat)`; a feature is kept where its mask draw is >= its sparsity."""
    shape = (batch_size, sparsity.shape[0], n_features)
    values = torch.rand(shape, generator=generator)
    keep = torch.rand(shape, generator=generator) >= sparsity[:, None]
    return values * keep


def correlated_batch(batch_size: int, sparsity: Tensor, n_features: int, generator: torch.Generator) -> Tensor:
    """Features 2k and 2k+1 are non-zero together (each with probability 1 - sparsity).

    Draws: values [batch, inst, feat], then one draw per pair [batch, inst, feat // 2]."""
    n_inst = sparsity.shape[0]
    values = torch.rand(batch_size, n_inst, n_features, generator=generator)
    on = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) >= sparsity[:, None]
    return values * on.repeat_interleave(2, dim=-1)


def anticorrelated_batch(batch_size: int, sparsity: Tensor, n_features: int, generator: torch.Generator) -> Tensor:
    """At most one of features 2k, 2k+1 is non-zero; each is non-zero with probability 1 - sparsity.

    Draws: values [batch, inst, feat], the pair draws [batch, inst, feat // 2] (the pair fires
    where the draw is < 2 (1 - sparsity)), then the side draws [batch, inst, feat // 2] (the
    first feature of a firing pair where the draw is < 0.5, else the second)."""
    n_inst = sparsity.shape[0]
    values = torch.rand(batch_size, n_inst, n_features, generator=generator)
    fires = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) < 2 * (1 - sparsity[:, None])
    first = torch.rand(batch_size, n_inst, n_features // 2, generator=generator) < 0.5
    mask = torch.stack([fires & first, fires & ~first], dim=-1).flatten(-2)
    return values * mask


# --------------------------------------------------------------------------- toy models


def init_toy_weights(n_instances: int, n_features: int, d_hidden: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """W [inst, d_hidden, feat] ~ N(0, 2 / (d_hidden + feat)) (Xavier normal), b zeros [inst, feat]."""
    std = (2.0 / (d_hidden + n_features)) ** 0.5
    weights = torch.randn(n_instances, d_hidden, n_features, generator=generator) * std
    return weights, torch.zeros(n_instances, n_features)


class ToyModel(nn.Module):
    """x' = ReLU(Wᵀ W x + b), one independent model per instance."""

    def __init__(self, n_instances: int, n_features: int, d_hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        weights, bias = init_toy_weights(n_instances, n_features, d_hidden, generator)
        self.W = nn.Parameter(weights)  # [inst, d_hidden, feat]
        self.b_final = nn.Parameter(bias)  # [inst, feat]

    def hidden(self, x: Tensor) -> Tensor:
        return torch.einsum("ihf,bif->bih", self.W, x)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(torch.einsum("ihf,bih->bif", self.W, self.hidden(x)) + self.b_final)


class NeuronModel(ToyModel):
    """x' = ReLU(Wᵀ ReLU(W x) + b): the hidden layer has a privileged basis."""

    def hidden(self, x: Tensor) -> Tensor:
        return torch.relu(super().hidden(x))


def importance_weighted_loss(out: Tensor, x: Tensor, importance: Tensor) -> Tensor:
    """[inst]: the mean over the batch of Σᵢ Iᵢ (xᵢ − x'ᵢ)²."""
    return (importance * (x - out) ** 2).sum(dim=-1).mean(dim=0)


def train_toy(
    model: ToyModel, sparsity: Tensor, importance: Tensor, *, steps: int, batch_size: int, lr: float,
    generator: torch.Generator, batch_fn=generate_batch,
) -> Tensor:
    """Adam on all instances at once (the loss summed over instances); [steps, inst] losses."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        x = batch_fn(batch_size, sparsity, model.W.shape[-1], generator)
        loss = importance_weighted_loss(model(x), x, importance)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        losses.append(loss.detach())
    return torch.stack(losses)


def hidden_dataset(W: Tensor, sparsity: float, n_samples: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """For one instance's W [d_hidden, feat]: (features [n, feat], hidden activations h = W x [n, d_hidden])."""
    features = generate_batch(n_samples, torch.tensor([sparsity]), W.shape[-1], generator)[:, 0]
    return features, features @ W.T


# --------------------------------------------------------------------------- SAELens oracles

SAE_KINDS = ("standard", "gated", "jumprelu", "topk")


def to_saelens(kind: str, params: dict[str, Tensor], *, training: bool = False, **cfg: Any):
    """An SAELens SAE of architecture `kind` holding `params` (SAELens names: W_enc [d_in, d_sae],
    W_dec [d_sae, d_in], b_dec, b_enc / b_gate, r_mag, b_mag / threshold). `cfg` adds config fields
    (e.g. l1_coefficient, k, jumprelu_bandwidth). Built from a config dict: nothing is downloaded."""
    from sae_lens.saes.sae import SAE, TrainingSAE
    from sae_lens.registry import get_sae_class, get_sae_training_class

    d_in, d_sae = params["W_enc"].shape
    config = {"architecture": kind, "d_in": d_in, "d_sae": d_sae, "dtype": str(params["W_enc"].dtype).replace("torch.", ""),
              "device": "cpu", **cfg}
    if training:
        config.setdefault("decoder_init_norm", None)
        if kind == "topk":
            config.setdefault("rescale_acts_by_decoder_norm", False)
        sae_class, cfg_class = get_sae_training_class(kind)
    else:
        sae_class, cfg_class = get_sae_class(kind)
    from sae_lens.util import filter_valid_dataclass_fields

    sae = sae_class(cfg_class(**filter_valid_dataclass_fields(config, cfg_class)))
    assert isinstance(sae, (SAE, TrainingSAE))
    state = sae.state_dict()
    missing = set(state) - set(params)
    if missing:
        raise KeyError(f"to_saelens({kind!r}): parameters missing: {sorted(missing)}")
    sae.load_state_dict({name: params[name].detach().clone().to(state[name].dtype) for name in state})
    return sae


def step_input(x: Tensor, coefficients: dict[str, float], dead: Tensor | None = None):
    """The `TrainStepInput` SAELens' `training_forward_pass` takes."""
    from sae_lens.saes.sae import TrainStepInput

    return TrainStepInput(sae_in=x, coefficients=coefficients, dead_neuron_mask=dead, n_training_steps=0, is_logging_step=False)


def random_sae_params(kind: str, d_in: int, d_sae: int, generator: torch.Generator, dtype=torch.float32) -> dict[str, Tensor]:
    """Random, non-trivial SAE weights in SAELens' layout (decoder rows not of unit norm, biases
    non-zero), so that a check sees every term."""
    def randn(*shape):
        return torch.randn(*shape, generator=generator, dtype=dtype)

    params = {"W_enc": randn(d_in, d_sae) / d_in**0.5, "W_dec": randn(d_sae, d_in) * 0.7, "b_dec": randn(d_in) * 0.3}
    if kind == "gated":
        params |= {"b_gate": randn(d_sae) * 0.3, "r_mag": randn(d_sae) * 0.3, "b_mag": randn(d_sae) * 0.3}
    else:
        params["b_enc"] = randn(d_sae) * 0.3
    if kind == "jumprelu":
        params["threshold"] = torch.rand(d_sae, generator=generator, dtype=dtype) * 0.4 + 0.05
    return params


# --------------------------------------------------------------------------- shipped toy models

# What `python -m arena_cli.course.superposition` trains (each a set of instances of one shape).
TOY_RUNS: dict[str, dict[str, Any]] = {
    # the intro picture: 5 features in 2 dimensions, importance 0.9^i, sparsity rising by instance
    "intro": dict(n_features=5, d_hidden=2, sparsity=[0.0, 0.7, 0.9, 0.97, 0.99], decay=0.9, steps=4000, seed=0),
    # 4 features in 2 dimensions, pairs correlated or anti-correlated
    "correlated": dict(n_features=4, d_hidden=2, sparsity=[0.9, 0.95], decay=1.0, steps=4000, seed=2, batch="correlated"),
    "anticorrelated": dict(n_features=4, d_hidden=2, sparsity=[0.9, 0.95], decay=1.0, steps=4000, seed=3, batch="anticorrelated"),
    # a ReLU on the hidden layer: 10 features on 5 neurons
    "neurons": dict(n_features=10, d_hidden=5, sparsity=[0.0, 0.7, 0.9, 0.99], decay=0.8, steps=4000, seed=6, model="neuron"),
    # 12 features in 4 dimensions, every one at dimensionality 1/3; also the SAE data set
    "sae_source": dict(n_features=12, d_hidden=4, sparsity=[0.9], decay=1.0, steps=6000, seed=4),
}
BATCH_FNS = {"independent": generate_batch, "correlated": correlated_batch, "anticorrelated": anticorrelated_batch}


def train_run(name: str) -> dict[str, Tensor]:
    spec = TOY_RUNS[name]
    generator = torch.Generator().manual_seed(spec["seed"])
    sparsity = torch.tensor(spec["sparsity"])
    model_class = NeuronModel if spec.get("model") == "neuron" else ToyModel
    model = model_class(len(spec["sparsity"]), spec["n_features"], spec["d_hidden"], generator)
    importance = spec["decay"] ** torch.arange(spec["n_features"], dtype=torch.float32)
    losses = train_toy(model, sparsity, importance, steps=spec["steps"], batch_size=1024, lr=1e-3, generator=generator,
                       batch_fn=BATCH_FNS[spec.get("batch", "independent")])
    return {"W": model.W.detach().clone(), "b_final": model.b_final.detach().clone(), "sparsity": sparsity,
            "importance": importance, "final_loss": losses[-100:].mean(dim=0)}


class ToyActivations:
    """SAELens data provider: batches of one toy instance's hidden activations, forever."""

    def __init__(self, W: Tensor, sparsity: float, batch_size: int, generator: torch.Generator) -> None:
        self.W, self.sparsity, self.batch_size, self.generator = W, sparsity, batch_size, generator

    def __iter__(self) -> "ToyActivations":
        return self

    def __next__(self) -> Tensor:
        return hidden_dataset(self.W, self.sparsity, self.batch_size, self.generator)[1]


def trainer_config(steps: int, batch_size: int, lr: float, dead_feature_window: int = 1000):
    """An offline `SAETrainerConfig`: constant learning rate, no wandb, no checkpoints."""
    from sae_lens.config import LoggingConfig, SAETrainerConfig

    return SAETrainerConfig(
        total_training_samples=steps * batch_size, train_batch_size_samples=batch_size, lr=lr, lr_end=lr,
        lr_scheduler_name="constant", dead_feature_window=dead_feature_window,
        feature_sampling_window=max(steps, 1), logger=LoggingConfig(log_to_wandb=False),
    )


def train_with_saelens(sae, W: Tensor, sparsity: float, *, steps: int, batch_size: int, lr: float,
                       generator: torch.Generator, dead_feature_window: int = 1000):
    """SAELens' own `SAETrainer.fit` on a toy instance's hidden activations; returns the trainer."""
    import contextlib
    import io

    from sae_lens.training.sae_trainer import SAETrainer

    trainer = SAETrainer(trainer_config(steps, batch_size, lr, dead_feature_window), sae,
                         ToyActivations(W, sparsity, batch_size, generator))
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        trainer.fit()
    return trainer


# SAEs trained on the hidden activations of "sae_source" (d_in 4, 12 planted features), 24 latents
SAE_RUNS: dict[str, dict[str, Any]] = {
    **{f"relu_l1_{l1:g}": dict(kind="standard", l1_coefficient=l1) for l1 in (0.01, 0.03, 0.1, 0.3, 1.0)},
    **{f"topk_k{k}": dict(kind="topk", k=k) for k in (1, 2, 3, 4)},
}
SAE_STEPS, SAE_BATCH, SAE_LR, SAE_LATENTS = 3000, 256, 3e-3, 24


def train_sae_run(name: str, W: Tensor, seed: int) -> dict[str, Tensor]:
    from sae_lens.registry import get_sae_training_class

    spec = dict(SAE_RUNS[name])
    kind = spec.pop("kind")
    sae_class, cfg_class = get_sae_training_class(kind)
    torch.manual_seed(seed)
    extra = {"rescale_acts_by_decoder_norm": False} if kind == "topk" else {}
    sae = sae_class(cfg_class(d_in=W.shape[0], d_sae=SAE_LATENTS, **spec, **extra))
    train_with_saelens(sae, W, TOY_RUNS["sae_source"]["sparsity"][0], steps=SAE_STEPS, batch_size=SAE_BATCH, lr=SAE_LR,
                       generator=torch.Generator().manual_seed(seed))
    return {name: value.detach().clone() for name, value in sae.state_dict().items()}


def trained_toys() -> dict[str, dict[str, Tensor]]:
    return torch.load(DATA_FILE, weights_only=True)


def main() -> None:
    torch.set_num_threads(1)
    runs: dict[str, Any] = {name: train_run(name) for name in TOY_RUNS}
    source = runs["sae_source"]["W"][0]
    runs["saes"] = {name: train_sae_run(name, source, seed) for seed, name in enumerate(SAE_RUNS)}
    torch.save(runs, DATA_FILE)
    print(f"wrote {DATA_FILE}")


if __name__ == "__main__":
    main()
