# MISTAKE: Draws from the whole vocabulary, including <bos>, <pad> and <unk>.
# NAMED: include <bos>, <pad> and <unk>
"""Repeated random tokens: the input on which induction heads show themselves.

Goal: build `[batch, 1 + n_repeats * half_len]` token ids: `<bos>`, then `half_len` random
ordinary tokens, then the same `half_len` tokens again, `n_repeats` copies in all (default 2).

A sequence of random tokens is unpredictable, so in its first copy no model can beat
ln(100) = 4.6 nats of loss per token. In the second copy every token (but the first) is
predictable by looking back: "the last time I saw this token, the next one was B". A model that
does much better on the second copy than on the first has learned to do that lookup, and the
heads that do it are induction heads.

Rules: draw the random half with exactly one call,
`torch.randint(FIRST_ORDINARY, D_VOCAB, (batch, half_len), generator=generator)`, so that the
same generator seed gives the same tokens (the checks rely on it); then assemble with
`torch.cat` (or `repeat`). Write it yourself: the zoo's own `arena_cli.zoo.induction.repeated_tokens`
(two copies only) is off limits here, and the checks make it fail. The ids of `<bos>` and the ordinary tokens come from the zoo model's
vocabulary (imported below); the result is `torch.long`.

Worked example (batch 1, half_len 3; the draw gave t7 t42 t7, ids 10 45 10):
    [[0, 10, 45, 10, 10, 45, 10]]          # <bos> t7 t42 t7 t7 t42 t7
    with n_repeats=3: [[0, 10, 45, 10, 10, 45, 10, 10, 45, 10]]
"""

import torch
from jaxtyping import Int
from torch import Tensor

from arena_cli.zoo.induction import BOS, FIRST_ORDINARY, VOCAB

D_VOCAB = len(VOCAB)  # 103: <bos>, <pad>, <unk>, then t0 … t99 (ids 3 … 102)


def repeated_tokens(
    batch: int, half_len: int, generator: torch.Generator, n_repeats: int = 2
) -> Int[Tensor, "batch seq"]:
    """`<bos>`, then `n_repeats` copies of `half_len` random ordinary tokens: [batch, 1 + n_repeats*half_len]."""
    # BEGIN SOLUTION: one torch.randint draw of the half, a <bos> column, then cat [bos, half, half, ...] on dim 1 (about 3 lines)
    half = torch.randint(0, D_VOCAB, (batch, half_len), generator=generator)
    bos = torch.full((batch, 1), BOS, dtype=torch.long)
    return torch.cat([bos] + [half] * n_repeats, dim=1)
    # END SOLUTION
