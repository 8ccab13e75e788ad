# MISTAKE: Uses ln1 in front of both sublayers.
# NAMED: ln1 is used in front of the MLP too
"""The transformer block: attention then MLP, each reading a normalised copy of the residual stream.

Goal: write `TransformerBlock.forward`, the GPT-2 ("pre-LayerNorm") block:

    resid_mid  = resid_pre + attn(ln1(resid_pre))
    resid_post = resid_mid + mlp(ln2(resid_mid))

The residual stream is the running sum of everything every layer has written. Each sublayer
reads a LayerNorm-ed copy of it and *adds* its output back; the stream itself is never
normalised in place. The components (`LayerNorm`, `Attention`, `MLP`) are the reference versions
of what you wrote in the earlier exercises.

Rules: use the four submodules built in `__init__`; nothing else.

Worked example (in words): with all weights of attn and mlp set to zero (so they output their
biases, also zero), the block is the identity: resid_post == resid_pre.

Where it breaks down: the original transformer normalised *after* the addition
(x = ln(x + sublayer(x))). That version is harder to train deep, and the checks here reject it.
"""

from jaxtyping import Float
from torch import Tensor, nn

from arena_cli.course.transformer import MLP, Attention, Config, LayerNorm


class TransformerBlock(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.ln1 = LayerNorm(cfg)
        self.attn = Attention(cfg)
        self.ln2 = LayerNorm(cfg)
        self.mlp = MLP(cfg)

    def forward(self, resid_pre: Float[Tensor, "batch pos d_model"]) -> Float[Tensor, "batch pos d_model"]:
        # BEGIN SOLUTION: two residual updates: + attn(ln1(...)), then + mlp(ln2(...)) (about 2 lines)
        resid_mid = resid_pre + self.attn(self.ln1(resid_pre))  # [batch, pos, d_model]
        return resid_mid + self.mlp(self.ln1(resid_mid))
        # END SOLUTION
