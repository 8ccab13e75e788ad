# MISTAKE: Unembeds the residual stream without ln_final.
# NAMED: ln_final is missing
"""The whole model: embeddings, a stack of blocks, a final LayerNorm, and the unembedding.

Goal: write `Transformer.forward`, mapping token ids [batch, pos] to logits [batch, pos, d_vocab]:

    residual = embed(tokens) + pos_embed(tokens)
    for each block in order: residual = block(residual)
    logits = unembed(ln_final(residual))

The submodules are the reference versions of what you wrote in the earlier exercises, with
TransformerLens's names, so the checks can load the weights of a TransformerLens model into your
model and require the same logits.

Rules: use the submodules built in `__init__`.

Worked example (in words): logits[b, p] depends only on tokens[b, :p+1]. Changing the last token
of a sequence changes only the logits at the last position.

Logits at position p are the prediction for token p + 1: a model trained on sequences of length
n gets n - 1 training signals from each sequence at once, which is why training is parallel even
though generating is sequential.
"""

from jaxtyping import Float, Int
from torch import Tensor, nn

from arena_cli.course.transformer import Config, Embed, LayerNorm, PosEmbed, TransformerBlock, Unembed


class Transformer(nn.Module):
    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        self.embed = Embed(cfg)
        self.pos_embed = PosEmbed(cfg)
        self.blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg.n_layers)])
        self.ln_final = LayerNorm(cfg)
        self.unembed = Unembed(cfg)

    def forward(self, tokens: Int[Tensor, "batch pos"]) -> Float[Tensor, "batch pos d_vocab"]:
        # BEGIN SOLUTION: embed + pos_embed, run every block in order, ln_final, unembed (about 4 lines)
        residual = self.embed(tokens) + self.pos_embed(tokens)  # [batch, pos, d_model]
        for block in self.blocks:
            residual = block(residual)
        return self.unembed(residual)
        # END SOLUTION
