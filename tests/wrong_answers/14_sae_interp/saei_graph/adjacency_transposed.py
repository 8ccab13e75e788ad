# MISTAKE: stores the edges as A[source, target], so edges run from later layers and positions to earlier ones (acausal)
# NAMED: acausal
"""An attribution graph for one prompt: which transcoder latents make the model choose its move?

Splice a transcoder in for every MLP (`mlp0` … `mlp3`) and the model becomes a sum of readable
parts — if the splice is exact and linear. For one prompt, build the *local replacement model*:

- each MLP's output is its transcoder's output plus a fixed **error term**, the clean run's
  `mlp_out − tc.decode(latents)`: with it, the replacement reproduces the clean run exactly;
- every LayerNorm's **scale** (`hook_scale`, one number per position) and every **attention
  pattern** are frozen at their clean-run values: LayerNorm is then "centre, divide by a
  constant, times w, plus b", attention a fixed mix of value vectors — both linear;
- the latents of each layer are **inputs**, not computed: nothing recomputes a latent from its
  pre-activation, so a gradient cannot flow *through* one latent into another.

What is left is an affine function of its inputs (the leaves): the token + position embedding
of each position, every latent activation, every error term. The pre-activation of each latent
(`mlp_in @ W_enc + b_enc`) and the logit are sums of one contribution per leaf plus a constant.

The graph. Nodes, in this order (`Clean.nodes`, given): the active latents (activation > 0,
sorted by layer, position, index), then one embedding node per position, then one error node
per (layer, position). An edge from source s to target t is s's *direct effect* on t:

    A[t, s] = a_s · ∂pre_t / ∂a_s        (for a vector-valued leaf: Σ_d x_s[d] · ∂pre_t / ∂x_s[d])

in the local replacement model, a_s the source's clean value. Because the model is affine in
each leaf with the others held fixed, A[t, s] is *exactly* how much pre_t drops when s is set
to 0. Targets are the active latents (rows) and, separately, the logit of `target` at the last
position (`logit_edges`). A latent reads only earlier layers at the same or earlier positions.

Pruning keeps the nodes with the most *influence* on the logit, over every path: with
Â = |A| with each row divided by its sum (a row with no inputs stays 0) and
w = |logit_edges| / Σ|logit_edges|, the influence of every node is

    influence = w + w Â + w Â² + … = w (I − Â)⁻¹

(Â is nilpotent — edges only go forward — so the series ends). Sort the nodes by influence,
largest first, and keep the fewest whose influence adds up to at least `keep` × the total.

Given (not yours to write): `Node`, `Clean` and `clean_run(model, transcoders, tokens)`, which
runs the model once and returns everything the replacement model freezes or starts from.
Position 0 (`<bos>`) is not a move and the transcoders were never trained on it: its latents
are set to 0 there, so the whole MLP output at `<bos>` is its error term.

Goal:
1. `replacement_forward(model, transcoders, clean, embed, latents, errors)` → (pre-activations
   [batch, layer, pos, d_sae], logits [batch, pos, d_vocab]): the local replacement model.
   Per block L: resid += attention(LN1(resid)); pre[L] = LN2(resid) @ W_enc + b_enc;
   resid += latents[L] @ W_dec + b_dec + errors[L]. Then logits = LN_final(resid) @ W_U + b_U.
   LN(x) = (x − mean_d(x)) / s · w + b with s the clean scale of that LayerNorm at that position
   (`clean.ln1_scale[L]`, `clean.ln2_scale[L]`, `clean.final_scale`; w, b =
   `model.blocks[L].ln1.weight`, `.bias`, likewise ln2 and `model.ln_final`); attention with the
   clean pattern P = `clean.patterns[L]` [head, query, key]:
   v = x @ W_V[L] + b_V[L], z[q] = Σ_k P[h, q, k] v[k], out = Σ_h z @ W_O[L] + b_O[L]
   (`model.W_V` [layer, head, d_model, d_head], `model.b_V`, `model.W_O`, `model.b_O`).
2. `attribution_graph(model, transcoders, clean, target)` → (adjacency [n_nodes, n_nodes],
   rows the targets, columns the sources, rows of non-latent nodes 0; logit_edges [n_nodes]).
   One forward and one backward will do: a batch with one copy of the leaves per target (the
   active latents, then the logit), each copy's output summed, and `torch.autograd.grad`.
3. `prune(adjacency, logit_edges, keep)` → [n_nodes] bool, the nodes kept.

Rules: do not modify the inputs. The checks turn autograd off; switch it on inside
`attribution_graph` with `torch.enable_grad()`.

What you will see (the checks' prompt, 5 moves, the logit of the model's favourite legal move):
304 active latents, 334 nodes; keep = 0.8 keeps 49 of them, 37 latents, most of them at the last
position. Zeroing a kept latent in the *real* model (transcoders spliced in, attention and
LayerNorms free) moves the logit by about its edge (correlation 0.77), and 20 times more than a
random other active latent does.

Worked example (`prune`): nodes a, b, c; b → a with A[a, b] = 3, c → a with A[a, c] = −1;
logit_edges = (2, 0, 2). Then Â[a] = (0, 0.75, 0.25), w = (0.5, 0, 0.5), influence =
(0.5, 0.375, 0.625): c first (0.625 of 1.5), then a; keep = 0.6 keeps {c, a} (1.125 ≥ 0.9).
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch
from jaxtyping import Bool, Float, Int
from torch import Tensor


class Node(NamedTuple):
    """One node of the graph: kind "latent" (layer, pos, index), "embed" (pos) or "error" (layer, pos)."""

    kind: str
    layer: int  # -1 for an embedding
    pos: int
    index: int  # the latent's index; -1 otherwise

    @property
    def label(self) -> str:
        if self.kind == "latent":
            return f"L{self.layer} p{self.pos} #{self.index}"
        if self.kind == "embed":
            return f"emb p{self.pos}"
        return f"err L{self.layer} p{self.pos}"


@dataclass
class Clean:
    """One clean run of the model on one prompt (row 0), as the local replacement model needs it."""

    tokens: Int[Tensor, "pos"]
    embed: Float[Tensor, "pos d_model"]  # token + position embedding (blocks.0.hook_resid_pre)
    latents: Float[Tensor, "layer pos d_sae"]  # each transcoder's encode(mlp_in); 0 at <bos>
    errors: Float[Tensor, "layer pos d_model"]  # mlp_out - tc.decode(latents): what the transcoder misses
    pre: Float[Tensor, "layer pos d_sae"]  # each latent's pre-activation, mlp_in @ W_enc + b_enc
    ln1_scale: Float[Tensor, "layer pos 1"]  # blocks.L.ln1.hook_scale
    ln2_scale: Float[Tensor, "layer pos 1"]  # blocks.L.ln2.hook_scale
    final_scale: Float[Tensor, "pos 1"]  # ln_final.hook_scale
    patterns: Float[Tensor, "layer head query key"]  # blocks.L.attn.hook_pattern
    logits: Float[Tensor, "pos d_vocab"]
    nodes: list[Node]  # the graph's nodes, in the order of its rows and columns


def clean_run(model, transcoders, tokens: Int[Tensor, "batch pos"]) -> Clean:
    """Run row 0 of `tokens` once; read every value the local replacement model freezes."""
    n_layers = len(transcoders)
    names = ["blocks.0.hook_resid_pre", "ln_final.hook_scale"]
    for L in range(n_layers):
        names += [f"blocks.{L}.ln1.hook_scale", f"blocks.{L}.ln2.hook_scale", f"blocks.{L}.attn.hook_pattern",
                  f"blocks.{L}.mlp.hook_in", f"blocks.{L}.hook_mlp_out"]
    with torch.no_grad():
        logits, cache = model.run_with_cache(tokens[:1], names_filter=lambda n: n in names)
        pre = torch.stack([cache[f"blocks.{L}.mlp.hook_in"][0] @ tc.W_enc + tc.b_enc for L, tc in enumerate(transcoders)])
        latents = torch.relu(pre)
        latents[:, 0] = 0  # <bos>: not replaced
        errors = torch.stack([cache[f"blocks.{L}.hook_mlp_out"][0] - tc.decode(latents[L]) for L, tc in enumerate(transcoders)])
    n_pos = tokens.shape[1]
    nodes = [Node("latent", int(L), int(p), int(i)) for L, p, i in (latents > 0).nonzero().tolist()]
    nodes += [Node("embed", -1, p, -1) for p in range(n_pos)]
    nodes += [Node("error", L, p, -1) for L in range(n_layers) for p in range(n_pos)]
    stack = lambda name: torch.stack([cache[f"blocks.{L}.{name}"][0] for L in range(n_layers)])  # noqa: E731
    return Clean(tokens=tokens[0].clone(), embed=cache["blocks.0.hook_resid_pre"][0], latents=latents, errors=errors, pre=pre,
                 ln1_scale=stack("ln1.hook_scale"), ln2_scale=stack("ln2.hook_scale"), final_scale=cache["ln_final.hook_scale"][0],
                 patterns=stack("attn.hook_pattern"), logits=logits[0], nodes=nodes)


def replacement_forward(
    model, transcoders, clean: Clean,
    embed: Float[Tensor, "batch pos d_model"],
    latents: Float[Tensor, "batch layer pos d_sae"],
    errors: Float[Tensor, "batch layer pos d_model"],
) -> tuple[Float[Tensor, "batch layer pos d_sae"], Float[Tensor, "batch pos d_vocab"]]:
    """(pre-activations of every latent, logits) of the local replacement model fed these leaves."""
    # BEGIN SOLUTION: an LN helper with a given scale; per block: frozen-pattern attention on the V-O path, read pre, add latents @ W_dec + b_dec + errors; the final LN and the unembedding (about 16 lines)
    def ln(x, scale, norm):
        return (x - x.mean(-1, keepdim=True)) / scale * norm.weight + norm.bias

    resid = embed  # [batch, pos, d_model]
    pres = []
    for L, tc in enumerate(transcoders):
        block = model.blocks[L]
        x = ln(resid, clean.ln1_scale[L], block.ln1)
        v = torch.einsum("bkd,hde->bkhe", x, model.W_V[L]) + model.b_V[L]  # [batch, key, head, d_head]
        z = torch.einsum("hqk,bkhe->bqhe", clean.patterns[L], v)  # [batch, query, head, d_head]
        resid = resid + torch.einsum("bqhe,hed->bqd", z, model.W_O[L]) + model.b_O[L]
        pres.append(ln(resid, clean.ln2_scale[L], block.ln2) @ tc.W_enc + tc.b_enc)  # [batch, pos, d_sae]
        resid = resid + latents[:, L] @ tc.W_dec + tc.b_dec + errors[:, L]
    logits = ln(resid, clean.final_scale, model.ln_final) @ model.W_U + model.b_U
    return torch.stack(pres, dim=1), logits
    # END SOLUTION


def attribution_graph(
    model, transcoders, clean: Clean, target: int
) -> tuple[Float[Tensor, "n_nodes n_nodes"], Float[Tensor, "n_nodes"]]:
    """(adjacency A[target node, source node], each node's direct effect on the logit of `target` at the last position)."""
    # BEGIN SOLUTION: one copy of the leaves per target (active latents, then the logit) requiring grad; one forward; sum each copy's output; autograd.grad; leaf value x gradient, gathered per source node (about 18 lines)
    latent_nodes = [n for n in clean.nodes if n.kind == "latent"]
    n_lat, n_nodes = len(latent_nodes), len(clean.nodes)
    layer, pos, index = (torch.tensor([getattr(n, k) for n in latent_nodes], dtype=torch.long) for k in ("layer", "pos", "index"))
    copies = n_lat + 1  # one per target latent, and one for the logit
    leaves = [x.expand(copies, *x.shape).clone().requires_grad_(True) for x in (clean.embed, clean.latents, clean.errors)]
    with torch.enable_grad():
        pre, logits = replacement_forward(model, transcoders, clean, *leaves)
        outputs = pre[torch.arange(n_lat), layer, pos, index].sum() + logits[-1, -1, target]
        grad_embed, grad_latents, grad_errors = torch.autograd.grad(outputs, leaves, allow_unused=True, materialize_grads=True)
    from_latents = (grad_latents * clean.latents)[:, layer, pos, index]  # [copies, n_lat]
    from_embed = (grad_embed * clean.embed).sum(-1)  # [copies, pos]
    from_errors = (grad_errors * clean.errors).sum(-1).flatten(1)  # [copies, layer * pos]
    edges = torch.cat([from_latents, from_embed, from_errors], dim=1).detach()  # [copies, n_nodes]
    adjacency = torch.zeros(n_nodes, n_nodes)
    adjacency[:, :n_lat] = edges[:n_lat].T
    return adjacency, edges[-1]
    # END SOLUTION


def prune(
    adjacency: Float[Tensor, "n_nodes n_nodes"], logit_edges: Float[Tensor, "n_nodes"], keep: float = 0.8
) -> Bool[Tensor, "n_nodes"]:
    """The fewest nodes, by total influence on the logit, whose influence adds up to `keep` of the total."""
    # BEGIN SOLUTION: |A| row-normalised, |logit_edges| normalised, w (I - Â)^-1, sort descending, cumulative sum, the first index reaching keep x total (about 10 lines)
    a = adjacency.abs()
    a = a / a.sum(-1, keepdim=True).clamp(min=1e-30)
    w = logit_edges.abs() / logit_edges.abs().sum()
    n = len(w)
    influence = torch.linalg.solve((torch.eye(n) - a).T, w)  # w (I - Â)^-1, as a column solve
    order = influence.argsort(descending=True)
    cumulative = influence[order].cumsum(0)
    count = min(int((cumulative < keep * influence.sum()).sum()) + 1, n)
    kept = torch.zeros(n, dtype=torch.bool)
    kept[order[:count]] = True
    return kept
    # END SOLUTION
