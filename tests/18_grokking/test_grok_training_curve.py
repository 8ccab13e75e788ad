import math

import torch

from arena_cli.testing import load_exercise, mistake, show_lines
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)


def test_first_step_worked_example():
    curve = {"step": torch.tensor([0, 10, 20]), "train_acc": torch.tensor([0.2, 0.995, 1.0])}
    got = ex.first_step(curve, "train_acc", 0.99)
    if got == 1:
        raise mistake("that is the index: return the step, curve['step'][index]")
    assert got == 10, f"first_step(…, 0.99) = {got}, expected 10"
    assert ex.first_step(curve, "train_acc", 2.0) == -1, "a threshold that is never reached gives -1"
    if ex.first_step(curve, "train_acc", 1.0) == -1:
        raise mistake("first_step compared with > : a value equal to the threshold reaches it (>=)",
                      "accuracy 1.0 reaches threshold 1.0 at step 20; you said it is never reached (-1)")
    assert ex.first_step(curve, "train_acc", 1.0) == 20, "first_step uses >=: accuracy 1.0 reaches threshold 1.0"


def test_first_step_on_uneven_steps():
    curve = {"step": torch.tensor([0, 5, 50, 500]), "test_acc": torch.tensor([0.0, 0.3, 0.3, 0.9])}
    assert ex.first_step(curve, "test_acc", 0.3) == 5
    assert ex.first_step(curve, "test_acc", 0.5) == 500


def test_summary_of_the_shipped_curve():
    curve = G.training_curve()
    steps = curve["step"]
    want_mem = int(steps[(curve["train_acc"] >= 0.99).nonzero()[0, 0]])
    want_grok = int(steps[(curve["test_acc"] >= 0.99).nonzero()[0, 0]])
    want_peak = int(steps[curve["test_loss"].argmax()])
    want = {"memorised": want_mem, "grokked": want_grok, "peak_test_loss_step": want_peak, "delay": want_grok - want_mem}
    got = ex.summarise(curve)
    if got != want:
        if got.get("peak_test_loss_step") == int(curve["test_loss"].argmax()):
            raise mistake("peak_test_loss_step is a step: map the argmax index through curve['step']", f"got {got}, expected {want}")
        if got.get("peak_test_loss_step") == int(steps[curve["train_loss"].argmax()]):
            raise mistake("that is the peak of the training loss", f"got {got}, expected {want}")
        raise AssertionError(f"summarise: got {got}, expected {want}")
    assert want["delay"] > 10 * want["memorised"], want
    assert float(curve["test_loss"].max()) > math.log(G.P)
    show_lines({"train loss": (curve["train_loss"] + 1e-7).tolist(), "test loss": (curve["test_loss"] + 1e-7).tolist()},
               x=steps.tolist(), log_y=True, title="grokking: training and test loss (logged every 10 steps)", x_label="step", y_label="loss")
    show_lines({"train accuracy": curve["train_acc"].tolist(), "test accuracy": curve["test_acc"].tolist()},
               x=steps.tolist(), title=f"accuracy: memorised at step {want_mem}, grokked at step {want_grok}", x_label="step", y_label="accuracy")
