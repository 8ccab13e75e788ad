import einops
import pytest
import torch

from arena_cli.testing import assert_close, forbidder, assert_unchanged, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")

INPUTS = {
    "repeated_2x(1+2x6)": lambda: repeated_tokens(2, 6, torch.Generator().manual_seed(0)),
    "text": lambda: model.to_tokens("t8 t1 t9 t9 t4 t1 t9"),
}


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_results_match_stack_head_results(make_tokens, layer):
    _, cache = model.run_with_cache(make_tokens())
    z = cache["z", layer]
    before = z.clone()
    results = ex.head_results(cache, model, layer)
    assert_unchanged(before, z, name=f"cache['z', {layer}]")
    stacked = cache.stack_head_results(layer=layer + 1)[layer * 4 : (layer + 1) * 4]  # [head, batch, pos, d_model]
    expected = einops.rearrange(stacked, "h b p d -> b p h d")
    assert_close(results, expected, atol=1e-5,
                 name=f"layer-{layer} head results [batch, pos, head, d_model] vs cache.stack_head_results", mistakes={
        "the heads were summed inside the einsum; keep the head axis (sum over d_head only)":
            lambda: torch.einsum("bphe,hed->bpd", z, model.W_O[layer]),
        "W_O of the other layer was used; use model.W_O[layer]":
            lambda: torch.einsum("bphe,hed->bphd", z, model.W_O[1 - layer]),
        "b_O was added to every head's result; the bias is not part of any head":
            lambda: torch.einsum("bphe,hed->bphd", z, model.W_O[layer]) + model.b_O[layer],
    })


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
def test_heads_add_up_to_the_attention_output(layer):
    _, cache = model.run_with_cache(repeated_tokens(3, 9, torch.Generator().manual_seed(1)))
    results = torch.einsum("bphe,hed->bphd", cache["z", layer], model.W_O[layer])
    before = results.clone()
    rebuilt = ex.attn_out_from_heads(results, model, layer)
    assert_unchanged(before, results, name="results")
    assert_close(rebuilt, cache["attn_out", layer], atol=1e-5,
                 name=f"sum of layer-{layer} head results + b_O vs cache['attn_out', {layer}]", mistakes={
        "the bias b_O is missing: attn_out = sum over heads + b_O[layer]": lambda: before.sum(2),
        "b_O of the other layer was added; use model.b_O[layer]": lambda: before.sum(2) + model.b_O[1 - layer],
        "the heads are averaged; their results add up": lambda: before.mean(2) + model.b_O[layer],
    })


def test_attn_out_from_heads_sums_the_head_axis():
    results = torch.zeros(1, 2, 4, 64)
    results[0, 0, 2] = 1.0
    results[0, 1, 3] = 2.0
    expected = torch.stack([torch.ones(64), 2 * torch.ones(64)])[None] + model.b_O[1]
    assert_close(ex.attn_out_from_heads(results, model, 1), expected, atol=1e-6,
                 name="attn_out_from_heads of hand-made results")


def test_does_not_call_stack_head_results(monkeypatch):
    _, cache = model.run_with_cache(repeated_tokens(2, 5, torch.Generator().manual_seed(3)))
    expected = einops.rearrange(cache.stack_head_results(layer=1)[:4], "h b p d -> b p h d")
    forbidder(monkeypatch)("transformer_lens.ActivationCache.stack_head_results")
    assert_close(ex.head_results(cache, model, 0), expected, atol=1e-5, name="layer-0 head results, written by hand")
