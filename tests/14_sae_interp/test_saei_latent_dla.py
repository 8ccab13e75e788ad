import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars
from arena_cli.zoo import load
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
TOKENS = si.model_input(si.games(3, seed=21))


def reference(sae, pos, target, *, scale=True, centre=True, ln_weight=True, direction=None):
    hook = sae.cfg.metadata.hook_name
    _, cache = model.run_with_cache(TOKENS, names_filter=lambda n: n in (hook, "ln_final.hook_scale"))
    f = sae.encode(cache[hook][0, pos])
    d = sae.W_dec if direction is None else direction
    if centre:
        d = d - d.mean(-1, keepdim=True)
    if scale:
        d = d / cache["ln_final.hook_scale"][0, pos]
    if ln_weight:
        d = d * model.ln_final.weight
    return f * (d @ model.W_U[:, target])


@pytest.mark.parametrize("name, pos, target", [("resid3", 10, 7), ("resid2", 21, 30)], ids=["resid3-pos10", "resid2-pos21"])
def test_latent_dla(name, pos, target):
    sae = load_sae(name)
    before = TOKENS.clone()
    got = ex.latent_dla(model, sae, TOKENS, pos, target)
    assert_unchanged(before, TOKENS, name="tokens")
    expected = reference(sae, pos, target)
    assert_close(got, expected, atol=1e-4, name=f"DLA of every latent ({name})", mistakes={
        "the final LayerNorm's scale is ignored: divide by ln_final.hook_scale at that position": lambda: reference(sae, pos, target, scale=False),
        "the decoder rows are not centred (the LayerNorm subtracts the mean)": lambda: reference(sae, pos, target, centre=False),
        "the LayerNorm's weight is left out": lambda: reference(sae, pos, target, ln_weight=False),
        "the encoder column is used as the direction; what a latent writes is its decoder row": lambda: reference(sae, pos, target, direction=sae.W_enc.T),
    })
    top = expected.abs().argsort(descending=True)[:10]
    show_bars([f"latent {int(i)}" for i in top], expected[top].tolist(), title=f"{name}: direct effect on the logit of token {target} at position {pos}", y_label="logit")


def test_the_frozen_layernorm_path_reproduces_the_models_logits():
    # the oracle's formula, checked against the model itself: LN(x) W_U + b_U with the cached scale
    logits, cache = model.run_with_cache(TOKENS)
    x, scale = cache["ln_final.hook_in"], cache["ln_final.hook_scale"]
    ln = (x - x.mean(-1, keepdim=True)) / scale * model.ln_final.weight + model.ln_final.bias
    assert_close(ln @ model.W_U + model.b_U, logits, atol=1e-4, name="logits through the frozen final LayerNorm")
