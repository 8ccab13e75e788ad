# MISTAKE: reports pre(removed) - pre(clean) instead of pre(clean) - pre(removed)
# NAMED: sign is reversed
"""Tracing a latent across layers: which upstream latents drive a downstream latent?

Two SAEs: `up` at `blocks.L.hook_resid_pre` and `down` at `blocks.{L+1}.hook_resid_pre`
(resid1_topk -> resid2_topk in the checks), with block L (attention, then MLP, each behind its
own LayerNorm) between them. The quantity traced is the downstream latent `latent`'s
*pre-activation* at position `pos` (`pre_activation` below: the linear read of the residual
stream that TopK then thresholds; the activation itself jumps to 0 when the latent drops out of
the top k, which no linear estimate can follow).

Both SAEs come with unit-norm decoder rows (`sae.fold_W_dec_norm()` was called; the TopK SAEs
here otherwise scale activations by the decoder norms), so latent i writes f_i · W_dec[i].
Position 0 (`<bos>`) is not a move and the SAEs were not trained on it: its latents are not
traced (`upstream_latents` zeroes them).

The contribution of upstream latent i is measured four ways, all with the same sign convention,
contribution = pre(clean) − pre(latent i removed):

1. `exact_effects`: splice `up` in with its error term (x → decode(f) + (x − decode(f)), the
   error held at its clean value, so the spliced run *is* the clean run), set latent i to 0 at
   every move position 1 … pos (positions after pos cannot reach pos), and measure the change
   of `latent`'s pre-activation at pos. Batch the removals: one row per active latent.
2. `attribution`: gradient × activation from one forward and one backward,
   Σ_{q=1..pos} ∂pre/∂f[q, i] · f[q, i], with the upstream latents a leaf and the error a constant.
3. `direct_path`: only the residual skip connection from pos to pos, which has no LayerNorm on
   it: f[pos, i] · W_dec_up[i] · W_enc_down[:, latent]. Exact for that path.
4. `attention_path`: through block L's attention, the pattern A and the ln1 scale s frozen at
   their clean values (the approximation that makes this path linear). Latent i at source q
   enters ln1 as f[q, i]·W_dec[i]; ln1 centres it, divides by s[q] and multiplies by its weight:

       Σ_h Σ_{q=1..pos} A[h, pos, q] · f[q, i] · ((W_dec[i] − mean(W_dec[i])) / s[q] ⊙ w_ln1) W_V[L, h] W_O[L, h] · W_enc_down[:, latent]

   with A = `blocks.L.attn.hook_pattern` [batch, head, query, key], s = `blocks.L.ln1.hook_scale`
   [batch, pos, 1] (cache both), w_ln1 = `model.blocks[L].ln1.weight`, `model.W_V` [layer, head,
   d_model, d_head], `model.W_O` [layer, head, d_head, d_model]. The biases carry nothing from i.

Goal: the four functions, each [d_sae of up], for row 0 of the batch; latents inactive at every
move position up to pos get 0.

Rules: hooks through `model.run_with_hooks` / `run_with_cache`; do not modify the inputs. The
checks turn autograd off; switch it on inside `attribution` with `torch.enable_grad()`.

Worked example: the two estimates agree with exact patching where block L is nearly linear in
the latent; the direct path alone misses what arrives from earlier moves through attention and
everything the MLP does; forget ln1's scale and every attention term is off by the factor s[q].
Try it: `up = load_sae("resid1_topk"); up.fold_W_dec_norm()` and likewise `resid2_topk`.
"""

import torch
from jaxtyping import Float, Int
from torch import Tensor


def layer_of(sae) -> int:
    """L for an SAE at `blocks.L.hook_resid_pre`."""
    return int(sae.cfg.metadata.hook_name.split(".")[1])


def pre_activation(sae, x: Float[Tensor, "... d_in"], latent: int) -> Float[Tensor, "..."]:
    """The pre-activation of one latent (unit-norm decoder rows): (x − b_dec) · W_enc[:, latent] + b_enc[latent]."""
    return (x - sae.b_dec) @ sae.W_enc[:, latent] + sae.b_enc[latent]


def upstream_latents(model, up, tokens: Int[Tensor, "batch seq"]) -> Float[Tensor, "seq d_up"]:
    """The latents of `up` in row 0 of the clean run, position 0 (`<bos>`) set to 0."""
    hook = up.cfg.metadata.hook_name
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens[:1], names_filter=lambda n: n == hook)
        f = up.encode(cache[hook][0]).clone()
    f[0] = 0
    return f


