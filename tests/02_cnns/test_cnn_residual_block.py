import pytest
import torch
import torch.nn.functional as F
from torch import nn

from arena_cli.course.cnn import randomise_batch_norm, residual_block_oracle
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)


def batch_norm_shapes(prefix, features):
    return {f"{prefix}.{name}": (features,) for name in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()
    }


def expected_shapes(in_feats, out_feats, projection):
    """The block's state dict as its docstring specifies it: name -> shape."""
    shapes = {"left.0.weight": (out_feats, in_feats, 3, 3)}
    shapes |= batch_norm_shapes("left.1", out_feats)
    shapes["left.3.weight"] = (out_feats, out_feats, 3, 3)
    shapes |= batch_norm_shapes("left.4", out_feats)
    if projection:
        shapes["right.0.weight"] = (out_feats, in_feats, 1, 1)
        shapes |= batch_norm_shapes("right.1", out_feats)
    return shapes


def make_block(in_feats, out_feats, stride, seed=0):
    torch.manual_seed(seed)
    block = ex.ResidualBlock(in_feats, out_feats, stride)
    randomise_batch_norm(block, torch.Generator().manual_seed(seed + 1))
    return block


@pytest.mark.parametrize(
    "in_feats, out_feats, stride, projection",
    [(8, 8, 1, False), (8, 16, 1, True), (8, 8, 2, True), (8, 16, 2, True)],
    ids=["identity_shortcut", "more_channels", "stride_2", "more_channels_and_stride_2"],
)
def test_layer_names_and_shapes(in_feats, out_feats, stride, projection):
    got = {name: tuple(t.shape) for name, t in ex.ResidualBlock(in_feats, out_feats, stride).state_dict().items()}
    want = expected_shapes(in_feats, out_feats, projection)
    right_got = {name for name in got if name.startswith("right.")}
    if projection and not right_got and in_feats == out_feats:
        raise mistake(
            "the shortcut is the identity although the stride is not 1; x and left(x) then differ in size: "
            "project the shortcut whenever first_stride != 1 or the channels change",
            f"ResidualBlock({in_feats}, {out_feats}, {stride}) has no right.* parameters")
    if projection and right_got == {"right.0.weight"}:
        raise mistake(
            "the projection shortcut has no batch norm; it is Sequential(1x1 conv, BatchNorm2d(out_feats))",
            f"ResidualBlock({in_feats}, {out_feats}, {stride}) right.* parameters: {sorted(right_got)}")
    assert sorted(got) == sorted(want), (
        f"state_dict names: missing {sorted(set(want) - set(got))}, unexpected {sorted(set(got) - set(want))}"
    )
    for name, shape in want.items():
        assert got[name] == shape, f"{name}: expected shape {shape}, got {got[name]}"


def test_convolutions_have_no_bias_and_the_shortcut_is_an_identity_when_shapes_match():
    block = ex.ResidualBlock(8, 8, 1)
    assert isinstance(block.right, nn.Identity), f"right must be nn.Identity() here, got {type(block.right).__name__}"
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(m.bias is None for m in convs), "the convolutions take bias=False (batch norm follows them)"


@pytest.mark.parametrize("training", [True, False], ids=["train_mode", "eval_mode"])
@pytest.mark.parametrize(
    "in_feats, out_feats, stride, size",
    [(6, 6, 1, 5), (4, 8, 1, 6), (6, 6, 2, 6), (4, 8, 2, 7)],
    ids=["identity_shortcut", "more_channels", "stride_2", "more_channels_stride_2_odd_size"],
)
def test_forward_matches_functional_oracle(in_feats, out_feats, stride, size, training):
    block = make_block(in_feats, out_feats, stride, seed=in_feats + stride)
    block.train(training)
    x = torch.randn(3, in_feats, size, size, generator=torch.Generator().manual_seed(size))
    params = {name: t.clone() for name, t in block.state_dict().items()}
    expected = residual_block_oracle(x, params, stride, training)
    assert_close(
        block(x), expected, atol=1e-4,
        name=f"ResidualBlock({in_feats}, {out_feats}, {stride}) in {'train' if training else 'eval'} mode on {tuple(x.shape)}",
        mistakes={
            "the ReLU was applied to the left branch before adding the shortcut; the block's output is "
            "relu(left(x) + right(x))": lambda: torch.relu(block.left(x)) + block.right(x),
            "the stride is on the second convolution; the first 3x3 conv of left takes first_stride, the second "
            "stride 1": lambda: second_conv_strided(x, params, stride, training),
        },
    )


def batch_norm(x, params, prefix, training):
    return F.batch_norm(x, params[prefix + "running_mean"].clone(), params[prefix + "running_var"].clone(),
                        params[prefix + "weight"], params[prefix + "bias"], training=training, eps=1e-5)


def second_conv_strided(x, params, stride, training):
    """The block with its stride moved from left's first conv to its second."""
    left = F.relu(batch_norm(F.conv2d(x, params["left.0.weight"], padding=1), params, "left.1.", training))
    left = batch_norm(F.conv2d(left, params["left.3.weight"], stride=stride, padding=1), params, "left.4.", training)
    right = x
    if "right.0.weight" in params:
        right = batch_norm(F.conv2d(x, params["right.0.weight"], stride=stride), params, "right.1.", training)
    return F.relu(left + right)


def test_gradient_reaches_every_parameter():
    model = ex.ResidualBlock(4, 8, 2).train()
    model(torch.randn(2, 4, 6, 6, generator=torch.Generator().manual_seed(0))).square().sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches {missing[:4]}: every layer you create must be on the path from input to output"
