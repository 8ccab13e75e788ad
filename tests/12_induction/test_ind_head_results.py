import einops
import pytest
import torch

from arena_cli.testing import assert_close, load_exercise
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
    results = ex.head_results(cache, model, layer)
    stacked = cache.stack_head_results(layer=layer + 1)[layer * 4 : (layer + 1) * 4]  # [head, batch, pos, d_model]
    expected = einops.rearrange(stacked, "h b p d -> b p h d")
    assert_close(results, expected, atol=1e-5,
                 name=f"layer-{layer} head results [batch, pos, head, d_model] vs cache.stack_head_results")


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
def test_heads_add_up_to_the_attention_output(layer):
    _, cache = model.run_with_cache(repeated_tokens(3, 9, torch.Generator().manual_seed(1)))
    rebuilt = ex.attn_out_from_heads(ex.head_results(cache, model, layer), model, layer)
    assert_close(rebuilt, cache["attn_out", layer], atol=1e-5,
                 name=f"sum of layer-{layer} head results + b_O vs cache['attn_out', {layer}]")


def test_attn_out_from_heads_sums_the_head_axis():
    results = torch.zeros(1, 2, 4, 64)
    results[0, 0, 2] = 1.0
    results[0, 1, 3] = 2.0
    expected = torch.stack([torch.ones(64), 2 * torch.ones(64)])[None] + model.b_O[1]
    assert_close(ex.attn_out_from_heads(results, model, 1), expected, atol=1e-6,
                 name="attn_out_from_heads of hand-made results")
