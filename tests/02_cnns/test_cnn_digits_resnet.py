import pytest
import torch

from arena_cli.course.cnn import ResNetConfig, digits_resnet_oracle, randomise_batch_norm
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake

ex = load_exercise(__file__)

CUSTOM = ResNetConfig(
    in_channels=2, stem_features=6, n_blocks_per_group=(2, 1), out_features_per_group=(8, 12),
    first_strides_per_group=(2, 1), n_classes=3,
)


def batch_norm_shapes(prefix, features):
    return {f"{prefix}.{name}": (features,) for name in ("weight", "bias", "running_mean", "running_var")} | {
        f"{prefix}.num_batches_tracked": ()
    }


def expected_shapes(config):
    """The model's state dict as the docstrings specify it: name -> shape."""
    shapes = {"stem.0.weight": (config.stem_features, config.in_channels, 3, 3)}
    shapes |= batch_norm_shapes("stem.1", config.stem_features)
    in_feats = config.stem_features
    groups = zip(config.n_blocks_per_group, config.out_features_per_group, config.first_strides_per_group)
    for g, (n_blocks, out_feats, stride) in enumerate(groups):
        for b in range(n_blocks):
            block_in = in_feats if b == 0 else out_feats
            prefix = f"groups.{g}.blocks.{b}"
            shapes[f"{prefix}.left.0.weight"] = (out_feats, block_in, 3, 3)
            shapes |= batch_norm_shapes(f"{prefix}.left.1", out_feats)
            shapes[f"{prefix}.left.3.weight"] = (out_feats, out_feats, 3, 3)
            shapes |= batch_norm_shapes(f"{prefix}.left.4", out_feats)
            if b == 0 and (stride != 1 or block_in != out_feats):
                shapes[f"{prefix}.right.0.weight"] = (out_feats, block_in, 1, 1)
                shapes |= batch_norm_shapes(f"{prefix}.right.1", out_feats)
        in_feats = out_feats
    shapes["head.2.weight"] = (config.n_classes, in_feats)
    shapes["head.2.bias"] = (config.n_classes,)
    return shapes


def make_model(config, seed=0):
    torch.manual_seed(seed)
    model = ex.DigitsResNet(config)
    randomise_batch_norm(model, torch.Generator().manual_seed(seed + 1))
    return model


@pytest.mark.parametrize("config", [ResNetConfig(), CUSTOM], ids=["default_config", "custom_config"])
def test_layer_names_and_shapes(config):
    got = {name: tuple(t.shape) for name, t in ex.DigitsResNet(config).state_dict().items()}
    want = expected_shapes(config)
    for g in range(1, len(config.out_features_per_group)):
        first = got.get(f"groups.{g}.blocks.0.left.0.weight")
        chained = config.out_features_per_group[g - 1]
        if first is not None and len(first) == 4 and first[1] == config.stem_features != chained:
            raise mistake(
                "every group takes the stem's channel count as its input; group g's input is group g - 1's output "
                "(in_features = [stem_features, *out_features_per_group[:-1]])",
                f"groups.{g}.blocks.0.left.0.weight has shape {first}, expected {want[f'groups.{g}.blocks.0.left.0.weight']}")
    assert sorted(got) == sorted(want), (
        f"state_dict names: missing {sorted(set(want) - set(got))[:5]}, unexpected {sorted(set(got) - set(want))[:5]}"
    )
    for name, shape in want.items():
        assert got[name] == shape, f"{name}: expected shape {shape}, got {got[name]}"


def test_default_model_has_77429_parameters():
    count = sum(p.numel() for p in ex.DigitsResNet().parameters())
    assert count == 77429, f"expected 77429 parameters with the default config, got {count}"


@pytest.mark.parametrize("training", [True, False], ids=["train_mode", "eval_mode"])
@pytest.mark.parametrize(
    "config, image_shape", [(ResNetConfig(), (4, 1, 8, 8)), (CUSTOM, (3, 2, 9, 7))], ids=["default_config", "custom_config"]
)
def test_forward_matches_functional_oracle(config, image_shape, training):
    model = make_model(config, seed=len(config.n_blocks_per_group)).train(training)
    x = torch.randn(image_shape, generator=torch.Generator().manual_seed(5))
    expected = digits_resnet_oracle(x, model.state_dict(), config, training)
    out = model(x)
    assert out.shape == expected.shape, f"logits: expected shape {tuple(expected.shape)}, got {tuple(out.shape)}"
    assert_close(out, expected, atol=1e-4, name=f"DigitsResNet logits in {'train' if training else 'eval'} mode")


def test_stem_and_head_are_the_ones_asked_for():
    model = ex.DigitsResNet(ResNetConfig())
    stem = list(model.stem)
    if stem and isinstance(stem[0], torch.nn.Conv2d) and stem[0].bias is not None:
        raise mistake("the stem convolution has a bias; a conv followed by batch norm needs none (bias=False)")
    if not any(isinstance(m, torch.nn.ReLU) for m in stem):
        raise mistake("the stem has no ReLU after its batch norm")
    if any(isinstance(m, torch.nn.AdaptiveMaxPool2d) for m in model.head):
        raise mistake("the head pools with a max; it averages over the positions (AdaptiveAvgPool2d)")


def test_gradient_reaches_every_parameter():
    model = ex.DigitsResNet(ResNetConfig()).train()
    model(torch.randn(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))).square().sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches {missing[:4]}: every layer you create must be on the path from input to output"