def exact_effects(model, up, down, tokens: Int[Tensor, "batch seq"], pos: int, latent: int) -> Float[Tensor, "d_up"]:
    """pre(clean) − pre(upstream latent i set to 0 at positions 1 … pos), per upstream latent."""
    # BEGIN SOLUTION: the active latents; a batch of copies of the prompt (row 0 clean, row b+1 without latent b); a splice hook keeping the error term; a hook reading the downstream residual (about 22 lines)
    f = upstream_latents(model, up, tokens)[: pos + 1]  # [pos+1, d_up]
    active = (f > 0).any(0).nonzero().flatten()  # [n]
    n = len(active)
    batch = tokens[:1, : pos + 1].expand(n + 1, -1)
    saved = {}

    def splice(x, hook):  # x [n+1, pos+1, d_model]
        lat = up.encode(x)
        error = x - up.decode(lat)
        lat = lat.clone()
        for b, i in enumerate(active.tolist()):
            lat[b + 1, 1:, i] = 0
        return up.decode(lat) + error

    def read(x, hook):
        saved["x"] = x[:, pos]

    with torch.no_grad():
        model.run_with_hooks(batch, fwd_hooks=[(up.cfg.metadata.hook_name, splice), (down.cfg.metadata.hook_name, read)])
        pre = pre_activation(down, saved["x"], latent)  # [n+1]
    effects = torch.zeros(up.cfg.d_sae)
    effects[active] = pre[1:] - pre[0]
    return effects
    # END SOLUTION


def attribution(model, up, down, tokens: Int[Tensor, "batch seq"], pos: int, latent: int) -> Float[Tensor, "d_up"]:
    """Σ_{q=1..pos} ∂pre/∂f[q, i] · f[q, i]: the gradient × activation estimate, per upstream latent."""
    # BEGIN SOLUTION: make the upstream latents a leaf inside the splice hook (error detached); read the downstream residual; backward from the pre-activation; sum gradient × activation over positions 1..pos (about 14 lines)
    saved = {}

    def splice(x, hook):
        f = up.encode(x).detach().requires_grad_(True)
        saved["f"] = f
        return up.decode(f) + (x - up.decode(f)).detach()

    def read(x, hook):
        saved["x"] = x

    with torch.enable_grad():
        model.run_with_hooks(tokens[:1, : pos + 1], fwd_hooks=[(up.cfg.metadata.hook_name, splice), (down.cfg.metadata.hook_name, read)])
        pre_activation(down, saved["x"][0, pos], latent).backward()
    f = saved["f"]
    return (f.grad[0, 1:] * f.detach()[0, 1:]).sum(0)
    # END SOLUTION


def direct_path(model, up, down, tokens: Int[Tensor, "batch seq"], pos: int, latent: int) -> Float[Tensor, "d_up"]:
    """f[pos, i] · W_dec_up[i] · W_enc_down[:, latent]: the contribution through the skip connection."""
    # BEGIN SOLUTION: the upstream latents at pos times the virtual weight from each decoder row to the downstream encoder column (about 2 lines)
    f = upstream_latents(model, up, tokens)[pos]  # [d_up]
    return f * (up.W_dec @ down.W_enc[:, latent])
    # END SOLUTION


def attention_path(model, up, down, tokens: Int[Tensor, "batch seq"], pos: int, latent: int) -> Float[Tensor, "d_up"]:
    """The contribution through block L's attention, pattern and ln1 scale frozen at the clean run."""
    # BEGIN SOLUTION: cache the pattern and ln1's scale; centre the decoder rows, times ln1's weight, through each head's OV circuit onto W_enc_down[:, latent]; weight each source position by pattern / scale (about 12 lines)
    L = layer_of(up)
    names = (f"blocks.{L}.attn.hook_pattern", f"blocks.{L}.ln1.hook_scale")
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens[:1], names_filter=lambda n: n in names)
        f = upstream_latents(model, up, tokens)  # [seq, d_up]
        pattern = cache[names[0]][0, :, pos]  # [head, key]
        scale = cache[names[1]][0, :, 0]  # [seq]
        written = (up.W_dec - up.W_dec.mean(-1, keepdim=True)) * model.blocks[L].ln1.weight  # [d_up, d_model]
        ov = torch.einsum("im,hme,hen->hin", written, model.W_V[L], model.W_O[L])  # [head, d_up, d_model]
        per_head = ov @ down.W_enc[:, latent]  # [head, d_up]
        return torch.einsum("hq,qi,hi->i", pattern / scale, f, per_head)
    # END SOLUTION
