import math

import pytest
import torch

from arena_cli.course.grokking import fourier_basis_from_fft, fourier_labels
from arena_cli.testing import assert_close, load_exercise, show_heatmap

ex = load_exercise(__file__)


def waves(p: int, *, normalised=True, swapped=False, from_zero=False, grouped=False):
    """Wrong (and right) variants of the basis, built by hand."""
    x = torch.arange(p, dtype=torch.float64)
    const = torch.ones(p, dtype=torch.float64) / (math.sqrt(p) if normalised else 1)
    c = math.sqrt(2 / p) if normalised else 1.0
    ks = range(0, p // 2) if from_zero else range(1, p // 2 + 1)
    cos = [torch.cos(2 * math.pi * k * x / p) * c for k in ks]
    sin = [torch.sin(2 * math.pi * k * x / p) * c for k in ks]
    if swapped:
        cos, sin = sin, cos
    rows = [const] + (cos + sin if grouped else [w for pair in zip(cos, sin) for w in pair])
    return torch.stack(rows).float()


def mistakes(p):
    return {
        "the rows are not normalised: the constant needs 1/sqrt(p), each wave sqrt(2/p)": lambda: waves(p, normalised=False),
        "cos and sin are swapped: each frequency's cos row comes first, then its sin row": lambda: waves(p, swapped=True),
        "frequencies counted from 0: row 1 is cos of frequency 1 (frequency 0 is the constant)": lambda: waves(p, from_zero=True),
        "the waves are grouped (all cos, then all sin): each frequency is a cos row followed by its sin row": lambda: waves(p, grouped=True),
    }


@pytest.mark.parametrize("p", [3, 7, 113], ids=["p3", "p7", "p113"])
def test_matches_torch_fft(p):
    got = ex.fourier_basis(p)
    assert_close(got, fourier_basis_from_fft(p), atol=1e-5, name=f"fourier_basis({p}) vs the basis read off torch.fft.rfft", mistakes=mistakes(p))


@pytest.mark.parametrize("p", [5, 113], ids=["p5", "p113"])
def test_orthonormal(p):
    b = ex.fourier_basis(p).double()
    assert_close(b @ b.T, torch.eye(p, dtype=torch.float64), atol=1e-5, name=f"B @ B.T for p = {p}")


def test_transform_of_a_vector_is_read_off_rfft():
    v = torch.randn(113, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    spectrum = torch.fft.rfft(v)
    got = ex.fourier_basis(113).double() @ v
    assert_close(got[0], spectrum[0].real / math.sqrt(113), atol=1e-4, name="constant coefficient vs rfft(v)[0] / sqrt(p)")
    assert_close(got[1::2], spectrum[1:].real * math.sqrt(2 / 113), atol=1e-4, name="cos coefficients vs sqrt(2/p) Re rfft(v)[k]")
    assert_close(got[2::2], -spectrum[1:].imag * math.sqrt(2 / 113), atol=1e-4, name="sin coefficients vs -sqrt(2/p) Im rfft(v)[k]")


def test_worked_example_and_labels():
    expected = torch.tensor([[1 / math.sqrt(3)] * 3, [math.sqrt(2 / 3), -1 / math.sqrt(6), -1 / math.sqrt(6)], [0.0, 1 / math.sqrt(2), -1 / math.sqrt(2)]])
    assert_close(ex.fourier_basis(3), expected, atol=1e-5, name="fourier_basis(3)", mistakes=mistakes(3))
    for p in (3, 113):
        assert ex.fourier_labels(p) == fourier_labels(p), f"fourier_labels({p}) starts {ex.fourier_labels(p)[:5]}, expected {fourier_labels(p)[:5]}"
    b = ex.fourier_basis(113)
    show_heatmap(b[:11], ex.fourier_labels(113)[:11], list(range(113)), title="the first rows of the Fourier basis of Z_113",
                 vmin=None, vmax=None, scale="diverging", x_label="x", y_label="basis row")
