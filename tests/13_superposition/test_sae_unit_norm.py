import copy

import torch

from arena_cli.course.superposition import random_sae_params, step_input, to_saelens
from arena_cli.testing import assert_close, load_exercise, mistake

ex = load_exercise(__file__)

D_IN, D_SAE = 4, 10


def fresh(seed=0):
    params = random_sae_params("standard", D_IN, D_SAE, torch.Generator().manual_seed(seed))
    return to_saelens("standard", params, training=True, l1_coefficient=0.1), params


def test_normalise_matches_saelens_fold():
    sae, params = fresh(0)
    oracle = to_saelens("standard", params)
    oracle.fold_W_dec_norm()  # SAELens divides each decoder row by its norm (and folds it into the encoder)
    W = sae.W_dec
    ex.normalise_decoder_(sae)
    assert sae.W_dec is W, "normalise_decoder_ must change sae.W_dec in place, not replace the parameter"
    assert_close(sae.W_dec, oracle.W_dec, atol=1e-6, name="W_dec after normalise_decoder_ vs SAELens fold_W_dec_norm", mistakes={
        "the decoder is normalised along the wrong axis: each ROW W_dec[j] (a latent's direction) gets norm 1, dim=1":
            params["W_dec"] / params["W_dec"].norm(dim=0, keepdim=True),
        "the decoder is normalised as a whole matrix: each row separately": params["W_dec"] / params["W_dec"].norm(),
    })


def test_worked_example_projection():
    sae, _ = fresh(1)
    with torch.no_grad():
        sae.W_dec.zero_()
        sae.W_dec[0] = torch.tensor([3.0, 4.0, 0.0, 0.0])
        sae.W_dec[1:, 0] = 1.0
    sae.W_dec.grad = torch.zeros_like(sae.W_dec)
    sae.W_dec.grad[0] = torch.tensor([1.0, 0.0, 0.0, 0.0])
    ex.project_decoder_grad_(sae)
    assert_close(sae.W_dec.grad[0], torch.tensor([0.64, -0.48, 0.0, 0.0]), atol=1e-6, name="projected gradient of row [3, 4, 0, 0]",
                 mistakes={"the parallel component is added instead of removed: g − (g·ŵ)ŵ": torch.tensor([1.36, 0.48, 0.0, 0.0]),
                           "the row is not normalised in the projection: use ŵ = w/‖w‖": torch.tensor([-8.0, -12.0, 0.0, 0.0])})


def test_projection_on_random_gradients():
    sae, params = fresh(2)
    g = torch.randn(D_SAE, D_IN, generator=torch.Generator().manual_seed(3))
    sae.W_dec.grad = g.clone()
    ex.project_decoder_grad_(sae)
    w = params["W_dec"]
    unit = w / w.norm(dim=1, keepdim=True)
    expected = g - (g * unit).sum(1, keepdim=True) * unit
    assert_close(sae.W_dec, w, atol=0, name="W_dec (projection changes the gradient, not the weights)")
    wrong_axis = w / w.norm(dim=0, keepdim=True)
    assert_close(sae.W_dec.grad, expected, atol=1e-5, name="W_dec.grad after the projection", mistakes={
        "the parallel component is added instead of removed (wrong sign): g − (g·ŵ)ŵ": g + (g * unit).sum(1, keepdim=True) * unit,
        "the rows are normalised along the wrong axis: ŵ = row / its norm (dim=1)":
            g - (g * wrong_axis).sum(1, keepdim=True) * wrong_axis,
        "the gradient is projected out entirely (zeroed)": torch.zeros_like(g),
    })
    along = (sae.W_dec.grad * unit).sum(1)
    assert_close(along, torch.zeros(D_SAE), atol=1e-5, name="component of each projected row gradient along its row (must be 0)")


def reference_step(sae, optimizer, x, l1, project_after_step=False):
    optimizer.zero_grad()
    loss = sae.training_forward_pass(step_input(x, {"l1": l1})).loss
    loss.backward()

    def project():
        with torch.no_grad():
            unit = sae.W_dec / sae.W_dec.norm(dim=1, keepdim=True)
            sae.W_dec.grad -= (sae.W_dec.grad * unit).sum(1, keepdim=True) * unit

    if not project_after_step:
        project()
    optimizer.step()
    if project_after_step:  # a known mistake: the projection comes too late to change the step
        project()
    with torch.no_grad():
        sae.W_dec /= sae.W_dec.norm(dim=1, keepdim=True)
    return loss.item()


def test_train_steps_match_a_reference_twin():
    sae, _ = fresh(4)
    with torch.no_grad():
        sae.W_dec /= sae.W_dec.norm(dim=1, keepdim=True)
    twin = copy.deepcopy(sae)
    late = copy.deepcopy(sae)  # twin of the mistake of projecting after the step (first step only)
    reference_step(late, torch.optim.Adam(late.parameters(), lr=0.05), torch.randn(32, D_IN, generator=torch.Generator().manual_seed(5)), 0.2, project_after_step=True)
    opt, twin_opt = torch.optim.Adam(sae.parameters(), lr=0.05), torch.optim.Adam(twin.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(5)
    for step in range(4):
        x = torch.randn(32, D_IN, generator=g)
        got = ex.train_step(sae, opt, x, 0.2)
        assert isinstance(got, float), f"train_step returns loss.item(), a float; got {type(got).__name__}"
        assert_close(got, reference_step(twin, twin_opt, x, 0.2), atol=1e-5, name=f"loss of step {step + 1}")
        norms = sae.W_dec.norm(dim=1)
        if not torch.allclose(norms, torch.ones(D_SAE), atol=1e-5):
            raise mistake("the decoder rows are not renormalised after the step", f"row norms after step {step + 1}: {norms.tolist()}")
        for name, p in sae.named_parameters():
            known = {} if step else {
                "the gradient is projected after optimizer.step(), too late to change the update: project it between backward() and step()":
                    getattr(late, name)}
            assert_close(p, getattr(twin, name), atol=1e-5, name=f"{name} after step {step + 1} (vs the reference twin)", mistakes=known)
