import copy

import pytest
import torch

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

D_IN, D_SAE = 4, 10
DEAD = torch.tensor([False, True, False, False, True, True, False, False, False, True])


def test_firing_frequency_and_dead_latents():
    acts = torch.tensor([[0.0, 1.0, 0.0], [0.5, 2.0, 0.0], [0.0, 0.1, 0.0], [0.0, -1.0, 0.0]])
    freq = ex.firing_frequency(acts)
    assert_close(freq, torch.tensor([0.25, 0.75, 0.0]), name="firing_frequency", mistakes={
        "a latent counts as firing when it is non-zero: count acts > 0": torch.tensor([0.25, 1.0, 0.0]),
        "the frequency is a count: divide by the number of inputs": torch.tensor([1.0, 3.0, 0.0]),
        "the frequency is taken over the latents (axis 1) instead of over the inputs":
            lambda: (acts > 0).float().mean(dim=1),
    })
    assert_close(ex.dead_latents(freq), torch.tensor([False, False, True]), name="dead_latents(frequency) (never fired)")
    assert_close(ex.dead_latents(freq, min_frequency=0.3), torch.tensor([True, False, True]), name="dead_latents(frequency, min_frequency=0.3)")


def sae_and_data(seed):
    params = random_sae_params("standard", D_IN, D_SAE, torch.Generator().manual_seed(seed))
    sae = to_saelens("standard", params, training=True, l1_coefficient=0.1)
    x = torch.randn(50, D_IN, generator=torch.Generator().manual_seed(seed + 10)) + 0.5
    return sae, params, x


def reference(params, x, dead, seed, scale, *, power=2, live_only=True, centre=True, normalise=True, mask=None):
    """The resampling the docstring describes (and, with the flags, four known mistakes)."""
    sae = to_saelens("standard", params, training=True)
    mask = dead if mask is None else mask
    with torch.no_grad():
        errors = ((sae(x) - x) ** 2).sum(-1)
        picked = torch.multinomial(errors**power, int(mask.sum()), replacement=True, generator=torch.Generator().manual_seed(seed))
        v = x[picked] - (sae.b_dec if centre else 0)
        if normalise:
            v = v / v.norm(dim=-1, keepdim=True)
        norms = sae.W_enc.norm(dim=0)
        live_norm = norms[~dead].mean() if live_only else norms.mean()
        sae.W_dec[mask] = v
        sae.W_enc[:, mask] = v.T * scale * live_norm
        sae.b_enc[mask] = 0.0
    return {name: p.detach().clone() for name, p in sae.named_parameters()}


@pytest.mark.parametrize("seed, scale", [(0, 0.2), (1, 0.5)], ids=["scale_0.2", "scale_0.5"])
def test_resampling_matches_the_recipe(seed, scale):
    sae, params, x = sae_and_data(seed)
    ex.resample_dead_(sae, x, DEAD.clone(), torch.Generator().manual_seed(99), encoder_scale=scale)
    live = ~DEAD
    for name, index in (("W_dec", (live,)), ("W_enc", (slice(None), live)), ("b_enc", (live,)), ("b_dec", (slice(None),))):
        got, before = getattr(sae, name).detach()[index], params[name][index]
        if not torch.equal(got, before):
            raise mistake(f"resampling changed live latents ({name}): only the dead latents' weights may change",
                          f"max change {float((got - before).abs().max()):.3g}")
    want = reference(params, x, DEAD, 99, scale)
    for name in ("W_dec", "W_enc", "b_enc"):
        assert_close(getattr(sae, name), want[name], atol=1e-5, name=f"{name} after resampling (encoder_scale {scale})", mistakes={
            "inputs are picked with probability ∝ their error, not ∝ error²": lambda: reference(params, x, DEAD, 99, scale, power=1)[name],
            "the encoder scale uses the mean norm of ALL encoder columns: use the live latents' only":
                lambda: reference(params, x, DEAD, 99, scale, live_only=False)[name],
            "b_dec is not subtracted from the picked input: v = normalise(x − b_dec)":
                lambda: reference(params, x, DEAD, 99, scale, centre=False)[name],
            "v is not normalised to unit norm": lambda: reference(params, x, DEAD, 99, scale, normalise=False)[name],
        })


def test_resampling_touches_nothing_without_dead_latents():
    sae, params, x = sae_and_data(2)
    g = torch.Generator().manual_seed(3)
    state = g.get_state()
    ex.resample_dead_(sae, x, torch.zeros(D_SAE, dtype=torch.bool), g)
    for name, p in sae.named_parameters():
        assert torch.equal(p.detach(), params[name]), f"{name} changed although no latent was dead"
    assert torch.equal(g.get_state(), state), "the generator was used although no latent was dead"


def test_all_latents_dead_uses_scale_one():
    sae, params, x = sae_and_data(4)
    everything = torch.ones(D_SAE, dtype=torch.bool)
    ex.resample_dead_(sae, x, everything, torch.Generator().manual_seed(5), encoder_scale=0.2)
    W_dec = sae.W_dec.detach()
    assert_close(sae.W_enc, W_dec.T * 0.2, atol=1e-5, name="W_enc with every latent dead (live norm taken as 1)")


def test_adam_state_reset():
    sae, params, x = sae_and_data(6)
    opt = torch.optim.Adam(sae.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        sae.training_forward_pass(step_input(x, {"l1": 0.1})).loss.backward()
        opt.step()
    before = copy.deepcopy({n: {k: v.clone() for k, v in opt.state[p].items()} for n, p in sae.named_parameters()})
    ex.reset_adam_state_(opt, sae, DEAD)
    live = ~DEAD
    for name, p in sae.named_parameters():
        for key in ("exp_avg", "exp_avg_sq"):
            got, old = opt.state[p][key], before[name][key]
            if name == "b_dec":
                assert torch.equal(got, old), f"b_dec's Adam state ({key}) changed: it has no per-latent slice"
                continue
            dead_part, live_part = (got[:, DEAD], got[:, live]) if name == "W_enc" else (got[DEAD], got[live])
            old_live = old[:, live] if name == "W_enc" else old[live]
            assert float(dead_part.abs().max()) == 0, f"{name}'s {key} is not zero for the dead latents"
            if not torch.equal(live_part, old_live):
                raise mistake(f"the Adam state of live latents changed ({name}, {key}): reset only the dead latents' slices")
