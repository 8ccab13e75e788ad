import math

import pytest
import torch
import torch.nn.functional as F

from arena_cli.course import grokking as CG
from arena_cli.testing import assert_close, load_exercise
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


def directions(frequencies, p, *, normalise=True, axis_a_only=False):
    a = torch.arange(p).repeat_interleave(p).double()
    b = torch.arange(p).repeat(p).double()
    cols = []
    for k in frequencies:
        angle = (2 * math.pi * k / p) * (a if axis_a_only else a + b)
        for wave in (torch.cos(angle), torch.sin(angle)):
            cols.append(wave / wave.norm() if normalise else wave)
    return torch.stack(cols, 1).float()


def output_axis_removed(logits, frequencies, basis):
    """The wrong matrix: the frequencies taken out of the logits along the answer axis c."""
    rows = [r for k in frequencies for r in (2 * k - 1, 2 * k)]
    f = basis[rows]  # [2K, p]
    return logits - (logits @ f.T) @ f


@pytest.fixture(scope="module")
def data():
    tokens, labels = G.all_pairs()
    train_idx, _ = G.train_indices()
    return labels, train_idx


@pytest.mark.parametrize("frequencies,p", [([1], 5), ([2, 5], 13), ([1, 7, 19, 22, 38], 113)], ids=["p5", "p13", "p113"])
def test_trig_directions(frequencies, p):
    got = ex.trig_directions(frequencies, p)
    want = directions(frequencies, p)
    assert_close(got, want, atol=1e-5, name=f"trig_directions({frequencies}, {p}) [p*p, 2K]",
                 mistakes={"the columns are not normalised: divide each by its norm": lambda: directions(frequencies, p, normalise=False),
                           "those are waves of a alone: the directions are cos and sin of w(a + b)": lambda: directions(frequencies, p, axis_a_only=True)})
    assert_close(got.T @ got, torch.eye(2 * len(frequencies)), atol=1e-4, name="D.T @ D (orthonormal columns)")


def test_losses_of_the_final_model(final_forward, keys, data, basis):
    labels, train_idx = data
    logits = final_forward[0]
    d = directions(keys, P)
    proj = d @ (d.T @ logits)
    want_r = float(F.cross_entropy(proj, labels))
    want_e = float(F.cross_entropy((logits - proj)[train_idx], labels[train_idx]))
    got_r = ex.restricted_loss(logits, labels, keys)
    assert_close(got_r, want_r, atol=1e-4, rtol=1e-3, name="restricted loss of the final model (all inputs)",
                 mistakes={"the restricted loss is on all inputs, not on the training inputs only":
                               lambda: float(F.cross_entropy(proj[train_idx], labels[train_idx])),
                           "that is the loss of the logits without the key part (the excluded logits)":
                               lambda: float(F.cross_entropy(logits - proj, labels)),
                           "the frequencies were kept along the answer axis c (logits @ F.T @ F): project along the input axis, onto cos/sin of w(a + b)":
                               lambda: float(F.cross_entropy(logits - output_axis_removed(logits, keys, basis), labels))})
    got_e = ex.excluded_loss(logits, labels, keys, train_idx)
    assert_close(got_e, want_e, atol=1e-3, rtol=1e-3, name="excluded loss of the final model (training inputs)",
                 mistakes={"the frequencies were removed from the wrong matrix: along the answer axis c (logits - logits @ F.T @ F), not along the inputs (a, b)":
                               lambda: float(F.cross_entropy(output_axis_removed(logits, keys, basis)[train_idx], labels[train_idx])),
                           "the excluded loss is on the training inputs, not on all of them":
                               lambda: float(F.cross_entropy(logits - proj, labels)),
                           "nothing was removed: that is the model's training loss":
                               lambda: float(F.cross_entropy(logits[train_idx], labels[train_idx])),
                           "frequencies count from 1: those are the directions of k - 1":
                               lambda: float(F.cross_entropy((logits - directions([k - 1 for k in keys], P) @ (directions([k - 1 for k in keys], P).T @ logits))[train_idx], labels[train_idx]))})
    assert want_r < 0.1 and want_e > math.log(P), (want_r, want_e)


def test_an_early_snapshot_still_memorises(data, keys):
    """At step 184 the model has memorised its training data and barely uses the key frequencies."""
    labels, train_idx = data
    snapshot = next(s for s in CG.history() if s.step == 184)
    logits, _ = CG.forward_all_pairs(snapshot.weights)
    d = directions(keys, P)
    proj = d @ (d.T @ logits)
    assert_close(ex.excluded_loss(logits, labels, keys, train_idx), float(F.cross_entropy((logits - proj)[train_idx], labels[train_idx])),
                 atol=1e-3, rtol=1e-3, name="excluded loss at step 184")
    assert_close(ex.restricted_loss(logits, labels, keys), float(F.cross_entropy(proj, labels)), atol=1e-3, rtol=1e-3, name="restricted loss at step 184")
