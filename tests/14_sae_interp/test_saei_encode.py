import pytest
import torch

from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig

from arena_cli.course.superposition import random_sae_params
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
SHIPPED = load_sae("resid3")
# random weights, decoder rows not unit norm and every bias non-zero, so that every term shows
RANDOM = StandardSAE(StandardSAEConfig(d_in=96, d_sae=40, device="cpu"))
RANDOM.load_state_dict(random_sae_params("standard", 96, 40, torch.Generator().manual_seed(0)))
X = torch.randn(3, 5, 96, generator=torch.Generator().manual_seed(1)) * 4


def _forbid(monkeypatch, sae):
    def refuse(*args, **kwargs):
        raise mistake("the rules: compute it from the weights; sae.encode / sae.decode / sae(...) are the oracle", "called an SAELens method")

    for method in ("encode", "decode", "forward"):
        monkeypatch.setattr(sae, method, refuse)


@pytest.mark.parametrize("which", ["shipped", "random"])
def test_encode_matches_saelens(which, monkeypatch):
    sae = SHIPPED if which == "shipped" else RANDOM
    assert sae.cfg.apply_b_dec_to_input
    before = X.clone()
    expected = sae.encode(X)
    _forbid(monkeypatch, sae)
    got = ex.encode(sae, X)
    assert_unchanged(before, X, name="x")
    pre = (X - sae.b_dec) @ sae.W_enc + sae.b_enc
    assert_close(got, expected, atol=1e-4, name="latent activations", mistakes={
        "these are the activations before the ReLU; the latents are ReLU(pre-activations)": pre,
        "the decoder matrix is used as the encoder (x @ W_dec.T): encoder and decoder directions differ": lambda: torch.relu((X - sae.b_dec) @ sae.W_dec.T + sae.b_enc),
        "b_dec is not subtracted from the input before encoding": lambda: torch.relu(X @ sae.W_enc + sae.b_enc),
        "b_enc is left out": lambda: torch.relu((X - sae.b_dec) @ sae.W_enc),
    })


@pytest.mark.parametrize("which", ["shipped", "random"])
def test_decode_matches_saelens(which, monkeypatch):
    sae = SHIPPED if which == "shipped" else RANDOM
    f = torch.relu(torch.randn(4, sae.cfg.d_sae, generator=torch.Generator().manual_seed(2)))
    before = f.clone()
    expected = sae.decode(f)
    _forbid(monkeypatch, sae)
    got = ex.decode(sae, f)
    assert_unchanged(before, f, name="f")
    assert_close(got, expected, atol=1e-4, name="reconstruction", mistakes={
        "b_dec is left out of the reconstruction": f @ sae.W_dec,
        "the encoder is used as the decoder (f @ W_enc.T)": f @ sae.W_enc.T + sae.b_dec,
    })
