import pytest
import torch

from arena_cli.course.cnn import (
    PRETRAIN_CLASSES,
    DigitsResNet,
    load_digits_tensors,
    load_pretrained_resnet,
    load_pretrained_state_dict,
)
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

# the translation table of the exercise's docstring, one example per row (and a second block)
TABLE = {
    "conv1.weight": "stem.0.weight",
    "bn1.running_mean": "stem.1.running_mean",
    "layer1.0.conv1.weight": "groups.0.blocks.0.left.0.weight",
    "layer1.0.bn1.bias": "groups.0.blocks.0.left.1.bias",
    "layer3.0.conv2.weight": "groups.2.blocks.0.left.3.weight",
    "layer2.0.bn2.num_batches_tracked": "groups.1.blocks.0.left.4.num_batches_tracked",
    "layer2.0.downsample.0.weight": "groups.1.blocks.0.right.0.weight",
    "layer3.0.downsample.1.running_var": "groups.2.blocks.0.right.1.running_var",
    "layer4.2.bn1.weight": "groups.3.blocks.2.left.1.weight",
    "layer12.10.conv1.weight": "groups.11.blocks.10.left.0.weight",  # multi-digit group and block
    "layer10.0.downsample.1.bias": "groups.9.blocks.0.right.1.bias",
    "fc.bias": "head.2.bias",
}


@pytest.mark.parametrize("name, expected", TABLE.items(), ids=TABLE.keys())
def test_convert_name_follows_the_table(name, expected):
    got = ex.convert_name(name)
    if got != expected and isinstance(got, str):
        parts, want_parts = got.split("."), expected.split(".")
        if len(parts) == len(want_parts) and parts[0] == want_parts[0] == "groups":
            if parts[1] == str(int(want_parts[1]) + 1) and parts[2:] == want_parts[2:]:
                raise mistake("layerG was mapped to groups.G; the checkpoint counts from layer1, the model from groups.0",
                              f"convert_name({name!r}) gave {got!r}, expected {expected!r}")
            if parts[2:] == want_parts[2:] and name.startswith("layer1") and len(name.split(".")[0]) > 6:
                raise mistake("only the last digit of the layer number was read (layer12 -> 2); read the whole number",
                              f"convert_name({name!r}) gave {got!r}, expected {expected!r}")
            if parts[:5] == want_parts[:5] and {parts[5], want_parts[5]} == {"3", "4"}:
                raise mistake("conv2 and bn2 went to each other's slots: conv2 is left.3, bn2 is left.4",
                              f"convert_name({name!r}) gave {got!r}, expected {expected!r}")
    assert got == expected, f"convert_name({name!r}): expected {expected!r}, got {got!r}"


@pytest.mark.parametrize("name", ["layer1.0.conv3.weight", "head.2.weight", "classifier.weight", "layer1.0.relu"])
def test_unknown_names_raise_key_error(name):
    with pytest.raises(KeyError):
        ex.convert_name(name)


def test_every_checkpoint_entry_maps_to_a_different_model_entry():
    checkpoint = load_pretrained_state_dict()
    converted = [ex.convert_name(name) for name in checkpoint]
    model_names = set(DigitsResNet().state_dict())
    assert len(set(converted)) == len(converted), "two checkpoint entries were given the same name"
    assert set(converted) == model_names, (
        f"names that match no DigitsResNet entry: {sorted(set(converted) - model_names)[:5]}; "
        f"DigitsResNet entries left without a value: {sorted(model_names - set(converted))[:5]}"
    )


@pytest.fixture(scope="module")
def loaded():
    torch.manual_seed(0)
    model = DigitsResNet()
    result = ex.load_pretrained(model, load_pretrained_state_dict())
    assert result is model, "load_pretrained must return the model it loaded the weights into"
    return model.eval()


def test_loaded_model_reproduces_the_pretrained_network(loaded):
    images, _ = load_digits_tensors("test", PRETRAIN_CLASSES)
    with torch.no_grad():
        expected = load_pretrained_resnet()(images)
        got = loaded(images)
    assert_close(got, expected, atol=1e-4, name="logits of the loaded DigitsResNet vs the checkpoint's own network (eval mode)")


def test_loaded_model_recognises_held_out_digits(loaded):
    images, labels = load_digits_tensors("test", PRETRAIN_CLASSES)
    with torch.no_grad():
        accuracy = (loaded(images).argmax(-1) == labels).double().mean().item()
    assert accuracy >= 0.97, f"held-out accuracy on the digits 0-4 is {accuracy:.3f}; the checkpoint reaches more than 0.97"


def test_a_missing_entry_is_an_error():
    ex.load_pretrained(DigitsResNet(), load_pretrained_state_dict())  # the complete checkpoint loads
    checkpoint = load_pretrained_state_dict()
    del checkpoint["layer2.0.bn1.running_var"]
    model = DigitsResNet()
    before = model.state_dict()["groups.1.blocks.0.left.1.running_var"].clone()
    try:
        ex.load_pretrained(model, checkpoint)
    except (RuntimeError, KeyError):
        return
    if torch.equal(model.state_dict()["groups.1.blocks.0.left.1.running_var"], before):
        raise mistake(
            "the state dict was loaded without strict=True, so a missing entry silently kept its random "
            "value; load with model.load_state_dict(renamed, strict=True)",
            "a checkpoint without layer2.0.bn1.running_var loaded without an error; "
            "groups.1.blocks.0.left.1.running_var kept its initial value")
    raise AssertionError("load_pretrained accepted a checkpoint without layer2.0.bn1.running_var; "
                         "a missing entry must be an error (RuntimeError or KeyError)")


def test_an_unknown_entry_is_an_error():
    ex.load_pretrained(DigitsResNet(), load_pretrained_state_dict())  # the complete checkpoint loads
    checkpoint = load_pretrained_state_dict()
    checkpoint["layer1.0.extra.weight"] = torch.zeros(1)
    with pytest.raises((RuntimeError, KeyError)):
        ex.load_pretrained(DigitsResNet(), checkpoint)
