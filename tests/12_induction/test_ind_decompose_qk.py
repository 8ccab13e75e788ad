import pytest
import torch

from arena_cli.testing import assert_close, forbidder, load_exercise, mistake
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
    expected = tl_components(cache)
    assert_close(components, expected, atol=1e-5,
                 name="components [embed, pos_embed, L0H0 … L0H3, bias] vs cache.get_full_resid_decomposition(layer=1)", mistakes={
        "the bias component is the sum of both layers' b_O; layer 1 reads only what layer 0 wrote (b_O of layer 0)":
            lambda: torch.cat([expected[:-1], model.b_O.sum(0).expand_as(expected[-1])[None]]),
        "the head results use layer 1's W_O; layer 1's input holds layer 0's heads (W_O[0])":
            lambda: torch.cat([expected[:2], torch.einsum("bphe,hed->hbpd", cache["z", 0], model.W_O[1]), expected[-1:]]),
    })
    assert_close(components.sum(0), cache["resid_pre", 1], atol=1e-5, name="sum of the components vs resid_pre of layer 1")


@pytest.mark.parametrize("which", ["q", "k"])
@pytest.mark.parametrize("head", range(4), ids=[f"L1H{h}" for h in range(4)])
def test_parts_add_up_to_the_cached_queries_and_keys(head, which):
    _, cache = model.run_with_cache(INPUTS["repeated_3x(1+2x10)"]())
    components = tl_components(cache)
    before = components.clone()
    parts = ex.decompose_qk(components, cache, model, head, which)
    if not torch.equal(before, components):
        raise mistake("your code changed its argument `components` in place; compute a new tensor instead")
    assert tuple(parts.shape) == (7, 3, 21, 16), f"parts should be [component 7, batch, pos, d_head], got {tuple(parts.shape)}"
    W = (model.W_Q if which == "q" else model.W_K)[1, head]
    b = (model.b_Q if which == "q" else model.b_K)[1, head]
    ln = model.blocks[1].ln1
    centred = components - components.mean(-1, keepdim=True)
    constant = ln.b @ W + b

    def with_constant(p, where="bias"):
        p = p.clone()
        if where == "bias":
            p[-1] += constant
        elif where == "every":
            p += constant
        return p

    mistakes = {
        "the constants b_ln @ W + b were added to every component; they go into the bias component only":
            lambda: with_constant(centred / cache["scale", 1, "ln1"] * ln.w @ W, "every"),
        "the constants b_ln @ W + b are missing from the bias component":
            lambda: with_constant(centred / cache["scale", 1, "ln1"] * ln.w @ W, "none"),
        "the components are not centred before dividing by the scale":
            lambda: with_constant(components / cache["scale", 1, "ln1"] * ln.w @ W),
        "the scale is ln_final's (cache['scale']); layer 1's queries and keys use cache['scale', 1, 'ln1']":
            lambda: with_constant(centred / cache["scale"] * ln.w @ W),
        "ln1.w is missing: normalised = centred / scale * ln1.w": lambda: with_constant(centred / cache["scale", 1, "ln1"] @ W),
    }
    assert_close(parts.sum(0), cache[which, 1][:, :, head], atol=1e-4,
                 name=f"sum of the {which} parts vs cache['{which}', 1][:, :, {head}]",
                 mistakes={sentence: (lambda v=v: v().sum(0)) for sentence, v in mistakes.items()})
    assert_close(parts, tl_parts(cache, head, which), atol=1e-4,
                 name=f"{which} parts per component vs TransformerLens' apply_ln_to_stack (constants in the bias part)",
                 mistakes=mistakes)


def test_parts_follow_the_components_given():
    # the decomposition is linear in the components it is given (the scale is frozen):
    # swapping two components swaps their parts
    _, cache = model.run_with_cache(INPUTS["text"]())
    components = ex.decompose_resid_pre(cache, model)
    swapped = components[[1, 0, 2, 3, 4, 5, 6]]
    a = ex.decompose_qk(components, cache, model, 2, "k")
    b = ex.decompose_qk(swapped, cache, model, 2, "k")
    assert_close(b, a[[1, 0, 2, 3, 4, 5, 6]], atol=1e-5, name="parts of swapped components (embed <-> pos_embed)")


def test_does_not_call_the_transformer_lens_helpers(monkeypatch):
    _, cache = model.run_with_cache(INPUTS["text"]())
    expected = tl_components(cache)
    forbidder(monkeypatch)(
        "transformer_lens.ActivationCache.stack_head_results", "transformer_lens.ActivationCache.get_full_resid_decomposition",
    )
    assert_close(ex.decompose_resid_pre(cache, model), expected, atol=1e-5, name="components, written by hand")
