# MISTAKE: the LayerNorm bias term of the constant is forgotten
# NAMED: the LayerNorm bias term ln_final.b . u
"""The "unbalanced" direction in the residual stream, through the final LayerNorm.

Goal: the classifier's verdict is one number, the logit difference

    diff = logit[unbalanced] - logit[balanced]      (at position 0; > 0 means "unbalanced")

and we want it as a *direction* in the residual stream (the input of `ln_final`), so that
"how unbalanced does the model think this is" can be read as a dot product.

After `ln_final` it is easy: diff = y . u + (b_U[0] - b_U[1]) with u = W_U[:, 0] - W_U[:, 1].
Before it, LayerNorm is in the way:

    y = (x - mean(x)) / scale * w + b          (scale = sqrt(var(x) + eps), per position)

LayerNorm is not linear (the scale depends on x). The usual linearisation, the one direct
logit attribution uses, **freezes the scale** at its value for this input (`cache["scale"]`,
i.e. `ln_final.hook_scale`). With the scale fixed, everything is affine in x:

    diff = (x . d) / scale + b . u + b_U[0] - b_U[1]

where d = w * u **centred** (minus its mean over d_model): x . d = (x - mean x) . (w * u).

1. `unbalanced_direction(model)`: d [d_model] (unbalanced minus balanced, centred).
2. `logit_difference(resid, scale, model)`: diff [batch] from the residual at position 0
   ([batch, d_model]) and the frozen scale ([batch, 1]).

Rules: torch; `model.W_U`, `model.b_U`, `model.ln_final.w`, `model.ln_final.b`.

Worked example: for "(()" (unbalanced) the logit difference is clearly positive (about +9), for
"(())" clearly negative; `logit_difference` reproduces the model's own numbers to 1e-4.
"""

from jaxtyping import Float
from torch import Tensor

from arena_cli.zoo.brackets import BALANCED, UNBALANCED


def unbalanced_direction(model) -> Float[Tensor, " d_model"]:
    """w * (W_U[:, unbalanced] - W_U[:, balanced]), centred over d_model."""
    # BEGIN SOLUTION: u from two columns of W_U, times ln_final.w, minus its mean (3 lines)
    u = model.W_U[:, UNBALANCED] - model.W_U[:, BALANCED]
    d = model.ln_final.w * u
    return d - d.mean()
    # END SOLUTION


def logit_difference(
    resid: Float[Tensor, "batch d_model"], scale: Float[Tensor, "batch 1"], model
) -> Float[Tensor, " batch"]:
    """logit[unbalanced] - logit[balanced], with the LayerNorm scale frozen at `scale`."""
    # BEGIN SOLUTION: (resid @ d) / scale plus the constant from ln_final.b and b_U (about 3 lines)
    u = model.W_U[:, UNBALANCED] - model.W_U[:, BALANCED]
    constant = model.b_U[UNBALANCED] - model.b_U[BALANCED]
    return resid @ unbalanced_direction(model) / scale[:, 0] + constant
    # END SOLUTION
