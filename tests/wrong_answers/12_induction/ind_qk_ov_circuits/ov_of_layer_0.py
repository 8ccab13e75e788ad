# MISTAKE: Always takes the OV factors of layer 0.
# NAMED: the circuit of another layer
"""QK and OV circuits as factored matrices.

A head does two separate things, each described by one d_model x d_model matrix:

- **QK circuit** `W_Q[h] @ W_K[h].T`: *where* it looks. The attention score between a query
  residual vector x_q and a key residual vector x_k is x_q @ W_QK @ x_k.T (up to biases,
  LayerNorm and the 1/sqrt(d_head) scale).
- **OV circuit** `W_V[h] @ W_O[h]`: *what* it moves. A key position with residual x_k, fully
  attended to, adds x_k @ W_OV to the query position's residual stream.

Both are products of a [d_model, d_head] and a [d_head, d_model] matrix, so their rank is at
most d_head (16 here). TransformerLens' `FactoredMatrix(A, B)` represents A @ B without
multiplying it out: `.AB` materialises it, `.T` transposes it (as B.T, A.T), `@` chains
products, `.norm()` (Frobenius), `.svd()` and `.eigenvalues` work on the small factors.

Goal:
1. `qk_circuit(model, layer, head)`: FactoredMatrix(W_Q, W_K.T) of one head.
2. `ov_circuit(model, layer, head)`: FactoredMatrix(W_V, W_O) of one head.
3. `all_ov_circuits(model)`: every head's OV circuit at once, a FactoredMatrix of shape
   [layer, head, d_model, d_model] (factors broadcast over leading axes).

Rules: build them from `model.W_Q`, `model.W_K`, `model.W_V`, `model.W_O` ([layer, head,
d_model, d_head] and [layer, head, d_head, d_model]); never multiply the factors out.
(`model.QK` and `model.OV` hold the answers; the checks compare with them.)

Worked example (shapes):
    >>> qk_circuit(model, 1, 0).shape, qk_circuit(model, 1, 0).mdim
    (torch.Size([64, 64]), 16)
"""

from transformer_lens import FactoredMatrix


def qk_circuit(model, layer: int, head: int) -> FactoredMatrix:
    """The head's QK circuit W_Q @ W_K.T, factored, [d_model, d_model]."""
    # BEGIN SOLUTION: FactoredMatrix of W_Q[layer, head] and the transpose of W_K[layer, head] (about 1 line)
    return FactoredMatrix(model.W_Q[layer, head], model.W_K[layer, head].T)
    # END SOLUTION


def ov_circuit(model, layer: int, head: int) -> FactoredMatrix:
    """The head's OV circuit W_V @ W_O, factored, [d_model, d_model]."""
    # BEGIN SOLUTION: FactoredMatrix of W_V[layer, head] and W_O[layer, head] (about 1 line)
    return FactoredMatrix(model.W_V[0, head], model.W_O[0, head])
    # END SOLUTION


def all_ov_circuits(model) -> FactoredMatrix:
    """Every head's OV circuit, [layer, head, d_model, d_model], factored."""
    # BEGIN SOLUTION: FactoredMatrix of the whole W_V and W_O tensors (about 1 line)
    return FactoredMatrix(model.W_V, model.W_O)
    # END SOLUTION
