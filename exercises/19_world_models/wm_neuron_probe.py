"""A neuron read through the probe: which squares does it look at, which does it write?

An MLP neuron reads the residual stream through its input weights (a column of `W_in`) and
writes back along its output weights (a row of `W_out`). Both are vectors in the residual
stream, so they can be compared with the probe's directions: the cosine between a neuron's
input weights and square s's "mine vs theirs" direction says how much the neuron fires when
s is mine rather than theirs; its output weights' cosine says how much the neuron makes the
model believe s is mine.

Goal: `neuron_through_probe(model, layer, neuron, directions)` → (reads, writes), each [36]:
the cosine similarity of the neuron's input weights `model.W_in[layer][:, neuron]` ([d_model])
and of its output weights `model.W_out[layer][neuron]` ([d_model]) with every square's unit
direction (`directions`: [36, d_model], as `mine_vs_theirs` returns).

Rules: torch; shapes `W_in` [layer, d_model, d_mlp], `W_out` [layer, d_mlp, d_model].

Worked example: a neuron whose output weights equal 2.5 times square C2's direction writes
cosine 1 on C2 (and reads nothing it was not given).
"""

import torch
import torch.nn.functional as F
from jaxtyping import Float
from torch import Tensor


def neuron_through_probe(
    model, layer: int, neuron: int, directions: Float[Tensor, "square d_model"]
) -> tuple[Float[Tensor, "square"], Float[Tensor, "square"]]:
    """Cosine of the neuron's input and output weights with every square's direction."""
    raise NotImplementedError("the neuron's W_in column and W_out row, cosine similarity of each with every direction (about 4 lines)")
