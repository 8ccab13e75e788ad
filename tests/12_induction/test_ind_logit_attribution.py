import pytest
import torch

from arena_cli.testing import assert_close, forbidder, load_exercise, mistake
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")

INPUTS = {
    "repeated_3x(1+2x10)": lambda: repeated_tokens(3, 10, torch.Generator().manual_seed(0)),
    "text": lambda: model.to_tokens("t8 t1 t9 t9 t4 t1 t9 t4 t1"),
}
HALF_LEN = 12


def tl_components(cache):
    """TransformerLens' own decomposition, reordered to embed, pos_embed, heads, bias."""
    stack, labels = cache.get_full_resid_decomposition(expand_neurons=False, return_labels=True)
    order = ["embed", "pos_embed", *[f"L{l}H{h}" for l in range(2) for h in range(4)], "bias"]
    return stack[[labels.index(name) for name in order]]


def constant_term(tokens):
    """The part of the correct-token logit that no component owns: ln_final.b . W_U[:, t] + b_U[t]."""
    t = tokens[:, 1:]
    return (model.ln_final.b @ model.W_U)[t] + model.b_U[t]


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_components_match_transformer_lens_decomposition(make_tokens):
    _, cache = model.run_with_cache(make_tokens())
    components = ex.residual_components(cache, model)
    expected = tl_components(cache)
    head_major = [0, 1, 2, 6, 3, 7, 4, 8, 5, 9, 10]  # L0H0, L1H0, L0H1, L1H1, ...
    assert_close(components, expected, atol=1e-5,
                 name="components [embed, pos_embed, L0H0 … L1H3, bias] vs cache.get_full_resid_decomposition", mistakes={
        "the heads are ordered head first (L0H0, L1H0, L0H1, …); the order is layer first: L0H0 … L0H3, L1H0 … L1H3":
            lambda: expected[head_major],
        "the bias component holds only one layer's b_O; it is the sum of b_O over both layers":
            lambda: torch.cat([expected[:-1], model.b_O[0].expand_as(expected[-1])[None]]),
        "the bias component holds only one layer's b_O (layer 1); it is the sum of b_O over both layers":
            lambda: torch.cat([expected[:-1], model.b_O[1].expand_as(expected[-1])[None]]),
    })
    assert_close(components.sum(0), cache["ln_final.hook_in"], atol=1e-4, name="sum of the components vs the final residual")


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_attributions_match_transformer_lens_with_the_frozen_scale(make_tokens):
    tokens = make_tokens()
    _, cache = model.run_with_cache(tokens)
    # apply_ln_to_stack centres each component and divides by the cached final scale
    normalised = cache.apply_ln_to_stack(tl_components(cache), layer=None) * model.ln_final.w
    expected = torch.einsum("cbpd,dbp->bpc", normalised[:, :, :-1], model.W_U[:, tokens[:, 1:]])
    components = tl_components(cache)
    before = components.clone()
    got = ex.logit_attribution(components, cache, model, tokens)
    if not torch.equal(before, components):
        raise mistake("your code changed its argument `components` in place; compute a new tensor instead")
    scale, w = cache["scale"], model.ln_final.w
    centred = components - components.mean(-1, keepdim=True)

    def attribute(normalised, targets=tokens[:, 1:], positions=slice(None, -1)):
        return torch.einsum("cbpd,dbp->bpc", normalised[:, :, positions], model.W_U[:, targets])

    assert_close(got, expected, atol=1e-4, rtol=1e-4,
                 name="attributions [batch, pos-1, component] vs TransformerLens' apply_ln_to_stack", mistakes={
        "the components are not centred (subtract each component's mean over d_model) before dividing by the scale":
            lambda: attribute(components / scale * w),
        "each component was divided by its own scale; the scale is frozen: divide every component by cache['scale']":
            lambda: attribute(centred / (centred.pow(2).mean(-1, keepdim=True) + model.cfg.eps).sqrt() * w),
        "ln_final.w is missing: normalised = centred / scale * ln_final.w": lambda: attribute(centred / scale),
        "the attribution is to the current token; position p predicts tokens[:, p + 1]":
            lambda: attribute(centred / scale * w, targets=tokens[:, :-1]),
    })


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_attributions_add_up_to_the_correct_logit(make_tokens):
    tokens = make_tokens()
    logits, cache = model.run_with_cache(tokens)
    attributions = ex.logit_attribution(ex.residual_components(cache, model), cache, model, tokens)
    correct = logits[:, :-1].gather(-1, tokens[:, 1:, None])[..., 0]  # [batch, pos-1]
    assert_close(attributions.sum(-1) + constant_term(tokens), correct, atol=1e-4,
                 name="sum of attributions + constant vs the model's logit of the next token")


def test_induction_heads_carry_the_second_copy():
    tokens = repeated_tokens(4, HALF_LEN, torch.Generator().manual_seed(2))
    _, cache = model.run_with_cache(tokens)
    attributions = ex.logit_attribution(ex.residual_components(cache, model), cache, model, tokens)
    second = attributions[:, HALF_LEN + 1 :]  # predicting tokens HALF_LEN+2 … (predictable)
    layer1 = second[..., 6:10].sum(-1)  # components 6 … 9: L1H0 … L1H3
    assert float(layer1.min()) > 2.0, (
        f"on the predictable copy the layer-1 heads should add > 2 to the correct logit everywhere; min {float(layer1.min()):.2f}"
    )
    first = attributions[:, :HALF_LEN]  # predicting tokens 1 … HALF_LEN (random)
    assert float(first.abs().max()) < 0.5, (
        f"on the random first copy no component should push the correct token much; max |attribution| {float(first.abs().max()):.2f}"
    )


def test_does_not_call_the_transformer_lens_helpers(monkeypatch):
    tokens = INPUTS["text"]()
    _, cache = model.run_with_cache(tokens)
    components = tl_components(cache)
    normalised = cache.apply_ln_to_stack(components, layer=None) * model.ln_final.w
    expected = torch.einsum("cbpd,dbp->bpc", normalised[:, :, :-1], model.W_U[:, tokens[:, 1:]])
    forbidder(monkeypatch)(
        "transformer_lens.ActivationCache.stack_head_results", "transformer_lens.ActivationCache.get_full_resid_decomposition",
        "transformer_lens.ActivationCache.logit_attrs",
    )
    assert_close(ex.residual_components(cache, model), components, atol=1e-5, name="components, written by hand")
    assert_close(ex.logit_attribution(components, cache, model, tokens), expected, atol=1e-4, rtol=1e-4,
                 name="attributions, written by hand")
