import pytest
import torch
from transformer_lens.head_detector import detect_head

from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")
TOKENS = repeated_tokens(4, 12, torch.Generator().manual_seed(0))
HEADS = [(layer, head) for layer in range(2) for head in range(4)]


def test_hook_returns_a_new_tensor_and_leaves_its_input_alone():
    _, cache = model.run_with_cache(TOKENS)
    z = cache["z", 0]
    before = z.clone()
    out = ex.zero_ablation_hook(z, None, 2)
    assert out is not None, "the hook must return the ablated tensor"
    assert_unchanged(before, z, name="z")
    expected = before.clone()
    expected[:, :, 2] = 0.0
    wrong_axis = before.clone()
    wrong_axis[:, 2] = 0.0
    assert_close(out, expected, atol=0, name="hook output: head 2 zero, other heads untouched", mistakes={
        "position 2 was zeroed; z is [batch, pos, head, d_head], so the head is the third axis: z[:, :, head]": wrong_axis,
        "every head was zeroed; only head `head`": torch.zeros_like(before),
    })


@pytest.mark.parametrize("layer, head", HEADS, ids=[f"L{l}H{h}" for l, h in HEADS])
def test_loss_matches_zeroing_the_heads_output_weights(layer, head, surgeon):
    got = ex.zero_ablated_loss(model, TOKENS, layer, head)
    assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
    assert_close(got, surgeon.loss(TOKENS, layer, head), atol=1e-4,
                 name=f"loss with L{layer}H{head} zero-ablated vs the same model with that head's W_O zeroed", mistakes={
        "the head of the other layer was ablated: hook blocks.{layer}.attn.hook_z": lambda: surgeon.loss(TOKENS, 1 - layer, head),
        "nothing was ablated (this is the clean loss): check the hook's name and that it returns the new tensor":
            lambda: float(model(TOKENS, return_type="loss")),
    })


def test_model_is_clean_afterwards():
    clean = float(model(TOKENS, return_type="loss"))
    ex.zero_ablated_loss(model, TOKENS, 0, 1)
    left = [name for name, hp in model.hook_dict.items() if hp.fwd_hooks]
    assert not left, f"hooks left on the model after the call: {left}"
    assert_close(float(model(TOKENS, return_type="loss")), clean, atol=1e-6, name="clean loss after the call")


def test_previous_token_head_matters_most():
    text = " ".join(model.to_str_tokens(TOKENS[0])[1:])
    prev_layer0 = int(detect_head(model, text, "previous_token_head")[0].argmax())
    losses = torch.tensor([[ex.zero_ablated_loss(model, TOKENS, l, h) for h in range(4)] for l in range(2)])
    assert int(losses.argmax()) == prev_layer0, (
        f"zero-ablating the previous-token head L0H{prev_layer0} should hurt most; losses per head:\n{losses}"
    )
