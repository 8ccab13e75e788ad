import math

import pytest
import torch
from torch import nn

import copy

from arena_cli.course.cnn import GLOBAL_SEED, batch_order_mistakes, epoch_batches, load_digits_tensors
from arena_cli.testing import assert_close, load_exercise

ex = load_exercise(__file__)

CONFIG = ex.TrainConfig(epochs=5, batch_size=32, lr=1e-2, val_fraction=0.2, seed=0)


# ---- the split ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "n_items, val_fraction, n_val",
    [(10, 0.3, 3), (100, 0.2, 20), (7, 0.5, 3), (5, 0.0, 0)],
    ids=["10_items_30_percent", "100_items_20_percent", "rounds_down", "no_validation"],
)
def test_split_sizes(n_items, val_fraction, n_val):
    train_idx, val_idx = ex.train_val_split(n_items, val_fraction, seed=0)
    assert len(val_idx) == n_val, f"expected int({n_items} * {val_fraction}) = {n_val} validation indices, got {len(val_idx)}"
    assert len(train_idx) == n_items - n_val, f"expected {n_items - n_val} training indices, got {len(train_idx)}"


def test_split_is_a_partition_of_all_indices():
    train_idx, val_idx = ex.train_val_split(50, 0.3, seed=3)
    assert isinstance(train_idx, torch.Tensor) and train_idx.dtype == torch.int64, "return int64 index tensors"
    assert not set(train_idx.tolist()) & set(val_idx.tolist()), "an index is both in training and in validation"
    assert_close(torch.cat([train_idx, val_idx]).sort().values, torch.arange(50), name="all indices of both sets, sorted")


def test_split_is_shuffled_and_seeded():
    train_a, val_a = ex.train_val_split(100, 0.2, seed=1)
    train_b, val_b = ex.train_val_split(100, 0.2, seed=1)
    _, val_c = ex.train_val_split(100, 0.2, seed=2)
    assert torch.equal(val_a, val_b) and torch.equal(train_a, train_b), "the same seed must give the same split"
    assert not torch.equal(val_a, val_c), "different seeds gave the same split: seed a torch.Generator with `seed`"
    chosen = sorted(val_a.tolist())
    assert chosen not in (list(range(20)), list(range(80, 100))), "the validation set is not shuffled"


# ---- evaluate -----------------------------------------------------------------------------


class Spy(nn.Module):
    """Records, for every forward call, train/eval mode, grad mode and the input."""

    def __init__(self, inner: nn.Module):
        super().__init__()
        self.inner = inner
        self.calls: list[tuple[bool, bool, torch.Tensor]] = []

    def forward(self, x):
        self.calls.append((self.training, torch.is_grad_enabled(), x.detach().clone()))
        return self.inner(x)


def test_evaluate_matches_direct_accuracy():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 4))
    images, labels = torch.randn(300, 1, 4, 4), torch.randint(0, 4, (300,))
    with torch.no_grad():
        expected = (model(images).argmax(-1) == labels).double().mean().item()
    got = ex.evaluate(model, images, labels, batch_size=64)
    assert isinstance(got, float), f"evaluate must return a Python float, got {type(got).__name__}"
    assert_close(got, expected, atol=1e-12, name="accuracy of a random linear model on 300 random images")


def test_evaluate_counts_a_short_last_batch_once_per_image():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 4))
    images = torch.randn(100, 1, 4, 4)
    with torch.no_grad():
        predictions = model(images).argmax(-1)
    # right on the first 64 images (a full batch), wrong on the last 36: 64 %, not (100 % + 0 %) / 2
    labels = torch.cat([predictions[:64], (predictions[64:] + 1) % 4])
    assert_close(ex.evaluate(model, images, labels, batch_size=64), 0.64, atol=1e-12, name="accuracy with batches of 64 and 36",
                 mistakes={"the batches' accuracies were averaged, so the short last batch counts as much as a full one; "
                           "count the correct predictions and divide by len(images)": 0.5})


def test_evaluate_runs_in_eval_mode_without_gradients():
    spy = Spy(nn.Sequential(nn.Flatten(), nn.Linear(16, 4))).train()
    ex.evaluate(spy, torch.randn(10, 1, 4, 4), torch.zeros(10, dtype=torch.int64), batch_size=4)
    assert spy.calls, "evaluate never called the model"
    assert not any(training for training, _, _ in spy.calls), "evaluate must call model.eval() before the forward passes"
    assert not any(grad for _, grad, _ in spy.calls), "evaluate must run under torch.inference_mode() or torch.no_grad()"


# ---- train --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained():
    """One training run of a small MLP on the digits, watched by a spy and gradient hooks."""
    images, labels = load_digits_tensors("train")
    torch.manual_seed(0)
    inner = nn.Sequential(nn.Flatten(), nn.Linear(64, 100), nn.ReLU(), nn.Linear(100, 10))
    stale_gradient = []  # parameters whose .grad after a backward is not this backward's gradient
    fresh = {}
    for name, parameter in inner.named_parameters():
        parameter.register_hook(lambda grad, name=name: fresh.__setitem__(name, grad.detach().clone()))
        parameter.register_post_accumulate_grad_hook(
            lambda p, name=name: None if torch.equal(p.grad, fresh[name]) else stale_gradient.append(name)
        )
    spy = Spy(inner)
    history = ex.train(spy, images, labels, CONFIG)
    return dict(images=images, labels=labels, model=inner, spy=spy, history=history, stale_gradient=stale_gradient)


