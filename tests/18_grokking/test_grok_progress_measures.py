import math

import pytest
import torch

from arena_cli.course import grokking as CG
from arena_cli.testing import assert_close, load_exercise, show_lines
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P
STEPS = (184, 1842, 3500)  # three snapshots (a forward over all pairs each); the table holds all 20


def reference_norm(weights):
    return math.sqrt(sum(float(w.double().pow(2).sum()) for w in weights.values()))


def test_weight_norm():
    assert_close(ex.weight_norm({"x": torch.tensor([3.0, 0.0]), "y": torch.tensor([[4.0]])}), 5.0, atol=1e-6, name="worked example",
                 mistakes={"that is the sum of the tensors' norms: take one square root of the sum of all squares": 7.0,
                           "that is the squared norm: take the square root": 25.0})
    weights = CG.history()[-1].weights
    want = reference_norm(weights)
    assert_close(ex.weight_norm(weights), want, atol=1e-3, rtol=1e-5, name="weight norm of the final snapshot",
                 mistakes={"that is the sum of the tensors' norms: take one square root of the sum of all squares": sum(float(w.norm()) for w in weights.values()),
                           "that is the squared norm: take the square root": want**2,
                           "that is the largest tensor's norm: all parameters together": max(float(w.norm()) for w in weights.values())})


@pytest.fixture(scope="module")
def measured(keys):
    train_idx, _ = G.train_indices()
    snapshots = [s for s in CG.history() if s.step in STEPS]
    return snapshots, ex.measures_along_training(snapshots, keys, train_idx)


def test_measures_of_three_snapshots(measured, keys):
    snapshots, got = measured
    assert set(got) >= {"step", "train_loss", "test_loss", "restricted_loss", "excluded_loss", "weight_norm"}, f"keys: {sorted(got)}"
    assert_close(got["step"], torch.tensor(STEPS, dtype=torch.float32), name="steps")
    for i, snapshot in enumerate(snapshots):
        # the losses measured during training (zoo.grokking.evaluate) are stored with the snapshot
        assert_close(got["train_loss"][i], snapshot.metrics["train_loss"], atol=1e-5, rtol=1e-4, name=f"train loss at step {snapshot.step}")
        assert_close(got["test_loss"][i], snapshot.metrics["test_loss"], atol=1e-5, rtol=1e-4, name=f"test loss at step {snapshot.step}",
                     mistakes={"that is the training loss": snapshot.metrics["train_loss"]})
        restricted, excluded = CG.RESTRICTED_EXCLUDED[snapshot.step]
        swapped = "the restricted and excluded losses are swapped: restricted keeps only the key frequencies, excluded removes them"
        assert_close(got["restricted_loss"][i], restricted, atol=1e-3, rtol=1e-3, name=f"restricted loss at step {snapshot.step}",
                     mistakes={swapped: excluded})
        assert_close(got["excluded_loss"][i], excluded, atol=1e-3, rtol=1e-3, name=f"excluded loss at step {snapshot.step}",
                     mistakes={swapped: restricted})
        assert_close(got["weight_norm"][i], reference_norm(snapshot.weights), atol=1e-3, rtol=1e-5, name=f"weight norm at step {snapshot.step}")


def test_curves_of_all_snapshots(measured):
    history = CG.history()
    steps = [s.step for s in history]
    table = CG.RESTRICTED_EXCLUDED
    norms = [ex.weight_norm(s.weights) for s in history]
    show_lines({"train loss": [s.metrics["train_loss"] + 1e-6 for s in history],
                "test loss": [s.metrics["test_loss"] + 1e-6 for s in history],
                "restricted loss": [table[s][0] for s in steps],
                "excluded loss": [table[s][1] for s in steps]},
               x=steps, title="progress measures along training (20 snapshots)", x_label="step", y_label="loss", log_y=True)
    show_lines({"weight norm": norms}, x=steps, title="weight norm along training", x_label="step", y_label="L2 norm")
    # restricted loss falls while the test loss is still high: the circuit forms before it shows
    assert table[1105][0] < table[184][0] and history[steps.index(1105)].metrics["test_loss"] > 10
