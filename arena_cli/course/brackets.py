"""Helpers for the checks of section 1.7 (balanced brackets): reference classes from the zoo
generator's rule, and TransformerLens' own decomposition of the classifier's residual stream."""

from __future__ import annotations

import itertools

import torch

from arena_cli.zoo import brackets as B

# The components of the final residual stream at position 0, in the order the exercises use.
COMPONENTS = ["embed", "pos_embed", "L0H0", "L0H1", "MLP0", "L1H0", "L1H1", "MLP1", "L2H0", "L2H1", "MLP2", "bias"]


def all_strings(max_len: int) -> list[str]:
    """Every string of ( and ) of length 0 … max_len."""
    return ["".join(chars) for n in range(max_len + 1) for chars in itertools.product("()", repeat=n)]


def failure_class_of(string: str) -> str:
    """"balanced", "elevation" (total != 0) or "negative_prefix", from the generator's rule."""
    if B.is_balanced(string):
        return "balanced"
    return "elevation" if string.count("(") != string.count(")") else "negative_prefix"


def tl_components(cache) -> torch.Tensor:
    """TransformerLens' decomposition of the final residual at position 0, in COMPONENTS order:
    [12, batch, d_model] (`cache.get_full_resid_decomposition`)."""
    stack, labels = cache.get_full_resid_decomposition(expand_neurons=False, return_labels=True, pos_slice=0)
    rename = {f"{layer}_mlp_out": f"MLP{layer}" for layer in range(3)}
    labels = [rename.get(label, label) for label in labels]
    return stack[[labels.index(name) for name in COMPONENTS]]


def unbalanced_post_ln(model) -> torch.Tensor:
    """W_U[:, unbalanced] - W_U[:, balanced]: the logit difference's direction after ln_final."""
    return model.W_U[:, B.UNBALANCED] - model.W_U[:, B.BALANCED]


def tl_attributions(cache, model) -> torch.Tensor:
    """[batch, 12]: each component's direct effect on logit(unbalanced) - logit(balanced) at
    position 0, with the final LayerNorm's scale frozen (`cache.apply_ln_to_stack`)."""
    normalised = cache.apply_ln_to_stack(tl_components(cache), layer=None, pos_slice=0) * model.ln_final.w
    return (normalised @ unbalanced_post_ln(model)).T


def constant_term(model) -> torch.Tensor:
    """The part of the logit difference no component owns: ln_final.b . u + b_U[0] - b_U[1]."""
    return model.ln_final.b @ unbalanced_post_ln(model) + model.b_U[B.UNBALANCED] - model.b_U[B.BALANCED]
