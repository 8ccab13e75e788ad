# MISTAKE: Gives the new tokens the positional embeddings of rows 0 .. n_new - 1.
# NAMED: they sit at n_past
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
    # BEGIN SOLUTION: project_qkv; cat k, v after the past; scores / sqrt(d_head); mask keys after n_past + i; softmax; mix; project_out (about 10 lines)
    n_past, n_new = past_k.shape[1], x.shape[1]
    q, k_new, v_new = attn.project_qkv(x)  # each [batch, n_new, n_heads, d_head]
    k = torch.cat([past_k, k_new], dim=1)  # [batch, n_past + n_new, n_heads, d_head]
    v = torch.cat([past_v, v_new], dim=1)
    scores = einops.einsum(q, k, "batch q h e, batch k h e -> batch h q k") / math.sqrt(attn.cfg.d_head)
    future = torch.triu(torch.ones(n_new, n_past + n_new, dtype=torch.bool), diagonal=n_past + 1)
    pattern = scores.masked_fill(future, float("-inf")).softmax(dim=-1)  # [batch, n_heads, n_new, n_past + n_new]
    z = einops.einsum(pattern, v, "batch h q k, batch k h e -> batch q h e")
    return attn.project_out(z), k, v
    # END SOLUTION


def forward_with_cache(
    model: Transformer, tokens: Int[Tensor, "batch n_new"], cache: KVCache
) -> tuple[Float[Tensor, "batch n_new d_vocab"], KVCache]:
    """Logits of the new tokens given the cached past, and the cache extended by the new tokens."""
    # BEGIN SOLUTION: embed + W_pos[n_past : n_past + n_new]; per block: cached_attention on ln1, residual adds, mlp on ln2; ln_final, unembed (about 12 lines)
    n_past, n_new = cache.length, tokens.shape[1]
    residual = model.embed(tokens) + model.pos_embed.W_pos[:n_new]  # [batch, n_new, d_model]
    keys, values = [], []
    for layer, block in enumerate(model.blocks):
        attn_out, k, v = cached_attention(block.attn, block.ln1(residual), cache.keys[layer], cache.values[layer])
        residual = residual + attn_out
        residual = residual + block.mlp(block.ln2(residual))
        keys.append(k)
        values.append(v)
    logits = model.unembed(model.ln_final(residual))
    return logits, KVCache(keys, values)
    # END SOLUTION


def generate_with_cache(
    model: Transformer, prompt: Int[Tensor, "batch pos"], max_new_tokens: int
) -> Int[Tensor, "batch pos_plus_new"]:
    """Greedy generation that runs each position through the model only once."""
    # BEGIN SOLUTION: check the n_ctx limit; forward_with_cache on the prompt with KVCache.empty; loop: argmax of the last logits, append it, feed it unless it is the last (about 12 lines)
    n_fed = prompt.shape[1] + max_new_tokens - 1  # positions the model has to run on
    if n_fed > model.cfg.n_ctx:
        raise ValueError(
            f"generate_with_cache would feed {n_fed} positions, but the model has n_ctx = {model.cfg.n_ctx} "
            f"(prompt {prompt.shape[1]} + {max_new_tokens} new tokens - 1 must be at most n_ctx)"
        )
    tokens = prompt
    if max_new_tokens == 0:
        return tokens
    with torch.no_grad():
        logits, cache = forward_with_cache(model, prompt, KVCache.empty(model.cfg, prompt.shape[0]))
        for step in range(max_new_tokens):
            next_token = logits[:, -1].argmax(dim=-1, keepdim=True)  # [batch, 1]
            tokens = torch.cat([tokens, next_token], dim=1)
            if step < max_new_tokens - 1:  # the last token's logits would never be used
                logits, cache = forward_with_cache(model, next_token, cache)
    return tokens
    # END SOLUTION
