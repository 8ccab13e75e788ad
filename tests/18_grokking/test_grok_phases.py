import math

import pytest
import torch

from arena_cli.course import grokking as CG
from arena_cli.testing import assert_close, load_exercise, mistake, show_lines

ex = load_exercise(__file__)


@pytest.fixture(scope="module")
def measures():
    """The 20 snapshots' measures: stored metrics, the restricted/excluded table, weight norms."""
    history = CG.history()
    steps = [s.step for s in history]
    return {
        "step": torch.tensor(steps, dtype=torch.float32),
        "train_loss": torch.tensor([s.metrics["train_loss"] for s in history]),
        "test_loss": torch.tensor([s.metrics["test_loss"] for s in history]),
        "train_acc": torch.tensor([s.metrics["train_acc"] for s in history]),
        "test_acc": torch.tensor([s.metrics["test_acc"] for s in history]),
        "restricted_loss": torch.tensor([CG.RESTRICTED_EXCLUDED[s][0] for s in steps]),
        "excluded_loss": torch.tensor([CG.RESTRICTED_EXCLUDED[s][1] for s in steps]),
        "weight_norm": torch.tensor([CG.weight_norm(s.weights) for s in history]),
    }


def reference(m):
    steps = m["step"].tolist()
    memorised = next(s for s, tr, te in zip(steps, m["train_acc"], m["test_acc"]) if tr >= 0.99 and te < 0.5)
    cleanup = next(s for s, e in zip(steps, m["excluded_loss"]) if s >= memorised and e > math.log(113))
    grokked = next(s for s, te in zip(steps, m["test_acc"]) if te >= 0.99)
    return {"memorised": int(memorised), "cleanup": int(cleanup), "grokked": int(grokked)}


def test_worked_example():
    m = {"step": torch.tensor([0.0, 10, 20, 30, 40]), "train_acc": torch.tensor([0.1, 1, 1, 1, 1]),
         "test_acc": torch.tensor([0, 0, 0.2, 0.6, 1]), "excluded_loss": torch.tensor([4.0, 0.1, 2, 9, 9]),
         "weight_norm": torch.tensor([1.0, 5, 6, 4, 2])}
    got = ex.phase_boundaries(m)
    assert got == {"memorised": 10, "cleanup": 30, "grokked": 40}, f"worked example: got {got}"
    assert_close(ex.weight_norm_drop(m, got), 2.0, atol=1e-6, name="weight norm drop of the worked example",
                 mistakes={"the sign: the norm at the start of the clean-up minus the norm at grokking": -2.0})
    # an excluded loss above ln p *before* memorisation (at initialisation it is about ln p) must not count
    m["excluded_loss"] = torch.tensor([5.0, 0.1, 2, 9, 9])
    got = ex.phase_boundaries(m)
    if got.get("cleanup") == 0:
        raise mistake("the clean-up is the first step *after memorisation* where the excluded loss exceeds ln p")
    assert got == {"memorised": 10, "cleanup": 30, "grokked": 40}, f"worked example with excluded loss 5 at step 0: got {got}"


def test_boundaries_of_the_zoo_model(measures):
    want = reference(measures)
    got = ex.phase_boundaries(measures)
    steps = measures["step"].tolist()
    if got != want:
        late = next(int(s) for s, te in zip(steps, measures["test_acc"]) if te >= 0.5)
        if got.get("grokked") == late:
            raise mistake("grokked means test_acc >= 0.99, not 0.5", f"got {got}, expected {want}")
        raise AssertionError(f"phase_boundaries: got {got}, expected {want}")
    assert want == {"memorised": 184, "cleanup": 2026, "grokked": 2579}, want
    drop = ex.weight_norm_drop(measures, got)
    norms = measures["weight_norm"]
    assert_close(drop, float(norms[steps.index(2026)] - norms[steps.index(2579)]), atol=1e-4, name="weight norm drop over the clean-up")
    assert drop > 5, f"the clean-up should shrink the weights clearly (drop {drop:.1f})"
    series = {k: (measures[k] + 1e-6).tolist() for k in ("train_loss", "test_loss", "restricted_loss", "excluded_loss")}
    show_lines(series, x=steps, log_y=True, x_label="step", y_label="loss",
               title=f"phases: memorisation < {want['memorised']} <= circuit formation < {want['cleanup']} <= clean-up < {want['grokked']} <= grokked")


def test_phase_of(measures):
    b = {"memorised": 184, "cleanup": 2026, "grokked": 2579}
    cases = {0: "memorisation", 183: "memorisation", 184: "circuit formation", 1105: "circuit formation", 2026: "clean-up",
             2395: "clean-up", 2579: "grokked", 3500: "grokked"}
    order = ["memorisation", "circuit formation", "clean-up", "grokked"]
    for step, want in cases.items():
        got = ex.phase_of(step, b)
        if step in b.values() and got != want and order.index(want) > 0 and got == order[order.index(want) - 1]:
            raise mistake("a phase starts after its boundary step: at the boundary step itself the new phase has begun (step >= boundary)",
                          f"phase_of({step}) = {got!r}, expected {want!r}")
        assert got == want, f"phase_of({step}) = {got!r}, expected {want!r} (a phase starts at its boundary step)"
