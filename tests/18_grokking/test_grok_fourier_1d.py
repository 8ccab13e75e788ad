import math

import pytest
import torch

from arena_cli.course.grokking import fourier_basis_from_fft
from arena_cli.testing import assert_close, assert_unchanged, load_exercise

ex = load_exercise(__file__)


def rfft_coefficients(values: torch.Tensor) -> torch.Tensor:
    """The real orthonormal coefficients along axis 0, from torch.fft.rfft."""
    p = values.shape[0]
    spectrum = torch.fft.rfft(values.double(), dim=0)
    rows = [spectrum[0].real / math.sqrt(p)]
    for k in range(1, p // 2 + 1):
        rows += [spectrum[k].real * math.sqrt(2 / p), -spectrum[k].imag * math.sqrt(2 / p)]
    return torch.stack(rows).float()


SHAPES = {"vector": (113,), "matrix": (113, 5), "3d": (113, 4, 3)}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_forward_matches_rfft(shape):
    basis = fourier_basis_from_fft(113)
    values = torch.randn(*shape, generator=torch.Generator().manual_seed(len(shape)))
    before = values.clone()
    got = ex.fourier_transform(values, basis)
    want = rfft_coefficients(values)
    assert_close(got, want, atol=1e-4, name=f"fourier_transform of {tuple(shape)} values vs torch.fft.rfft along axis 0",
                 mistakes={"that is the inverse transform (B.T @ f): the coefficients are B @ f": lambda: torch.einsum("kx,k...->x...", basis, values),
                           "the coefficients are divided by p: B is orthonormal, no extra factor": lambda: want / 113})
    assert_unchanged(before, values, name="values")


def test_transform_along_the_first_axis_only():
    basis = fourier_basis_from_fft(113)
    values = torch.randn(113, 113, generator=torch.Generator().manual_seed(3))
    assert_close(ex.fourier_transform(values, basis), rfft_coefficients(values), atol=1e-4,
                 name="fourier_transform of a [113, 113] matrix (along axis 0 only)",
                 mistakes={"that transforms the last axis: transform along axis 0 (the x axis)": lambda: values @ basis.T,
                           "that transforms both axes: only axis 0": lambda: basis @ values @ basis.T})


def test_inverse_and_round_trip():
    basis = fourier_basis_from_fft(113)
    coefficients = torch.randn(113, 6, generator=torch.Generator().manual_seed(4))
    want = torch.fft.irfft(torch.complex(
        torch.cat([coefficients[:1] * math.sqrt(113), coefficients[1::2] * math.sqrt(113 / 2)]).double(),
        torch.cat([torch.zeros(1, 6), -coefficients[2::2] * math.sqrt(113 / 2)]).double()), n=113, dim=0).float()
    got = ex.inverse_fourier_transform(coefficients, basis)
    assert_close(got, want, atol=1e-4, name="inverse_fourier_transform vs torch.fft.irfft",
                 mistakes={"that is the forward transform again: the inverse is B.T @ coefficients": lambda: basis @ coefficients})
    assert_close(ex.fourier_transform(got, basis), coefficients, atol=1e-4, name="transform of the inverse transform")


def test_keep_frequencies():
    p = 113
    basis = fourier_basis_from_fft(p)
    values = torch.randn(p, 4, generator=torch.Generator().manual_seed(5))
    spectrum = torch.fft.rfft(values.double(), dim=0)
    keep = [3, 17, 40]
    mask = torch.zeros(p // 2 + 1, 1, dtype=torch.float64)
    mask[keep] = 1
    want = torch.fft.irfft(spectrum * mask, n=p, dim=0).float()
    shifted = torch.zeros_like(mask)
    shifted[[k - 1 for k in keep]] = 1
    got = ex.keep_frequencies(values, basis, keep)
    assert_close(got, want, atol=1e-4, name="keep_frequencies([3, 17, 40]) vs a masked torch.fft.rfft / irfft",
                 mistakes={"frequencies count from 1: frequency k is rows 2k-1 (cos) and 2k (sin)":
                               lambda: torch.fft.irfft(spectrum * shifted, n=p, dim=0).float(),
                           "the constant (mean) is kept: keep only the given frequencies":
                               lambda: want + values.mean(0)})
    small = torch.tensor([1.0, 2.0, 3.0])
    assert_close(ex.keep_frequencies(small, fourier_basis_from_fft(3), [1]), torch.tensor([-1.0, 0.0, 1.0]), atol=1e-5,
                 name="worked example: keep frequency 1 of [1, 2, 3]")
