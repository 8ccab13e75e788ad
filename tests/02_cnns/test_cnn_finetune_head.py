import math

import pytest
import torch
from torch import nn

from arena_cli.course.cnn import (
    FINETUNE_CLASSES,
    GLOBAL_SEED,
    batch_order_mistakes,
    epoch_batches,
    load_digits_tensors,
    load_pretrained_resnet,
)
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CONFIG = ex.FinetuneConfig(epochs=8, batch_size=32, lr=5e-2, seed=0)
N_CLASSES = len(FINETUNE_CLASSES)


def body_state(model):
    return {name: t.detach().clone() for name, t in model.state_dict().items() if not name.startswith("fc.")}


def test_freeze_body_freezes_every_parameter():
    model = load_pretrained_resnet()
    ex.freeze_body(model)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert not trainable, f"still trainable after freeze_body: {trainable[:5]}"


def test_replace_head_adds_a_new_trainable_linear_layer():
    model = load_pretrained_resnet()
    old_head = model.fc
    ex.freeze_body(model)
    torch.manual_seed(0)
    ex.replace_head(model, 3)
    assert isinstance(model.fc, nn.Linear) and model.fc is not old_head, "model.fc must be a new nn.Linear"
    assert (model.fc.in_features, model.fc.out_features) == (64, 3), (
        f"new head: expected Linear(64, 3), got Linear({model.fc.in_features}, {model.fc.out_features})"
    )
    trainable = sorted(name for name, p in model.named_parameters() if p.requires_grad)
    assert trainable == ["fc.bias", "fc.weight"], f"only the new head should be trainable, got {trainable[:5]}"


@pytest.fixture(scope="module")
def finetuned():
    """The three steps on the digits 5-9, starting from a model left in training mode."""
    images, labels = load_digits_tensors("train", FINETUNE_CLASSES)
    model = load_pretrained_resnet().train()  # train_head must switch to eval mode itself
    before = body_state(model)
    ex.freeze_body(model)
    torch.manual_seed(0)
    ex.replace_head(model, N_CLASSES)
    head_before = {name: t.detach().clone() for name, t in model.fc.state_dict().items()}
    losses = ex.train_head(model, images, labels, CONFIG)
    return dict(model=model, before=before, head_before=head_before, losses=losses, n_images=len(images))


def test_finetuned_model_recognises_the_new_digits(finetuned):
    images, labels = load_digits_tensors("test", FINETUNE_CLASSES)
    model = finetuned["model"].eval()
    with torch.no_grad():
        accuracy = (model(images).argmax(-1) == labels).double().mean().item()
    assert accuracy >= 0.85, (
        f"held-out accuracy on the digits 5-9 is {accuracy:.3f}; a new head on the frozen body reaches more than 0.85"
    )


def test_body_parameters_do_not_change(finetuned):
    after = dict(finetuned["model"].named_parameters())
    for name, value in finetuned["before"].items():
        if name in after:
            assert_close(after[name], value, atol=0, rtol=0, name=f"body parameter {name} after fine-tuning (it must stay frozen)")


def test_body_batch_norm_statistics_do_not_change(finetuned):
    state = finetuned["model"].state_dict()
    for name, value in finetuned["before"].items():
        if "running" in name or "num_batches_tracked" in name:
            assert_close(
                state[name], value, atol=0, rtol=0,
                name=f"{name} after fine-tuning (keep the model in eval mode: in training mode batch norm updates it)",
            )


def test_the_new_head_was_trained(finetuned):
    head = finetuned["model"].fc.state_dict()
    for name, value in finetuned["head_before"].items():
        assert not torch.equal(head[name], value), f"fc.{name} did not change: the head was not trained"


def test_one_loss_per_step_and_falling(finetuned):
    losses = finetuned["losses"]
    steps = CONFIG.epochs * math.ceil(finetuned["n_images"] / CONFIG.batch_size)
    assert len(losses) == steps, f"expected {steps} losses (one per batch), got {len(losses)}"
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < 0.4 * first, f"mean loss went from {first:.3f} (first 5 steps) to only {last:.3f} (last 5)"


# a short run with every setting away from its default; 709 images in batches of 50 leave a
# partial batch of 9 at the end of each epoch
TWIN = ex.FinetuneConfig(epochs=2, batch_size=50, lr=0.02, seed=3)


def test_training_follows_a_reference_twin_step_by_step():
    images, labels = load_digits_tensors("train", FINETUNE_CLASSES)
    model = load_pretrained_resnet()
    ex.freeze_body(model)
    torch.manual_seed(1)
    ex.replace_head(model, N_CLASSES)
    head = {name: t.detach().clone() for name, t in model.fc.state_dict().items()}
    with torch.no_grad():
        features = model.eval().features(images)  # the frozen body's output never changes

    def twin(batches, lr=TWIN.lr):
        """The reference loop on the body's features: Adam on a copy of the new head."""
        fc = nn.Linear(model.fc.in_features, N_CLASSES)
        fc.load_state_dict(head)
        optimiser = torch.optim.Adam(fc.parameters(), lr=lr)
        losses = []
        for batch in batches:
            loss = nn.functional.cross_entropy(fc(features[batch]), labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        return torch.tensor(losses), fc

    args = (len(images), TWIN.batch_size, TWIN.epochs, TWIN.seed)
    want, fc = twin(epoch_batches(*args))
    torch.manual_seed(GLOBAL_SEED)
    got = torch.tensor(ex.train_head(model, images, labels, TWIN))
    mistakes = {sentence: (lambda f=f: f()[0]) for sentence, f in batch_order_mistakes(twin, *args).items()}
    mistakes["config.lr was not used: pass lr=config.lr to Adam"] = lambda: twin(epoch_batches(*args), lr=FinetuneDefaults.lr)[0]
    assert_close(got, want, atol=1e-4, rtol=1e-4, name=f"loss of every step with {TWIN}", mistakes=mistakes)
    for name, value in fc.state_dict().items():
        assert_close(model.fc.state_dict()[name], value, atol=1e-4, rtol=1e-4, name=f"fc.{name} after training")


FinetuneDefaults = ex.FinetuneConfig()


def test_the_docstrings_parameter_counts_are_the_models():
    import re

    match = re.search(r"head's (\d[\d ]*) numbers instead of the body's\s+(\d[\d ]*) needs", ex.__doc__ or "")
    assert match, "the module docstring should state the head's and the body's parameter counts"
    head_count, body_count = (int(group.replace(" ", "")) for group in match.groups())
    model = load_pretrained_resnet()
    ex.replace_head(model, N_CLASSES)
    body = sum(p.numel() for name, p in model.named_parameters() if not name.startswith("fc."))
    head = sum(p.numel() for p in model.fc.parameters())
    assert (head_count, body_count) == (head, body), f"docstring says head {head_count}, body {body_count}; the model has {head}, {body}"
