# MISTAKE: Restricts the rows but not the columns.
# NAMED: the columns were not restricted
"""The full OV circuit of an induction head: does it copy?

An induction head, attending from the second A to the B that followed the first A, must write
"B" into the stream so that the model predicts B. Follow a token all the way: its embedding,
through the head's OV circuit, into the unembedding:

    full_OV = W_E @ W_V[h] @ W_O[h] @ W_U          # [d_vocab, d_vocab]

Row i is what the head adds to the logits when it attends to a position holding token i. A
head that copies has, in most rows, its largest entry on the diagonal.

LayerNorm is left out. Its scale divides a whole row and cannot change which entry of a row is
largest; its weights (a positive factor per d_model direction, 0.35 to 1.3 in this model) could,
and are ignored; so is everything else in the stream at the key position. It is an
approximation that reads the weights alone (folding the LayerNorm weights in changes the
induction heads' copy fractions here by at most 0.01).

Goal:
1. `full_ov_circuit(model, layer, head)`: a FactoredMatrix [d_vocab, d_vocab], never
   materialised as a d_vocab x d_vocab product of all four (on a real vocabulary of 50 000
   tokens that would be 10 GB).
2. `copy_fraction(full_ov, token_ids)`: restrict rows *and* columns to `token_ids` (the ordinary
   tokens, say), and return the fraction of those rows whose largest entry is on the diagonal,
   as a Python float. Materialising the restricted [n, n] matrix is fine for small n.

Rules: `FactoredMatrix` products (`@`), `.A`, `.B`, `.AB`; torch.

Worked example (token_ids = [0, 1, 2]):
    rows [[5, 1, 0], [0, 1, 3], [0, 0, 2]]  ->  row maxima at columns 0, 2, 2  ->  2 of 3 = 0.667
"""

import torch
from jaxtyping import Int
from torch import Tensor
from transformer_lens import FactoredMatrix


def full_ov_circuit(model, layer: int, head: int) -> FactoredMatrix:
    """W_E @ W_V @ W_O @ W_U of one head, factored, [d_vocab, d_vocab]."""
    # BEGIN SOLUTION: FactoredMatrix(W_E, W_V[l, h]) @ FactoredMatrix(W_O[l, h], W_U) (about 1 line)
    return FactoredMatrix(model.W_E, model.W_V[layer, head]) @ FactoredMatrix(model.W_O[layer, head], model.W_U)
    # END SOLUTION


def copy_fraction(full_ov: FactoredMatrix, token_ids: Int[Tensor, "n"]) -> float:
    """Among the rows `token_ids` (columns restricted to them too), the fraction whose maximum is the diagonal."""
    # BEGIN SOLUTION: A[token_ids] @ B[:, token_ids] -> [n, n]; argmax over each row; compare with arange(n); mean (about 3 lines)
    restricted = full_ov.A[token_ids] @ full_ov.B  # [n, d_vocab]
    best = restricted.argmax(dim=-1)  # for each row, the column it pushes up most
    return (best == token_ids).float().mean().item()
    # END SOLUTION
