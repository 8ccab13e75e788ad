# MISTAKE: the MLP's input is zero-ablated instead of its output
# NAMED: the MLP's input is zero-ablated
"""A transcoder: a sparse stand-in for one MLP, spliced into the model in the MLP's place.

An SAE reconstructs the activation it reads. A transcoder reads what an MLP reads and predicts
what the MLP writes: its latents are a sparse, readable replacement for the MLP's neurons. The
shipped ones (`arena_cli.zoo.othello_transcoders.load_transcoder("mlp0")` … `"mlp3"`, SAELens
`Transcoder`s, 256 latents) read `tc.cfg.metadata.hook_name` = `blocks.L.mlp.hook_in` (the
MLP's input: the output of block L's second LayerNorm) and imitate `tc.cfg.metadata.hook_name_out`
= `blocks.L.hook_mlp_out` (what the MLP adds to the residual stream):

    f(x) = ReLU(x @ W_enc + b_enc)        x the MLP's input [..., d_in]; f the latents [..., d_sae]
    ŷ(f) = f @ W_dec + b_dec              the imitation of the MLP's output [..., d_out]

Unlike an SAE's, `b_dec` lives in the *output* space: nothing is subtracted from the input.

Goal:
1. `transcode(tc, mlp_in)` → (latents f, output ŷ), from the weights.
2. `replace_mlp(model, tc, tokens, keep_error=)` → the logits of one forward pass in which block
   L's MLP output is replaced, at every position, by ŷ computed from the MLP's input *of that
   same pass*. With `keep_error=True` the error term y − ŷ (y the MLP's real output) is added
   back: the replacement is then exact, and the model's own logits come out — the
   "replacement model with error nodes" that attribution graphs are built on.
3. `transcoder_scores(model, tc, tokens)` → dict of floats:
   - "fve": fraction of the MLP output's variance explained, 1 − Σ‖y − ŷ‖² / Σ‖y − ȳ‖²
     (sums over positions and dimensions, ȳ the mean over positions), in the clean run;
   - "l0": mean number of active latents (> 0) per position;
   - "clean", "spliced", "zero": next-move cross-entropy of the model, of `replace_mlp`
     (no error term), and of the model with the MLP's output zero-ablated at every position;
   - "recovered": (zero − spliced) / (zero − clean).
   Positions: tokens are `<bos> m1 m2 …`, padded with `<pad>` after a game ends
   (`arena_cli.zoo.othello.BOS` = 0, `.PAD` = 1). "fve" and "l0" count the positions that read
   a move (not `<bos>`, not `<pad>`: the transcoders were trained on those only). The losses
   count the logits at a position that reads a move, against the *next* token, and only where
   that next token is a move (after a game's last move there is nothing to predict).

Rules: `transcode` computes from the weights (no `tc.encode`, `tc.decode`, `tc(...)`); hooks
through `model.run_with_hooks` (none left on the model); do not modify the inputs.

Worked example: a latent with encoder column e₀, b_enc −1 and decoder row v reads
ReLU(x₀ − 1) and writes that times v, plus b_dec: x₀ = 3 gives 2v + b_dec, x₀ = 0.5 gives b_dec.
Loss recovered: clean 2.0, zero-ablated 2.2, spliced 2.05 → (2.2 − 2.05) / (2.2 − 2.0) = 0.75.
"""

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
from torch import Tensor

from arena_cli.zoo.othello import PAD


def transcode(tc, mlp_in: Float[Tensor, "... d_in"]) -> tuple[Float[Tensor, "... d_sae"], Float[Tensor, "... d_out"]]:
    """(latent activations f after the ReLU, the transcoder's output ŷ = f @ W_dec + b_dec)."""
    # BEGIN SOLUTION: encode (no b_dec on the input), then decode (2 lines)
    acts = torch.relu(mlp_in @ tc.W_enc + tc.b_enc)
    return acts, acts @ tc.W_dec + tc.b_dec
    # END SOLUTION


def replace_mlp(model, tc, tokens: Int[Tensor, "batch pos"], *, keep_error: bool = False) -> Float[Tensor, "batch pos d_vocab"]:
    """Logits with block L's MLP output replaced by the transcoder's output (+ its error if asked)."""
    # BEGIN SOLUTION: one hook keeps the MLP's input, a second (on the output) returns the transcoder's output, plus (output − transcoder output) if keep_error (about 10 lines)
    seen = {}

    def keep_input(x, hook):
        seen["mlp_in"] = x

    def replace_output(y, hook):
        _, y_hat = transcode(tc, seen["mlp_in"])
        return y_hat + (y - y_hat) if keep_error else y_hat

    hooks = [(tc.cfg.metadata.hook_name, keep_input), (tc.cfg.metadata.hook_name_out, replace_output)]
    return model.run_with_hooks(tokens, fwd_hooks=hooks)
    # END SOLUTION


def transcoder_scores(model, tc, tokens: Int[Tensor, "batch pos"]) -> dict[str, float]:
    """fve, l0 (positions reading a move) and the clean / spliced / zero-ablated next-move losses and the loss recovered."""
    # BEGIN SOLUTION: a mask of the positions reading a move; cache the MLP's input and output; transcode; the loss at masked positions with a next move, for three forward passes (about 20 lines)
    hook_in, hook_out = tc.cfg.metadata.hook_name, tc.cfg.metadata.hook_name_out
    reads_move = tokens != PAD
    reads_move[:, 0] = False  # <bos>
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n in (hook_in, hook_out))
    acts, y_hat = transcode(tc, cache[hook_in][reads_move])
    y = cache[hook_out][reads_move]
    fve = 1 - (y - y_hat).pow(2).sum() / (y - y.mean(0)).pow(2).sum()
    l0 = (acts > 0).float().sum(-1).mean()

    targets = tokens[:, 1:]
    scored = reads_move[:, :-1] & (targets != PAD)

    def loss(logits):
        return float(F.cross_entropy(logits[:, :-1][scored], targets[scored]))

    clean = loss(model(tokens))
    spliced = loss(replace_mlp(model, tc, tokens))
    zero = loss(model.run_with_hooks(tokens, fwd_hooks=[(hook_in, lambda y, hook: torch.zeros_like(y))]))
    return dict(fve=float(fve), l0=float(l0), clean=clean, spliced=spliced, zero=zero, recovered=(zero - spliced) / (zero - clean))
    # END SOLUTION
