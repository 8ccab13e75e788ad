import math

import pytest
import torch

from arena_cli.testing import assert_close, load_exercise, show_bars
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


def waves(k, p, sign=-1):
    x = torch.arange(p, dtype=torch.float64)
    angle = (2 * math.pi * k / p) * (x[:, None, None] + x[None, :, None] + sign * x[None, None, :])
    return torch.cos(angle), torch.sin(angle)


def share(grid, frequencies, *, centre=True, sign=-1, sin=True):
    grid = grid.double()
    if centre:
        grid = grid - grid.mean(-1, keepdim=True)
    explained = 0.0
    for k in frequencies:
        for i, wave in enumerate(waves(k, grid.shape[0], sign)):
            if i == 1 and not sin:
                continue
            explained += float((grid * wave).sum()) ** 2 / float(wave.pow(2).sum())
    return explained / float(grid.pow(2).sum())


@pytest.mark.parametrize("k,p", [(3, 7), (11, 31)], ids=["k3_p7", "k11_p31"])
def test_waves(k, p):
    cos, sin = ex.sum_difference_waves(k, p)
    want_cos, want_sin = waves(k, p)
    plus_cos, _ = waves(k, p, sign=1)
    assert_close(cos, want_cos.float(), atol=1e-4, name=f"cos(w(a+b-c)), k={k}, p={p}",
                 mistakes={"that is a + b + c: the wave peaks where c = a + b, so it is a + b - c": plus_cos.float()})
    assert_close(sin, want_sin.float(), atol=1e-4, name=f"sin(w(a+b-c)), k={k}, p={p}")


def test_worked_example():
    cos, _ = waves(3, 7)
    logits = (2 * cos + 5).reshape(49, 7).float()
    assert_close(ex.explained_share(logits, [3]), 1.0, atol=1e-5, name="share of 2 cos(w_3 (a+b-c)) + 5, frequency 3")
    assert_close(ex.explained_share(logits, [2]), 0.0, atol=1e-5, name="share of 2 cos(w_3 (a+b-c)) + 5, frequency 2")


def test_sin_waves_and_mixed_frequencies():
    cos3, sin3 = waves(3, 11)
    cos2, _ = waves(2, 11)
    grid = 2 * cos3 + 3 * sin3 + 1.5 * cos2 + 4
    logits = grid.reshape(121, 11).float()
    want = share(grid, [3])
    assert_close(ex.explained_share(logits, [3]), want, atol=1e-5,
                 name="share of 2 cos(w_3 s) + 3 sin(w_3 s) + 1.5 cos(w_2 s) + 4 (s = a+b-c, p = 11) explained by frequency 3",
                 mistakes={"only the cos waves: the sin waves of a + b - c explain their part too": lambda: share(grid, [3], sin=False),
                           "frequencies count from 1: those are the waves of k - 1": lambda: share(grid, [2]),
                           "the logits are not centred over c: a constant per input (a, b) must not count": lambda: share(grid, [3], centre=False)})


@pytest.fixture(scope="module")
def per_frequency(final_forward, keys):
    """Each key frequency's share of the model's centred logits (the reference, once)."""
    grid = final_forward[0].reshape(P, P, P)
    return {k: share(grid, [k]) for k in keys}


def test_share_of_the_model(final_forward, keys, per_frequency):
    logits = final_forward[0]
    grid = logits.reshape(P, P, P)
    want = sum(per_frequency.values())
    got = ex.explained_share(logits, keys)
    assert_close(got, want, atol=1e-4, name=f"share of the model's centred logits explained by the key frequencies {keys}",
                 mistakes={"the logits are not centred over c: a constant per input (a, b) must not count": lambda: share(grid, keys, centre=False),
                           "only the cos waves: the sin waves of a + b - c explain their part too": lambda: share(grid, keys, sin=False),
                           "that is a + b + c: the waves are of a + b - c": lambda: share(grid, keys, sign=1),
                           "frequencies count from 1: those are the waves of k - 1": lambda: share(grid, [k - 1 for k in keys])})
    assert want > 0.8, f"the key frequencies should explain most of the logits, got {want:.2f}"
    one_by_one = [per_frequency[k] for k in keys]
    show_bars([f"k={k}" for k in keys] + ["all"], one_by_one + [want], title="share of the centred logits explained by each key frequency", y_label="share")
    others = [k for k in range(2, 57) if k not in keys][:2]
    assert ex.explained_share(logits, others) < 0.02, f"frequencies {others} are not key ones and should explain almost nothing"
