# MISTAKE: Returns the loss averaged per example (weighted by batch size) instead of the mean of batch losses.
# NAMED: the returned loss is the mean over examples
"""Train an MLP with your engine: SGD, a training epoch, accuracy.

Goal: write the three parts of a training loop, then watch the engine learn to read digits
(scikit-learn's 8x8 handwritten digits, shipped with the package: 1797 images, 10 classes).

  - `sgd_step(parameters, lr)`: plain stochastic gradient descent, `p <- p - lr * p.grad`, for
    every parameter whose `.grad` is not None (torch.optim.SGD skips the others too). Change
    `p.array` itself (in place or by rebinding): the parameter objects are shared with the model.
  - `train_epoch(model, x, y, lr, batch_size, rng)`: one pass over the data in a random order
    (`rng.permutation`), in consecutive mini-batches of `batch_size` examples (the last one may
    be smaller). For each batch: clear the gradients (`model.zero_grad()`), compute the loss
    with `cross_entropy(model(Tensor(x_batch)), y_batch)`, backpropagate (`loss.backward()`), and
    take one `sgd_step`. Clear the gradients *before* each backward pass: backprop adds into
    `.grad`, so stale gradients (from an earlier step, or from anything else) would leak in.
    Return the mean of the batches' losses (a float).
  - `accuracy(model, x, y)`: the fraction of examples whose largest logit is the right class.
    Wrap the forward pass in `no_grad()`: evaluation needs no graph.

`model` is any engine Module mapping [batch, features] to [batch, classes] logits, for example
`mlp((64, 32, 10))`: Linear, ReLU, Linear (the engine's versions of bp_linear and bp_relu).

Rules: the engine's operations, `Tensor`, `cross_entropy` and `no_grad`; numpy for indexing.

Worked example:
    >>> x_train, y_train, x_test, y_test = load_digits_split()
    >>> model = mlp((64, 32, 10), rng=np.random.default_rng(0))
    >>> rng = np.random.default_rng(0)
    >>> for epoch in range(20):
    ...     loss = train_epoch(model, x_train, y_train, lr=0.1, batch_size=32, rng=rng)
    >>> accuracy(model, x_test, y_test) > 0.9
    True
"""

from collections.abc import Iterable

import numpy as np
from jaxtyping import Float, Int

from arena_cli.course.backprop import (  # noqa: F401 (load_digits_split and mlp: worked example)
    Module,
    Parameter,
    Tensor,
    cross_entropy,
    load_digits_split,
    mlp,
    no_grad,
)

Arr = np.ndarray


def sgd_step(parameters: Iterable[Parameter], lr: float) -> None:
    """p.array <- p.array - lr * p.grad for every parameter that has a gradient."""
    # BEGIN SOLUTION: loop over the parameters; skip those with grad None; subtract lr * grad from p.array (about 3 lines)
    for param in parameters:
        if param.grad is not None:
            param.array = param.array - lr * param.grad
    # END SOLUTION


def train_epoch(
    model: Module,
    x: Float[Arr, "n features"],
    y: Int[Arr, " n"],
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
) -> float:
    """One shuffled pass of mini-batch SGD over (x, y); returns the mean batch loss."""
    # BEGIN SOLUTION: order = rng.permutation(len(x)); for each slice of batch_size indices: zero_grad, loss = cross_entropy(model(Tensor(x[idx])), y[idx]), backward, sgd_step, remember loss.item() (about 9 lines)
    order = rng.permutation(len(x))
    losses = []
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        model.zero_grad()
        loss = cross_entropy(model(Tensor(x[batch])), y[batch])
        loss.backward()
        sgd_step(model.parameters(), lr)
        losses.append(loss.item() * len(batch))
    return float(np.sum(losses) / len(x))
    # END SOLUTION


def accuracy(model: Module, x: Float[Arr, "n features"], y: Int[Arr, " n"]) -> float:
    """Fraction of examples whose argmax logit equals the target."""
    # BEGIN SOLUTION: under no_grad(), logits = model(Tensor(x)); compare logits.array.argmax(-1) with y; mean as a float (about 3 lines)
    with no_grad():
        logits = model(Tensor(x))  # [n, classes]
    return float(np.mean(logits.array.argmax(axis=-1) == y))
    # END SOLUTION
