import math

import pytest
import torch

from arena_cli.course.grokking import fourier_labels
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_heatmap
from arena_cli.zoo import grokking as G

ex = load_exercise(__file__)
P = G.P


def rfft_along(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Real orthonormal coefficients along `dim`, from torch.fft.rfft."""
    values = values.movedim(dim, 0).double()
    spectrum = torch.fft.rfft(values, dim=0)
    p = values.shape[0]
    rows = [spectrum[0].real / math.sqrt(p)]
    for k in range(1, p // 2 + 1):
        rows += [spectrum[k].real * math.sqrt(2 / p), -spectrum[k].imag * math.sqrt(2 / p)]
    return torch.stack(rows).movedim(0, dim).float()


@pytest.fixture(scope="module")
def neurons(final_forward):
    """64 of the 512 neurons: enough for every check, and 8x cheaper."""
    logits, post = final_forward
    return post[:, ::8].contiguous()


def test_the_fast_forward_matches_the_bridge_cache(model, final_forward):
    # the checks' activations come from arena_cli.course.grokking; here they meet the real cache
    tokens, _ = G.all_pairs()
    rows = torch.arange(0, P * P, 97)
    _, cache = model.run_with_cache(tokens[rows])
    assert_close(final_forward[1][rows], cache["post", 0][:, -1], atol=1e-4, name="neurons at '=' vs the bridge's cache")


def test_neuron_grid(neurons):
    got = ex.neuron_grid(neurons)
    tokens, _ = G.all_pairs()
    want = torch.zeros(P, P, neurons.shape[1])
    want[tokens[:, 0], tokens[:, 1]] = neurons  # scatter by the pair itself
    assert_close(got, want, atol=0, name="neuron_grid [a, b, neuron]",
                 mistakes={"a and b are swapped: row a * p + b holds the pair (a, b), so a is the first axis": lambda: want.transpose(0, 1)})


def test_transform_2d_matches_rfft_along_both_axes(neurons, basis):
    grid = torch.zeros(P, P, neurons.shape[1])
    tokens, _ = G.all_pairs()
    grid[tokens[:, 0], tokens[:, 1]] = neurons
    before = grid.clone()
    got = ex.fourier_transform_2d(grid, basis)
    want = rfft_along(rfft_along(grid, 0), 1)
    assert_close(got, want, atol=2e-3, rtol=1e-3, name="2D transform of 64 neurons [i, j, neuron] vs torch.fft.rfft along a then b",
                 mistakes={"that transforms axis a only: transform b as well (B @ grid @ B.T)": lambda: rfft_along(grid, 0),
                           "that transforms axis b only: transform a as well (B @ grid @ B.T)": lambda: rfft_along(grid, 1),
                           "that is the inverse transform on both axes (B.T @ grid @ B)":
                               lambda: torch.einsum("ai,bj,ab...->ij...", basis, basis, grid)})
    assert_unchanged(before, grid, name="grid")


def test_worked_example_and_power(neurons, basis):
    from arena_cli.course.grokking import fourier_basis_from_fft

    ones = torch.ones(3, 3, 1)
    want = torch.zeros(3, 3, 1)
    want[0, 0, 0] = 3.0
    assert_close(ex.fourier_transform_2d(ones, fourier_basis_from_fft(3)), want, atol=1e-5, name="2D transform of a constant 1 on Z_3")
    spectrum = torch.randn(5, 5, 7, generator=torch.Generator().manual_seed(0))
    assert_close(ex.mean_power(spectrum), spectrum.pow(2).mean(-1), atol=1e-6, name="mean_power",
                 mistakes={"square before averaging: the mean of the squares, not the square of the mean": lambda: spectrum.mean(-1).pow(2)})
    grid = ex.neuron_grid(neurons)
    power = ex.mean_power(ex.fourier_transform_2d(grid, basis))
    labels = fourier_labels(P)[:41]
    show_heatmap(power[:41, :41].log10().clamp(min=-4), labels, labels, vmin=None, vmax=None,
                 title="log10 mean squared 2D Fourier coefficient of the neurons (rows: basis of a, columns: basis of b)")
    # the variance of the neurons sits on few rows and columns: the 20 largest entries (of p² = 12 769)
    # hold more than half of the non-constant power
    flat = power.flatten()[1:]
    assert float(flat.topk(20).values.sum() / flat.sum()) > 0.5
