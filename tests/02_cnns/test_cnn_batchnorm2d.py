import pytest
import torch
from torch import nn

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)


def pair(num_features, seed, **kwargs):
    """The exercise's BatchNorm2d and torch's, with the same random weight and bias."""
    generator = torch.Generator().manual_seed(seed)
    ours, theirs = ex.BatchNorm2d(num_features, **kwargs), nn.BatchNorm2d(num_features, **kwargs)
    weight = 1 + 0.5 * torch.randn(num_features, generator=generator)
    bias = torch.randn(num_features, generator=generator)
    with torch.no_grad():
        for module in (ours, theirs):
            module.weight.copy_(weight)
            module.bias.copy_(bias)
    return ours, theirs


def batches(shape, count, seed):
    """Batches whose channels have different, changing means and scales."""
    generator = torch.Generator().manual_seed(seed)
    channels = shape[1]
    for step in range(count):
        scale = (0.5 + 3 * torch.rand(channels, generator=generator)).reshape(1, -1, 1, 1)
        shift = (4 * torch.randn(channels, generator=generator) + step).reshape(1, -1, 1, 1)
        yield torch.randn(shape, generator=generator) * scale + shift


def assert_same_state(ours, theirs, when):
    assert_close(ours.running_mean, theirs.running_mean, atol=1e-5, name=f"running_mean {when}")
    assert_close(ours.running_var, theirs.running_var, atol=1e-5, name=f"running_var {when}")
    assert int(ours.num_batches_tracked) == int(theirs.num_batches_tracked), (
        f"num_batches_tracked {when}: got {int(ours.num_batches_tracked)}, expected {int(theirs.num_batches_tracked)}"
    )


def test_state_dict_matches_torch():
    ours, theirs = ex.BatchNorm2d(4), nn.BatchNorm2d(4)
    got, want = ours.state_dict(), theirs.state_dict()
    assert list(got) == list(want), f"state_dict keys: expected {list(want)}, got {list(got)}"
    for key in want:
        assert_close(got[key], want[key], atol=0, rtol=0, check_dtype=True, name=f"initial {key}")
    names = sorted(name for name, _ in ours.named_parameters())
    assert names == ["bias", "weight"], f"only weight and bias are parameters (register the rest as buffers), got {names}"


# n = batch * height * width values per channel: 2 * 1 * 2 = 4 makes n / (n - 1) = 4/3, large
@pytest.mark.parametrize("momentum", [0.1, 0.35], ids=["momentum_0.1", "momentum_0.35"])
@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (2, 2, 1, 2)], ids=["batch_of_images", "four_values_per_channel"])
def test_training_mode_matches_torch_over_several_batches(shape, momentum):
    ours, theirs = pair(shape[1], seed=1, momentum=momentum)
    for step, x in enumerate(batches(shape, count=3, seed=2)):
        assert_close(ours(x), theirs(x), atol=1e-4, name=f"training-mode output, batch {step}")
        assert_same_state(ours, theirs, f"after training batch {step}")


def test_eval_mode_uses_the_running_statistics():
    ours, theirs = pair(3, seed=3)
    for x in batches((8, 3, 3, 3), count=4, seed=4):
        ours(x), theirs(x)
    ours.eval(), theirs.eval()
    x = next(batches((5, 3, 3, 3), count=1, seed=5))
    assert_close(ours(x), theirs(x), atol=1e-4, name="eval-mode output after four training batches")
    assert_same_state(ours, theirs, "after an eval-mode call (eval must not update them)")


def test_eval_output_of_an_image_does_not_depend_on_its_batch():
    ours, _ = pair(3, seed=6)
    for x in batches((8, 3, 3, 3), count=2, seed=7):
        ours(x)
    ours.eval()
    x = next(batches((4, 3, 3, 3), count=1, seed=8))
    assert_close(ours(x[:1]), ours(x)[:1], atol=1e-5, name="eval output of image 0 alone vs within its batch")


