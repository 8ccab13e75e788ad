"""A key-value cache: generate without recomputing the past.

When a causal model generates, the keys and values of the earlier positions never change (a
position only looks backwards). So instead of running the whole sequence again for every new
token, keep each layer's keys and values in a cache and run only the new positions: they
attend to the cached keys and values plus their own.

Goal: write three functions. They use the submodules of the reference `Transformer` (the model
you built) directly: `model.embed`, `model.pos_embed.W_pos`, `model.blocks[i].ln1`, `.attn`,
`.ln2`, `.mlp`, `model.ln_final`, `model.unembed`, and the attention methods `project_qkv` and
`project_out`.

1. `cached_attention(attn, x, past_k, past_v)`: x holds the n_new newest positions
   [batch, n_new, d_model]; past_k and past_v the n_past earlier ones [batch, n_past, n_heads, d_head].
   Compute q, k, v of the new positions, append k and v to the past ones, and let every new query
   attend to all n_past + n_new keys, causally: the new position i is position n_past + i of the
   sequence, so it may see keys 0 .. n_past + i and nothing after. Return the attention output
   [batch, n_new, d_model] and the full keys and values [batch, n_past + n_new, n_heads, d_head].
2. `forward_with_cache(model, tokens, cache)`: the logits [batch, n_new, d_vocab] of the n_new new
   `tokens`, given the cache of the n_past tokens before them, and the cache extended by them.
   The new tokens sit at positions n_past .. n_past + n_new - 1: their positional embeddings are
   those rows of W_pos, not the first n_new.
3. `generate_with_cache(model, prompt, max_new_tokens)`: greedy generation. Run the whole prompt
   through `forward_with_cache` once (an empty cache), then feed one token at a time. The last new
   token is only appended, never fed (nothing would use its logits), so the model runs on
   positions 0 .. pos + max_new_tokens - 2 and every position is computed exactly once.
   The n_ctx limit: a cache cannot slide like tf_generate's window (the cached keys were made
   with the positional embeddings of their positions), so every position fed must exist in
   W_pos. When pos + max_new_tokens - 1 > n_ctx, raise a `ValueError` that names n_ctx, before
   running the model. (At most n_ctx + 1 tokens come out: the last one is never fed.)

Rules: `torch.cat`, `einops.einsum`, `torch.triu`/`masked_fill`, softmax; the model's submodules.
No call to `model(...)` itself (that would recompute everything).

Worked example: logits from feeding tokens [a, b, c, d, e] in chunks [a, b], [c], [d, e] with a
cache equal (to float rounding) the logits of the uncached model on the whole sequence. The checks
compare with TransformerLens on several chunkings.

A cache costs memory: 2 * n_layers * pos * n_heads * d_head numbers per sequence, which is what
limits the context length and batch size of large models at inference time.
"""

import math
from dataclasses import dataclass

import einops
import torch
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.course.transformer import Attention, Config, Transformer


@dataclass
class KVCache:
    """Per layer, the keys and values of every position so far, each [batch, pos, n_heads, d_head]."""

    keys: list[Tensor]
    values: list[Tensor]

    @classmethod
    def empty(cls, cfg: Config, batch: int) -> "KVCache":
        shape = (batch, 0, cfg.n_heads, cfg.d_head)
        return cls([torch.zeros(shape) for _ in range(cfg.n_layers)], [torch.zeros(shape) for _ in range(cfg.n_layers)])

    @property
    def length(self) -> int:
        """How many positions the cache holds."""
        return self.keys[0].shape[1]


def cached_attention(
    attn: Attention,
    x: Float[Tensor, "batch n_new d_model"],
    past_k: Float[Tensor, "batch n_past n_heads d_head"],
    past_v: Float[Tensor, "batch n_past n_heads d_head"],
) -> tuple[Float[Tensor, "batch n_new d_model"], Tensor, Tensor]:
    """Attention of the new positions over past + new keys; returns (output, all keys, all values)."""
    raise NotImplementedError('project_qkv; cat k, v after the past; scores / sqrt(d_head); mask keys after n_past + i; softmax; mix; project_out (about 10 lines)')


def forward_with_cache(
    model: Transformer, tokens: Int[Tensor, "batch n_new"], cache: KVCache
) -> tuple[Float[Tensor, "batch n_new d_vocab"], KVCache]:
    """Logits of the new tokens given the cached past, and the cache extended by the new tokens."""
    raise NotImplementedError('embed + W_pos[n_past : n_past + n_new]; per block: cached_attention on ln1, residual adds, mlp on ln2; ln_final, unembed (about 12 lines)')


def generate_with_cache(
    model: Transformer, prompt: Int[Tensor, "batch pos"], max_new_tokens: int
) -> Int[Tensor, "batch pos_plus_new"]:
    """Greedy generation that runs each position through the model only once."""
    raise NotImplementedError('check the n_ctx limit; forward_with_cache on the prompt with KVCache.empty; loop: argmax of the last logits, append it, feed it unless it is the last (about 12 lines)')
