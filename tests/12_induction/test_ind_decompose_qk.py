import pytest
import torch

from arena_cli.testing import assert_close, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")
ORDER = ["embed", "pos_embed", "L0H0", "L0H1", "L0H2", "L0H3", "bias"]

INPUTS = {
    "repeated_3x(1+2x10)": lambda: repeated_tokens(3, 10, torch.Generator().manual_seed(0)),
    "text": lambda: model.to_tokens("t8 t1 t9 t9 t4 t1 t9 t4 t1"),
}


def tl_components(cache):
    stack, labels = cache.get_full_resid_decomposition(layer=1, expand_neurons=False, return_labels=True)
    return stack[[labels.index(name) for name in ORDER]]


def tl_parts(cache, head, which):
    """The oracle: TransformerLens' decomposition, normalised with the cached ln1 scale."""
    W = (model.W_Q if which == "q" else model.W_K)[1, head]
    b = (model.b_Q if which == "q" else model.b_K)[1, head]
    normalised = cache.apply_ln_to_stack(tl_components(cache), layer=1) * model.blocks[1].ln1.w
    parts = normalised @ W
    parts[-1] += model.blocks[1].ln1.b @ W + b
    return parts


@pytest.mark.parametrize("make_tokens", INPUTS.values(), ids=INPUTS.keys())
def test_components_match_transformer_lens_decomposition(make_tokens):
    _, cache = model.run_with_cache(make_tokens())
    components = ex.decompose_resid_pre(cache, model)
    assert_close(components, tl_components(cache), atol=1e-5,
                 name="components [embed, pos_embed, L0H0 … L0H3, bias] vs cache.get_full_resid_decomposition(layer=1)")
    assert_close(components.sum(0), cache["resid_pre", 1], atol=1e-5, name="sum of the components vs resid_pre of layer 1")


@pytest.mark.parametrize("which", ["q", "k"])
@pytest.mark.parametrize("head", range(4), ids=[f"L1H{h}" for h in range(4)])
def test_parts_add_up_to_the_cached_queries_and_keys(head, which):
    _, cache = model.run_with_cache(INPUTS["repeated_3x(1+2x10)"]())
    parts = ex.decompose_qk(ex.decompose_resid_pre(cache, model), cache, model, head, which)
    assert tuple(parts.shape) == (7, 3, 21, 16), f"parts should be [component 7, batch, pos, d_head], got {tuple(parts.shape)}"
    assert_close(parts.sum(0), cache[which, 1][:, :, head], atol=1e-4,
                 name=f"sum of the {which} parts vs cache['{which}', 1][:, :, {head}]")
    assert_close(parts, tl_parts(cache, head, which), atol=1e-4,
                 name=f"{which} parts per component vs TransformerLens' apply_ln_to_stack (constants in the bias part)")


def test_parts_follow_the_components_given():
    # the decomposition is linear in the components it is given (the scale is frozen):
    # swapping two components swaps their parts
    _, cache = model.run_with_cache(INPUTS["text"]())
    components = ex.decompose_resid_pre(cache, model)
    swapped = components[[1, 0, 2, 3, 4, 5, 6]]
    a = ex.decompose_qk(components, cache, model, 2, "k")
    b = ex.decompose_qk(swapped, cache, model, 2, "k")
    assert_close(b, a[[1, 0, 2, 3, 4, 5, 6]], atol=1e-5, name="parts of swapped components (embed <-> pos_embed)")
