"""Down to single neurons: split an MLP's attribution into one term per neuron.

Goal: an MLP's output is a sum over its neurons, each neuron writing its own output vector
scaled by its activation, plus the output bias:

    mlp_out = sum_n post[n] * W_out[layer][n]  +  b_out[layer]        (post = ReLU(pre))

So with the final LayerNorm's scale frozen (br_unbalanced_direction), the MLP's attribution to
"unbalanced" at position 0 splits into one term per neuron plus a bias term:

    neuron term n = post[b, 0, n] * (W_out[layer][n] . d) / scale[b]
    bias term     = (b_out[layer] . d) / scale[b]

with d the centred unbalanced direction. `W_out[layer][n] . d` is a property of the weights
alone (how strongly neuron n writes "unbalanced" per unit of activation); the activation says
how much it fires on this input.

1. `neuron_weights(model, layer)`: W_out[layer] @ d, [d_mlp]: each neuron's write along d.
2. `neuron_attribution(cache, model, layer)`: [batch, d_mlp], the neuron terms at position 0.

Rules: torch; `cache["post", layer]`, `model.W_out`, `model.b_out`, `cache["scale"]`.

Worked example (what the checks check): your neuron terms plus the bias term add up to the
MLP's attribution that TransformerLens' `get_full_resid_decomposition` and `apply_ln_to_stack`
give, and they equal the per-neuron terms of `expand_neurons=True`.
"""

from jaxtyping import Float
from torch import Tensor
from transformer_lens import ActivationCache

from arena_cli.zoo.brackets import BALANCED, UNBALANCED


def _direction(model) -> Float[Tensor, " d_model"]:
    d = model.ln_final.w * (model.W_U[:, UNBALANCED] - model.W_U[:, BALANCED])
    return d - d.mean()


def neuron_weights(model, layer: int) -> Float[Tensor, " d_mlp"]:
    """How much each neuron of `layer` writes along the unbalanced direction per unit of activation."""
    # BEGIN SOLUTION: W_out[layer] is [d_mlp, d_model]; multiply by the direction (1 line)
    return model.W_out[layer] @ _direction(model)
    # END SOLUTION


def neuron_attribution(cache: ActivationCache, model, layer: int) -> Float[Tensor, "batch d_mlp"]:
    """post * (W_out . d) / scale for every neuron of `layer`, at position 0."""
    # BEGIN SOLUTION: activations at position 0 times neuron_weights, divided by the frozen scale at position 0 (2 lines)
    post = cache["post", layer][:, 0]  # [batch, d_mlp]
    return post * neuron_weights(model, layer) / cache["scale"][:, 0]
    # END SOLUTION
