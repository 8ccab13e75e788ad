# MISTAKE: no bias column
# NAMED: there is no bias
"""A probe by logistic regression: the classifier's way, a few steps of gradient descent.

Least squares scores every state with a straight line; logistic regression fits the
probabilities instead. For every square, softmax over its 3 scores gives P(empty), P(mine),
P(theirs); the loss is the cross-entropy with the true state, averaged over rows and squares:

    scores = [acts, 1] @ W                              # [n, square, 3], W: [d + 1, square, 3]
    loss   = mean over (row, square) of -log softmax(scores)[state]

Goal: `fit_logistic_probe(acts, states, steps=, lr=, weight_decay=)` starts from W = 0 and
takes `steps` steps of plain gradient descent, W ← W − lr · (∇loss + weight_decay · W)
(what `torch.optim.SGD(lr=lr, weight_decay=weight_decay)` does). It returns the final W and the
list of the `steps` losses, each measured at the weights *before* its update (so the first
is ln 3: with W = 0 every state has probability 1/3).

Rules: torch with autograd (`requires_grad`, `.backward()`) or an optimiser; the bias row last.

Worked example: with 4 rows of one square, d = 1, acts [[0], [1], [0], [1]], states
[[0], [1], [0], [1]], steps 2, lr 1.0: losses ≈ [1.0986, 0.8191].
"""

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor


def fit_logistic_probe(
    acts: Float[Tensor, "n d_model"], states: Int[Tensor, "n square"], *, steps: int, lr: float, weight_decay: float = 0.0
) -> tuple[Float[Tensor, "d_model_plus_1 square 3"], list[float]]:
    """Multinomial logistic probe of every square, by `steps` steps of gradient descent from zero."""
    # BEGIN SOLUTION: x = [acts, 1]; W zeros with grad; SGD(lr, weight_decay); per step: scores, mean cross-entropy over rows and squares, record, step (about 10 lines)
    x = acts
    weights = torch.zeros(x.shape[1], states.shape[1], 3, requires_grad=True)
    optimizer = torch.optim.SGD([weights], lr=lr, weight_decay=weight_decay)
    losses = []
    for _ in range(steps):
        scores = torch.einsum("nd,dsc->nsc", x, weights)  # [n, square, 3]
        loss = F.cross_entropy(scores.flatten(0, 1), states.flatten())
        losses.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return weights.detach(), losses
    # END SOLUTION
