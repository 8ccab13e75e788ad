"""Shared by the checks of section 18_grokking.

Every check runs torch on one thread and without autograd (restored afterwards), like
12_induction. What is costly is computed once per check file (module-scoped fixtures): the
final model's logits and neurons over all p² pairs (by `arena_cli.course.grokking`'s plain-torch
forward; `test_grok_neuron_activations` checks it against the bridge's own cache) and the real
Fourier basis read off `torch.fft`.
"""

import pytest

from arena_cli.course import grokking as CG
from arena_cli.testing import torch_on_one_thread


@pytest.fixture(autouse=True, scope="module")
def one_thread_no_grad():
    with torch_on_one_thread(grad=False):
        yield


@pytest.fixture(scope="module")
def model():
    from arena_cli.zoo import load

    return load("grokking")


@pytest.fixture(scope="module")
def basis():
    """[p, p], rows const, cos 1, sin 1, …, cos 56, sin 56 (orthonormal), from torch.fft.rfft."""
    return CG.fourier_basis_from_fft()


@pytest.fixture(scope="module")
def final_forward(model):
    """(logits [p*p, p], neurons [p*p, d_mlp]) of the final model over every pair (row a*p + b)."""
    return CG.forward_all_pairs(CG.bridge_weights(model))


@pytest.fixture(scope="module")
def keys(model):
    """The zoo's key frequencies of the final model (by embedding norm)."""
    return CG.key_frequency_set(model)
