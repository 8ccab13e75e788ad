# MISTAKE: total_training_samples set to the number of steps
# NAMED: total_training_samples counts samples, not steps
"""Training an SAE with SAELens' own trainer, offline, and checking its numbers.

SAELens trains SAEs with `sae_lens.training.sae_trainer.SAETrainer`. Its usual entry point,
`LanguageModelSAETrainingRunner`, loads a language model and a data set from the Hugging Face
hub, which this course cannot reach; but the trainer itself only needs three things, and works
fully offline:

- a `TrainingSAE` (here a `StandardTrainingSAE`),
- an `SAETrainerConfig` (`sae_lens.config`): `total_training_samples` (samples, not steps),
  `train_batch_size_samples`, `lr` and `lr_end` (set both for a constant rate), and
  `logger=LoggingConfig(log_to_wandb=False)` so that nothing is logged anywhere;
- a *data provider*: any iterator whose `next()` returns a batch of activations [batch, d_in].

`SAETrainer(cfg=..., sae=..., data_provider=...).fit()` then runs Adam with gradient clipping,
the SAE's `training_forward_pass`, and tracks dead latents; `trainer.n_training_steps` counts the
steps it took.

Goal:
1. `ToyActivations(W, sparsity, batch_size, generator)`: an iterator over the hidden activations
   of one toy instance (W [d_hidden, n_features]); each `next()` draws
   `features = generate_batch(batch_size, torch.tensor([sparsity]), n_features, generator)[:, 0]`
   and returns h = features Wᵀ [batch, d_hidden].
2. `trainer_config(steps, batch_size, lr)`: the offline config for `steps` steps at a constant lr.
3. `train(sae, W, sparsity, steps, batch_size, lr, generator)`: build the trainer on a
   `ToyActivations`, `fit()` it, return the trainer.
4. `evaluate(sae, W, features)`: with h = features Wᵀ, z = sae.encode(h), ĥ = sae.decode(z),
   a dict of Python numbers: "l0" (mean non-zero latents per input), "explained_variance"
   (1 − E‖h − ĥ‖² / E‖h − E h‖²), "dead_latents" (latents that never fire on these inputs, an
   int) and "shrinkage" (the mean of ‖ĥ‖ / ‖h‖ over inputs with ‖h‖ > 1e-6). The checks compare
   them with SAELens' own evaluation, `sae_lens.synthetic.evals.eval_sae_on_synthetic_data`.
"""

import torch
from jaxtyping import Float
from sae_lens.config import LoggingConfig, SAETrainerConfig
from sae_lens.training.sae_trainer import SAETrainer
from torch import Tensor

from arena_cli.course.superposition import generate_batch


class ToyActivations:
    def __init__(self, W: Float[Tensor, "d_hidden feat"], sparsity: float, batch_size: int, generator: torch.Generator) -> None:
        self.W, self.sparsity, self.batch_size, self.generator = W, sparsity, batch_size, generator

    def __iter__(self) -> "ToyActivations":
        return self

    def __next__(self) -> Float[Tensor, "batch d_hidden"]:
        # BEGIN SOLUTION: generate_batch for one instance of this sparsity, [:, 0], times W transposed (about 2 lines)
        features = generate_batch(self.batch_size, torch.tensor([self.sparsity]), self.W.shape[1], self.generator)[:, 0]
        return features @ self.W.T
        # END SOLUTION


def trainer_config(steps: int, batch_size: int, lr: float) -> SAETrainerConfig:
    # BEGIN SOLUTION: SAETrainerConfig with samples = steps * batch_size, lr = lr_end = lr, constant schedule, no wandb (about 5 lines)
    return SAETrainerConfig(
        total_training_samples=steps, train_batch_size_samples=batch_size, lr=lr, lr_end=lr,
        lr_scheduler_name="constant", logger=LoggingConfig(log_to_wandb=False),
    )
    # END SOLUTION


def train(sae, W: Tensor, sparsity: float, steps: int, batch_size: int, lr: float, generator: torch.Generator) -> SAETrainer:
    # BEGIN SOLUTION: SAETrainer(cfg=trainer_config(...), sae=sae, data_provider=ToyActivations(...)); fit; return it (about 3 lines)
    trainer = SAETrainer(cfg=trainer_config(steps, batch_size, lr), sae=sae, data_provider=ToyActivations(W, sparsity, batch_size, generator))
    trainer.fit()
    return trainer
    # END SOLUTION


@torch.no_grad()
def evaluate(sae, W: Float[Tensor, "d_hidden feat"], features: Float[Tensor, "n feat"]) -> dict[str, float]:
    # BEGIN SOLUTION: h, z, h_hat; the four numbers as Python float / int (about 9 lines)
    h = features @ W.T
    z = sae.encode(h)
    h_hat = sae.decode(z)
    residual = ((h - h_hat) ** 2).sum(dim=-1).mean()
    variance = ((h - h.mean(dim=0)) ** 2).sum(dim=-1).mean()
    norms = h.norm(dim=-1)
    valid = norms > 1e-6
    return {
        "l0": (z != 0).float().sum(dim=-1).mean().item(),
        "explained_variance": (1 - residual / variance).item(),
        "dead_latents": int((~(z != 0).any(dim=0)).sum()),
        "shrinkage": (h_hat.norm(dim=-1)[valid] / norms[valid]).mean().item(),
    }
    # END SOLUTION
