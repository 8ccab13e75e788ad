# MISTAKE: Multiplies by the weight without transposing (weight stored [in, out]).
# NAMED: weight is stored [in_features, out_features]
"""Linear: the first layer built from the engine's parts.

Goal: write `Linear.__init__` and `Linear.forward`: `y = x @ weight.T + bias`, with torch's
layout and torch's default initialisation, so that weights copied into `torch.nn.Linear` give
the same outputs and the same gradients.

  - `weight`: a `Parameter` of shape [out_features, in_features]; `bias`: a `Parameter` of shape
    [out_features], or `None` when `bias=False`. Assign `weight` first (that is torch's order of
    named_parameters()).
  - Initialisation: every entry of both drawn independently and uniformly from
    [-1/sqrt(in_features), 1/sqrt(in_features)] with the generator `rng` (`rng.uniform(low,
    high, size=...)`), the weight's entries first, then the bias's, as torch draws them (the
    checks compare with exactly these draws). The scale keeps the output's variance about the input's, whatever the
    width: each output sums `in_features` products.
  - `forward(x)`: x has shape [*batch, in_features]; use the engine's Tensor operators (`@`,
    `+`, `.T`) so that the graph is recorded and gradients reach `weight` and `bias`.

`Module`, `Parameter` and `Tensor` are the engine's (bp_module, bp_tensor_graph). Module's
`__setattr__` registers the parameters for you.

Rules: engine operations in `forward` (no `.array` arithmetic: it would cut the graph).

Worked example:
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> layer.weight.shape, layer.bias.shape, [name for name, _ in layer.named_parameters()]
    ((2, 3), (2,), ['weight', 'bias'])
    >>> layer(Tensor(np.ones((5, 3)))).shape
    (5, 2)
"""

import numpy as np

from arena_cli.course.backprop import Module, Parameter, Tensor


class Linear(Module):
    """y = x @ weight.T + bias."""

    weight: Parameter
    bias: Parameter | None

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rng: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        rng = np.random.default_rng() if rng is None else rng
        self.in_features, self.out_features = in_features, out_features
        # BEGIN SOLUTION: bound = 1/sqrt(in_features); self.weight = Parameter(rng.uniform(...)) of shape (out, in); self.bias likewise of shape (out,), or None (about 3 lines)
        bound = 1.0 / np.sqrt(in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, size=(in_features, out_features)))
        self.bias = Parameter(rng.uniform(-bound, bound, size=(out_features,))) if bias else None
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """[*batch, in_features] -> [*batch, out_features]."""
        # BEGIN SOLUTION: x @ self.weight.T, plus self.bias when there is one (about 2 lines)
        out = x @ self.weight  # [*batch, out_features]
        return out + self.bias if self.bias is not None else out
        # END SOLUTION