def test_custom_eps_is_inside_the_square_root():
    # a channel of almost constant values: var ~ 1e-8, so where eps goes decides the output
    ours, theirs = pair(2, seed=9, eps=1e-3)
    x = torch.randn(4, 2, 3, 3, generator=torch.Generator().manual_seed(10)) * 1e-4 + 1.0
    assert_close(ours(x), theirs(x), atol=1e-4, name="training output for nearly constant channels, eps=1e-3")
    ours.eval(), theirs.eval()
    assert_close(ours(x), theirs(x), atol=1e-4, name="eval output, eps=1e-3")


def test_gradients_match_torch():
    ours, theirs = pair(3, seed=11)
    x = next(batches((4, 3, 2, 3), count=1, seed=12))
    upstream = torch.randn(x.shape, generator=torch.Generator().manual_seed(13))
    x_ours, x_theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    (ours(x_ours) * upstream).sum().backward()
    (theirs(x_theirs) * upstream).sum().backward()
    assert_close(x_ours.grad, x_theirs.grad, atol=1e-4, name="gradient of the input (training mode)")
    assert_close(ours.weight.grad, theirs.weight.grad, atol=1e-4, name="gradient of weight")
    assert_close(ours.bias.grad, theirs.bias.grad, atol=1e-4, name="gradient of bias")


def test_running_statistics_are_not_part_of_the_graph():
    ours, _ = pair(3, seed=14)
    ours(torch.randn(4, 3, 2, 2, requires_grad=True))
    for name in ("running_mean", "running_var"):
        buffer = getattr(ours, name)
        assert not buffer.requires_grad, f"{name} requires grad: update it under torch.no_grad() (or from detached values)"


def test_does_not_use_torch_batch_norm(forbid):
    ours, theirs = pair(3, seed=15)
    x = next(batches((4, 3, 2, 2), count=1, seed=16))
    expected = theirs(x)
    forbid("torch.nn.functional.batch_norm", "torch.batch_norm", "torch.nn.BatchNorm2d.forward", "torch.native_batch_norm")
    assert_close(ours(x), expected, atol=1e-4, name="BatchNorm2d without torch's batch_norm")


def test_common_mistakes_on_a_fixed_input():
    x = 3 + 2 * torch.randn(4, 3, 2, 2, generator=torch.Generator().manual_seed(5))
    ours, theirs = ex.BatchNorm2d(3, momentum=0.2).train(), nn.BatchNorm2d(3, momentum=0.2).train()
    before = x.clone()
    got = ours(x)
    assert_unchanged(before, x, name="x")
    want = theirs(x)
    mean, biased = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
    unbiased = x.var((0, 2, 3), unbiased=True)
    per_channel = (1, -1, 1, 1)
    assert_close(got, want, atol=1e-4, name="training-mode output", mistakes={
        "the batch was normalised with the unbiased variance; normalise with the biased one (divide by n)":
            lambda: (x - mean.reshape(per_channel)) / (unbiased.reshape(per_channel) + 1e-5).sqrt(),
    })
    assert_close(ours.running_var, theirs.running_var, atol=1e-5, name="running_var after one batch", mistakes={
        "running_var was updated with the biased variance; torch keeps the unbiased one (n / (n - 1))":
            lambda: 0.8 + 0.2 * biased,
        "momentum weights the new batch: running = (1 - momentum) * running + momentum * batch value":
            lambda: 0.2 + 0.8 * unbiased,
    })
    assert_close(ours.running_mean, theirs.running_mean, atol=1e-5, name="running_mean after one batch", mistakes={
        "momentum weights the new batch: running = (1 - momentum) * running + momentum * batch value": lambda: 0.8 * mean,
    })
    assert int(ours.num_batches_tracked) == 1, "num_batches_tracked must count the training batches (1 after one)"
    ours.eval()
    theirs.eval()
    assert_close(ours(x), theirs(x), atol=1e-4, name="eval-mode output", mistakes={
        "eval mode used the batch's statistics; it must use running_mean and running_var":
            lambda: (x - mean.reshape(per_channel)) / (biased.reshape(per_channel) + 1e-5).sqrt(),
    })
