# MISTAKE: the vector added to the stream leaving the block
# NAMED: hook_resid_post
"""The same interventions with nnsight, the library the field uses for large and remote models.

nnsight wraps any torch module: `nn_model = NNsight(model)`. Inside `with nn_model.trace(tokens):`
every submodule's `.output` is a proxy of the value it will compute; editing it edits the forward
pass, and `.save()` keeps a value for after the block. Nothing runs until the block ends: the
whole body is one forward pass (on a remote server, the same code runs there). Here the wrapped
model is the zoo's TransformerBridge, so its hook points are submodules too:

    with nn_model.trace(tokens):
        nn_model.blocks[1].hook_resid_pre.output[:, -1] += vector     # edit in place, last position
        logits = nn_model.output.save()                               # [batch, seq, vocab] afterwards

One difference from TransformerLens hooks: through nnsight, `attn.hook_z.output` is
[batch, seq, n_heads * d_head] — the heads side by side, head h in columns h·d_head … (h+1)·d_head − 1
(a TransformerLens hook sees it split, [batch, seq, n_heads, d_head]).

Goal:
1. `steer_with_nnsight(model, tokens, vector, layer)`: the logits with `vector` added to the
   residual stream entering block `layer`, at the last position only.
2. `patch_head_with_nnsight(model, tokens, layer, head, value)`: the logits with head
   (layer, head)'s z at the last position replaced by `value` ([d_head]).
The checks compare both with the TransformerLens-hook versions of this section.

Rules: nnsight (`from nnsight import NNsight`); no `run_with_hooks`, `hooks` or `add_hook`.

Worked example: `steer_with_nnsight(model, tokens, torch.zeros(d_model), 0)` equals `model(tokens)`.
"""

from jaxtyping import Float, Int
from nnsight import NNsight
from torch import Tensor


def steer_with_nnsight(
    model, tokens: Int[Tensor, "batch seq"], vector: Float[Tensor, " d_model"], layer: int
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with `vector` added at the last position of blocks.{layer}.hook_resid_pre, via nnsight."""
    # BEGIN SOLUTION: wrap, trace, add the vector to the hook point's output at [:, -1], save the output (about 5 lines)
    nn_model = NNsight(model)
    with nn_model.trace(tokens):
        nn_model.blocks[layer].hook_resid_post.output[:, -1] += vector
        logits = nn_model.output.save()
    return logits
    # END SOLUTION


def patch_head_with_nnsight(
    model, tokens: Int[Tensor, "batch seq"], layer: int, head: int, value: Float[Tensor, " d_head"]
) -> Float[Tensor, "batch seq vocab"]:
    """Logits with head (layer, head)'s z at the last position set to `value`, via nnsight."""
    # BEGIN SOLUTION: trace; the head's columns of attn.hook_z.output at [:, -1] = value; save the output (about 6 lines)
    nn_model = NNsight(model)
    d_head = model.cfg.d_head
    with nn_model.trace(tokens):
        nn_model.blocks[layer].attn.hook_z.output[:, -1, head * d_head : (head + 1) * d_head] = value
        logits = nn_model.output.save()
    return logits
    # END SOLUTION
