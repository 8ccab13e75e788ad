# MISTAKE: Never clears the gradients, so they pile up over the steps.
# NAMED: the gradients are not cleared
"""Train the transformer on the course's tiny corpus.

Goal: write the three pieces of a training loop for a language model.

1. `train_step(model, optimizer, batch)`: one step of gradient descent on the next-token
   cross-entropy of `batch` [batch, seq] (use `lm_cross_entropy`, the reference version of what
   you wrote in tf_loss): forward, loss, backward, optimizer step, and clear the gradients so the
   next step starts from zero. Return the loss as a Python float (`loss.item()`).
2. `evaluate(model, windows, batch_size)`: the mean next-token loss over *all* `windows`
   [n, seq], computed in chunks of `batch_size` windows, without building an autograd graph
   (`torch.no_grad()`). Every predicted token counts once: when the last chunk is smaller, a
   plain mean of the chunk means is wrong.
3. `train(model, train_windows, val_windows, args)`: an AdamW optimiser (`args.lr`,
   `args.weight_decay`); then, epoch after epoch, shuffle the training windows with a
   `torch.Generator` seeded with `args.seed` (`torch.randperm(n, generator=...)`), cut them into
   batches of `args.batch_size` (drop a last incomplete batch), and take a `train_step` on each,
   until `args.max_steps` steps are done. Record every step's loss, and `evaluate` on the
   validation windows after every `args.eval_every` steps.

Rules: `torch.optim.AdamW`; the reference `lm_cross_entropy` (or `F.cross_entropy` on the right
slices). The model is the reference `Transformer`.

Worked example: an untrained model scores about log(30) = 3.4 nats per character on this
30-character alphabet; a model that only learned the letter frequencies would score 2.85, one that
only learned which letter follows which 1.79. The check trains a tiny model for a few seconds
and requires a validation loss below 1.6.

Run the full training (about a minute and a half on one CPU core) with
    python exercises/11_transformer/tf_training.py
"""

from dataclasses import dataclass, field

import torch
from jaxtyping import Int
from torch import Tensor, nn

from arena_cli.course.transformer import lm_cross_entropy


@dataclass
class TrainingArgs:
    batch_size: int = 32
    max_steps: int = 500
    lr: float = 3e-3
    weight_decay: float = 0.01
    eval_every: int = 100
    seed: int = 0


@dataclass
class History:
    train_losses: list[float] = field(default_factory=list)  # one per step
    val_losses: list[tuple[int, float]] = field(default_factory=list)  # (steps done, validation loss)


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, batch: Int[Tensor, "batch seq"]) -> float:
    """One optimiser step on the next-token loss of `batch`; returns that loss."""
    # BEGIN SOLUTION: loss = lm_cross_entropy(model(batch), batch); backward; step; zero_grad; return loss.item() (about 5 lines)
    loss = lm_cross_entropy(model(batch), batch)
    loss.backward()
    optimizer.step()
    return loss.item()
    # END SOLUTION


def evaluate(model: nn.Module, windows: Int[Tensor, "n seq"], batch_size: int = 64) -> float:
    """The mean next-token loss over all windows, computed without gradients."""
    # BEGIN SOLUTION: under torch.no_grad(), sum loss * (number of windows) per chunk, divide by the total (about 5 lines)
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(windows), batch_size):
            chunk = windows[start : start + batch_size]
            total += lm_cross_entropy(model(chunk), chunk).item() * len(chunk)
    return total / len(windows)
    # END SOLUTION


def train(
    model: nn.Module, train_windows: Int[Tensor, "n seq"], val_windows: Int[Tensor, "m seq"], args: TrainingArgs
) -> History:
    """Train `model` for `args.max_steps` steps; returns the loss history."""
    # BEGIN SOLUTION: AdamW; a seeded generator; loop: randperm, full batches, train_step, evaluate every eval_every steps (about 12 lines)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    generator = torch.Generator().manual_seed(args.seed)
    history = History()
    n_batches = len(train_windows) // args.batch_size
    while len(history.train_losses) < args.max_steps:
        order = torch.randperm(len(train_windows), generator=generator)
        for i in range(n_batches):
            batch = train_windows[order[i * args.batch_size : (i + 1) * args.batch_size]]
            history.train_losses.append(train_step(model, optimizer, batch))
            step = len(history.train_losses)
            if step % args.eval_every == 0:
                history.val_losses.append((step, evaluate(model, val_windows)))
            if step == args.max_steps:
                break
    return history
    # END SOLUTION


if __name__ == "__main__":
    import time

    from arena_cli.course.corpus import CharTokenizer, load_token_windows
    from arena_cli.course.transformer import Config, Transformer, sample_next_token

    torch.set_num_threads(1)  # small matrices: one thread is faster on a busy machine
    torch.manual_seed(0)
    tokenizer = CharTokenizer()
    cfg = Config(d_vocab=tokenizer.vocab_size, n_ctx=64)
    train_windows, val_windows = load_token_windows(seq_len=cfg.n_ctx)
    model = Transformer(cfg)
    start = time.time()
    history = train(model, train_windows, val_windows, TrainingArgs())
    for step, loss in history.val_losses:
        print(f"step {step:4d}: validation loss {loss:.3f}")
    print(f"trained in {time.time() - start:.0f} s")
    tokens = torch.tensor([tokenizer.encode("mia went to")])
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        while tokens.shape[1] < cfg.n_ctx:
            next_token = sample_next_token(model(tokens)[:, -1], tokens, temperature=0.7, generator=generator)
            tokens = torch.cat([tokens, next_token[:, None]], dim=1)
    print(tokenizer.decode(tokens[0]))
