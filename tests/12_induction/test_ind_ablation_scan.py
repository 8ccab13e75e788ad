import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_head_scores
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")
TOKENS = repeated_tokens(4, 12, torch.Generator().manual_seed(0))


def oracle(surgeon, tokens, mode):
    _, cache = model.run_with_cache(tokens)
    clean = float(model(tokens, return_type="loss"))
    table = torch.zeros(2, 4)
    for layer in range(2):
        for head in range(4):
            value = None if mode == "zero" else cache["z", layer][:, :, head].mean(dim=(0, 1))
            table[layer, head] = surgeon.loss(tokens, layer, head, value=value) - clean
    return table


def test_hook_returns_a_new_tensor_and_leaves_its_input_alone():
    z = torch.randn(2, 5, 4, 16, generator=torch.Generator().manual_seed(0))
    before = z.clone()
    value = torch.arange(16.0)
    out = ex.replace_head_hook(z, None, 1, value)
    assert_unchanged(before, z, name="z")
    expected = before.clone()
    expected[:, :, 1] = value
    assert_close(out, expected, atol=0, name="hook output: head 1 set to the value, other heads untouched")


@pytest.mark.parametrize("mode", ["zero", "mean"])
def test_matches_weight_surgery(mode, surgeon):
    passes = []
    handle = model.embed.register_forward_hook(lambda *_: passes.append(1))
    try:
        got = ex.loss_increase_per_head(model, TOKENS, mode)
    finally:
        handle.remove()
    expected = oracle(surgeon, TOKENS, mode)
    assert_close(got, expected, atol=2e-4,
                 name=f"loss increase per head [layer, head], {mode} ablation, vs editing W_O and b_O", mistakes={
        "the sign is flipped: the increase is ablated loss minus clean loss": lambda: -expected,
        "the mode is ignored: this is the other ablation's table": lambda: oracle(surgeon, TOKENS, "mean" if mode == "zero" else "zero"),
    })
    if len(passes) > 9:
        raise mistake(f"the model ran {len(passes)} times; the rules allow one forward pass per head (8) plus one clean run",
                      "cache the clean loss and the z means once, before the loop over heads")


def test_other_tokens_and_previous_token_head_stands_out(surgeon):
    tokens = repeated_tokens(3, 20, torch.Generator().manual_seed(5))
    got = ex.loss_increase_per_head(model, tokens, "mean")
    assert_close(got, oracle(surgeon, tokens, "mean"), atol=2e-4, name="loss increase per head, mean ablation")
    text = " ".join(model.to_str_tokens(tokens[0])[1:])
    prev = int(detect_head(model, text, "previous_token_head")[0].argmax())
    assert int(got.argmax()) == prev, f"the previous-token head L0H{prev} should matter most; got\n{got}"
    show_head_scores(got, title="loss increase when one head is mean-ablated (nats)")