def test_training_reaches_high_accuracy(trained):
    history = trained["history"]
    assert history.val_accuracies, "history.val_accuracies is empty"
    assert history.val_accuracies[-1] >= 0.9, (
        f"validation accuracy after {CONFIG.epochs} epochs is {history.val_accuracies[-1]:.3f}; "
        "a working loop reaches more than 0.9"
    )
    test_images, test_labels = load_digits_tensors("test")
    model = trained["model"].eval()
    with torch.no_grad():
        accuracy = (model(test_images).argmax(-1) == test_labels).double().mean().item()
    assert accuracy >= 0.9, f"accuracy on held-out digits is {accuracy:.3f}; a working loop reaches more than 0.9"


def test_history_has_one_loss_per_step_and_one_accuracy_per_epoch(trained):
    n_train = len(trained["images"]) - int(len(trained["images"]) * CONFIG.val_fraction)
    steps = CONFIG.epochs * math.ceil(n_train / CONFIG.batch_size)
    history = trained["history"]
    assert len(history.train_losses) == steps, f"expected {steps} losses (one per batch), got {len(history.train_losses)}"
    assert len(history.val_accuracies) == CONFIG.epochs, f"expected {CONFIG.epochs} validation accuracies, got {len(history.val_accuracies)}"
    assert all(isinstance(loss, float) for loss in history.train_losses), "log loss.item(), a float"


def test_training_loss_falls(trained):
    losses = trained["history"].train_losses
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < 0.25 * first, f"mean loss went from {first:.3f} (first 10 steps) to only {last:.3f} (last 10)"


def test_validation_accuracy_is_measured_on_the_validation_split(trained):
    _, val_idx = ex.train_val_split(len(trained["images"]), CONFIG.val_fraction, CONFIG.seed)
    model = trained["model"].eval()
    with torch.no_grad():
        predictions = model(trained["images"][val_idx]).argmax(-1)
    expected = (predictions == trained["labels"][val_idx]).double().mean().item()
    assert_close(trained["history"].val_accuracies[-1], expected, atol=1e-9, name="the last validation accuracy")


def test_validation_images_are_never_trained_on(trained):
    images = trained["images"]
    _, val_idx = ex.train_val_split(len(images), CONFIG.val_fraction, CONFIG.seed)
    val_keys = {images[i].numpy().tobytes() for i in val_idx.tolist()}
    trained_on = [x for _, grad, x in trained["spy"].calls if grad]
    assert trained_on, "the model was never called with gradients enabled: did train run any step?"
    leaked = sum(row.numpy().tobytes() in val_keys for batch in trained_on for row in batch)
    assert leaked == 0, f"{leaked} validation images went through training steps: train on the training indices only"


def test_training_steps_run_in_train_mode(trained):
    modes = [training for training, grad, _ in trained["spy"].calls if grad]
    assert all(modes), (
        f"{modes.count(False)} training forward passes ran in eval mode: "
        "call model.train() at the start of every epoch (evaluate switches to eval mode)"
    )


def test_gradients_are_cleared_before_each_backward(trained):
    stale = trained["stale_gradient"]
    assert not stale, (
        f"{len(stale)} times a parameter's .grad held more than the current batch's gradient "
        f"(first: {stale[0] if stale else ''}): call optimiser.zero_grad() every step"
    )


# every setting away from its default; 1438 images, 359 for validation, 1079 in batches of 40
# leave a partial batch of 39 at the end of each epoch
TWIN = ex.TrainConfig(epochs=2, batch_size=40, lr=0.02, val_fraction=0.25, seed=5)


def test_training_follows_a_reference_twin_step_by_step():
    images, labels = load_digits_tensors("train")
    torch.manual_seed(2)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    start = copy.deepcopy(model)
    order = torch.randperm(len(images), generator=torch.Generator().manual_seed(TWIN.seed))
    n_val = int(len(images) * TWIN.val_fraction)
    train_idx, val_idx = order[n_val:], order[:n_val]

    def twin(batches):
        """The reference loop: Adam on a copy of the starting model, the given batch order."""
        net = copy.deepcopy(start)
        optimiser = torch.optim.Adam(net.parameters(), lr=TWIN.lr)
        losses = []
        for batch in batches:
            rows = train_idx[batch]
            loss = nn.functional.cross_entropy(net(images[rows]), labels[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            losses.append(loss.item())
        return torch.tensor(losses), net

    args = (len(train_idx), TWIN.batch_size, TWIN.epochs, TWIN.seed)
    want, net = twin(epoch_batches(*args))
    torch.manual_seed(GLOBAL_SEED)
    history = ex.train(model, images, labels, TWIN)
    mistakes = {sentence: (lambda f=f: f()[0]) for sentence, f in batch_order_mistakes(twin, *args).items()}
    assert_close(torch.tensor(history.train_losses), want, atol=1e-5, rtol=1e-4,
                 name=f"loss of every step with {TWIN}", mistakes=mistakes)
    for (name, got), wanted in zip(model.named_parameters(), net.parameters()):
        assert_close(got, wanted, atol=1e-5, rtol=1e-4, name=f"parameter {name} after training")
    with torch.no_grad():
        accuracy = (net.eval()(images[val_idx]).argmax(-1) == labels[val_idx]).double().mean().item()
    assert_close(history.val_accuracies[-1], accuracy, atol=1e-9, name="validation accuracy after the last epoch")
