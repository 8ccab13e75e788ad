import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import load
from arena_cli.zoo.induction import repeated_tokens

ex = load_exercise(__file__)
model = load("induction")
TOKENS = repeated_tokens(4, 12, torch.Generator().manual_seed(0))
HEADS = [(layer, head) for layer in range(2) for head in range(4)]


def fresh_cache(tokens=TOKENS):
    _, cache = model.run_with_cache(tokens)
    return cache


@pytest.mark.parametrize("layer", [0, 1], ids=["layer_0", "layer_1"])
def test_mean_z_averages_batch_and_positions(layer):
    cache = fresh_cache()
    z = cache["z", layer]
    expected = z.reshape(-1, *z.shape[2:]).mean(dim=0)  # [head, d_head]
    assert_close(ex.mean_z(cache, layer), expected, atol=1e-6, name=f"mean of layer-{layer} z over batch and positions", mistakes={
        "the mean is over the batch only; take it over the batch and the positions (dims 0 and 1)": lambda: z.mean(0),
        "the mean is over the positions only; take it over the batch and the positions (dims 0 and 1)": lambda: z.mean(1),
        "the mean includes the d_head axis; keep [head, d_head]": lambda: z.mean(dim=(0, 1, 3)),
    })


def test_hook_on_the_worked_example():
    z = torch.tensor([1.0, 2.0, 6.0]).reshape(1, 3, 1, 1)
    out = ex.mean_ablation_hook(z, None, 0, torch.tensor([[3.0]]))
    assert_close(out, torch.full((1, 3, 1, 1), 3.0), atol=0, name="ablated z of the worked example")
    assert_close(z.flatten(), torch.tensor([1.0, 2.0, 6.0]), atol=0, name="the hook's input (must not change)")


def test_hook_returns_a_new_tensor_and_leaves_its_input_alone():
    cache = fresh_cache()
    z = cache["z", 1]
    before = z.clone()
    mean = ex.mean_z(cache, 1)
    out = ex.mean_ablation_hook(z, None, 3, mean)
    assert_unchanged(before, z, name="z")
    expected = before.clone()
    expected[:, :, 3] = before[:, :, 3].mean(dim=(0, 1))
    zeroed = before.clone()
    zeroed[:, :, 3] = 0.0
    assert_close(out, expected, atol=1e-6, name="hook output: head 3 replaced by its mean, other heads untouched", mistakes={
        "head 3 was zeroed; mean ablation replaces it by mean[head]": zeroed,
    })


@pytest.mark.parametrize("layer, head", HEADS, ids=[f"L{l}H{h}" for l, h in HEADS])
def test_loss_matches_moving_the_mean_into_the_bias(layer, head, surgeon):
    cache = fresh_cache()
    mean = cache["z", layer][:, :, head].mean(dim=(0, 1)).clone()  # [d_head]
    got = ex.mean_ablated_loss(model, TOKENS, cache, layer, head)
    assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
    assert_close(got, surgeon.loss(TOKENS, layer, head, value=mean), atol=1e-4,
                 name=f"loss with L{layer}H{head} mean-ablated vs its W_O zeroed and mean_z @ W_O added to b_O")


def test_the_cache_you_were_given_is_unchanged():
    cache = fresh_cache()
    before = {name: tensor.clone() for name, tensor in cache.items()}
    for layer, head in HEADS:
        ex.mean_ablated_loss(model, TOKENS, cache, layer, head)
    for name, tensor in before.items():
        assert_close(cache[name], tensor, atol=0, name=f"cache[{name!r}] after mean_ablated_loss (must not change)")


def test_mean_comes_from_the_given_cache(surgeon):
    # means from another batch give another loss: the function must use the cache it is given
    other = fresh_cache(repeated_tokens(4, 12, torch.Generator().manual_seed(9)))
    mean = other["z", 0][:, :, 1].mean(dim=(0, 1)).clone()
    own = fresh_cache()["z", 0][:, :, 1].mean(dim=(0, 1))
    assert_close(ex.mean_ablated_loss(model, TOKENS, other, 0, 1), surgeon.loss(TOKENS, 0, 1, value=mean), atol=1e-4,
                 name="loss with L0H1 mean-ablated, means taken from another batch's cache", mistakes={
        "the means come from a new run on `tokens`; take them from the cache you are given": lambda: surgeon.loss(TOKENS, 0, 1, value=own),
    })
