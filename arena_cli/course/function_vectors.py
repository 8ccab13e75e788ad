"""Reference helpers for the checks of section 16_function_vectors (1.6 function vectors).

Prompts come from the zoo's `icl` generator; the reference quantities (mean head outputs,
patched and steered runs) are computed with TransformerLens caches and `run_with_hooks`, one
hook at a time, independently of the learner's code.
"""

from __future__ import annotations

import torch

from arena_cli.zoo import icl


def prompts(task: int | torch.Tensor, n: int, n_examples: int, seed: int, shuffled: bool = False):
    """Prompts of one task (or one task per row) and their answers, from the zoo's generator."""
    return icl.icl_prompts(n, torch.Generator().manual_seed(seed), task, n_examples, shuffled=shuffled)


def task_index(name: str) -> int:
    return icl.TASK_NAMES.index(name)


def resid_name(layer: int) -> str:
    return f"blocks.{layer}.hook_resid_pre"


def last_position_hook(vector: torch.Tensor, *, replace: bool = False, every_position: bool = False):
    """A hook that adds `vector` to (or, with `replace`, writes it into) the last position (or
    every position)."""

    def hook(resid, hook):
        resid = resid.clone()
        where = slice(None) if every_position else -1
        resid[:, where] = vector if replace else resid[:, where] + vector
        return resid

    return hook


def run_with_last(model, tokens, layer: int, vector, *, replace: bool = False, every_position: bool = False):
    hook = last_position_hook(vector, replace=replace, every_position=every_position)
    return model.run_with_hooks(tokens, fwd_hooks=[(resid_name(layer), hook)])


def accuracy(logits: torch.Tensor, answers: torch.Tensor) -> float:
    return float((logits[:, -1].argmax(-1) == answers).float().mean())


def steered_accuracy(model, tokens, answers, layer: int, vector, **kwargs) -> float:
    return accuracy(run_with_last(model, tokens, layer, vector, **kwargs), answers)


def last_resid(model, tokens, layer: int) -> torch.Tensor:
    """[batch, d_model]: the residual stream entering block `layer` at the last position."""
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name == resid_name(layer))
    return cache[resid_name(layer)][:, -1]


def mean_z(model, tokens, *, position: int | None = -1) -> torch.Tensor:
    """[layer, head, d_head]: every head's z at `position` (None: over all positions), averaged."""
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(model.cfg.n_layers)]
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name in names)
    if position is None:
        return torch.stack([cache[name].mean((0, 1)) for name in names])
    return torch.stack([cache[name][:, position].mean(0) for name in names])


def answer_probability(logits: torch.Tensor, answers: torch.Tensor) -> torch.Tensor:
    return logits[:, -1].softmax(-1)[torch.arange(len(answers)), answers]


def patch_head(model, tokens, layer: int, head: int, value: torch.Tensor, *, every_position: bool = False):
    """Logits with head (layer, head)'s z replaced by `value` at the last position (or everywhere)."""

    def hook(z, hook):
        z = z.clone()
        z[:, slice(None) if every_position else -1, head] = value
        return z

    return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])


def function_vector(model, z_means: torch.Tensor, heads) -> torch.Tensor:
    """The summed mean outputs of `heads`, each through its own slice of W_O (einsum over all heads, then picked)."""
    outputs = torch.einsum("lhd,lhdm->lhm", z_means, model.W_O)
    return torch.stack([outputs[layer, head] for layer, head in heads]).sum(0)
