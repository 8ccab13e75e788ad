import pytest
import torch
from transformer_lens.utilities import get_act_name

from arena_cli.testing import assert_close, forbidder, load_exercise, mistake
from arena_cli.zoo import load

ex = load_exercise(__file__)
model = load("induction")

KINDS = [
    ("embed", None), ("pos_embed", None),
    *[(kind, layer) for kind in ("resid_pre", "attn_out", "resid_post") for layer in (0, 1)],
    *[(kind, layer) for kind in ("q", "k", "v", "z", "pattern") for layer in (0, 1)],
]


@pytest.mark.parametrize("kind, layer", KINDS, ids=[f"{k}_{l}" if l is not None else k for k, l in KINDS])
def test_hook_name_matches_transformer_lens(kind, layer):
    expected = get_act_name(kind, layer)
    got = ex.hook_name(kind, layer)
    if got != expected and layer is not None:
        short = expected.split(".")[-1]
        if got == f"blocks.{layer}.{short}":
            raise mistake(f"{kind!r} lives inside the attention: blocks.{{layer}}.attn.{short}, not blocks.{{layer}}.{short}")
        if got == f"blocks.{layer}.attn.{short}":
            raise mistake(f"{kind!r} is a block-level hook: blocks.{{layer}}.{short}, not inside .attn")
    assert got == expected, f"hook_name({kind!r}, {layer}) returned {got!r}, expected {expected!r}"
    assert got in model.hook_dict, f"{got!r} is not a hook point of the model"


@pytest.mark.parametrize("kind", ["resid_pre", "z", "pattern"])
def test_hook_name_with_a_multi_digit_layer(kind, monkeypatch):
    # a bigger model has blocks 10, 11, ...: the name is built from the number, not one character
    forbidder(monkeypatch)("transformer_lens.utilities.get_act_name")
    assert ex.hook_name(kind, 12) == f"blocks.12.{'attn.' if kind != 'resid_pre' else ''}hook_{kind}", (
        f"hook_name({kind!r}, 12) returned {ex.hook_name(kind, 12)!r}"
    )


TEXTS = {"three_words": "t5 t17 t5", "repeat": "t1 t2 t3 t4 t1 t2 t3 t4", "one_word": "t99"}


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_logits_are_the_models_on_text_with_bos(text):
    names = [get_act_name("pattern", 0)]
    logits, _ = ex.run_and_cache(model, text, names)
    tokens = torch.tensor([[0] + [3 + int(word[1:]) for word in text.split()]])  # <bos> is id 0, t<i> is id 3 + i
    assert logits.shape == (1, tokens.shape[1], 103), (
        f"logits should be [1, {tokens.shape[1]}, 103] (the words plus <bos>), got {tuple(logits.shape)}"
    )
    assert_close(logits, model(tokens), atol=1e-5, name="logits of the text (with <bos> first)")


NAME_SETS = {
    "one_pattern": [("pattern", 1)],
    "q_and_k": [("q", 1), ("k", 1)],
    "residual_stream": [("embed", None), ("pos_embed", None), ("resid_pre", 1), ("resid_post", 1)],
}


@pytest.mark.parametrize("wanted", NAME_SETS.values(), ids=NAME_SETS.keys())
def test_cache_holds_exactly_the_named_activations(wanted):
    names = [get_act_name(kind, layer) for kind, layer in wanted]
    text = "t3 t1 t4 t1 t5 t9 t2 t6"
    _, cache = ex.run_and_cache(model, text, names)
    if len(cache.keys()) > 30:
        raise mistake("the cache holds every activation: pass names_filter so that it keeps only `names`")
    assert sorted(cache.keys()) == sorted(names), (
        f"the cache holds {sorted(cache.keys())}, expected exactly {sorted(names)}: pass names_filter"
    )
    _, full = model.run_with_cache(model.to_tokens(text))
    for name in names:
        assert_close(cache[name], full[name], atol=1e-6, name=f"cached {name}")
