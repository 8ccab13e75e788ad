import copy

import torch

from arena_cli.course.superposition import ToyModel, generate_batch, importance_weighted_loss
from arena_cli.testing import assert_close, load_exercise, show_bars, show_heatmap

ex = load_exercise(__file__)

SPARSITY = torch.tensor([0.0, 0.7, 0.9, 0.97, 0.99])
IMPORTANCE = 0.9 ** torch.arange(5.0)


def reference(model, steps, batch_size, lr, generator, *, zero_grad=True, fixed_batch=False, after=False, sgd=False):
    """The twin loop (and, with the flags, the loops of four known mistakes)."""
    optimizer = (torch.optim.SGD if sgd else torch.optim.Adam)(model.parameters(), lr=lr)
    losses, x = [], None
    for _ in range(steps):
        if x is None or not fixed_batch:
            x = generate_batch(batch_size, SPARSITY, 5, generator)
        loss = importance_weighted_loss(model(x), x, IMPORTANCE)
        if zero_grad:
            optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        losses.append(importance_weighted_loss(model(x), x, IMPORTANCE).detach() if after else loss.detach())
    return torch.stack(losses)


def twin_runs(seed=0, steps=6, batch_size=64, lr=1e-2):
    model = ToyModel(5, 5, 2, torch.Generator().manual_seed(seed))
    twin = copy.deepcopy(model)
    got = ex.train_toy(model, SPARSITY.clone(), IMPORTANCE.clone(), steps, batch_size, lr, torch.Generator().manual_seed(seed + 100))
    expected = reference(twin, steps, batch_size, lr, torch.Generator().manual_seed(seed + 100))
    return model, twin, got, expected


def test_losses_match_the_reference_loop_step_by_step():
    start = ToyModel(5, 5, 2, torch.Generator().manual_seed(0))
    _, _, got, expected = twin_runs()

    def variant(**flags):
        return lambda: reference(copy.deepcopy(start), 6, 64, 1e-2, torch.Generator().manual_seed(100), **flags)

    assert_close(got, expected, atol=1e-6, name="per-instance loss at every step [steps, inst]", mistakes={
        "the gradients are never zeroed, so they pile up from step to step: optimizer.zero_grad() every step": variant(zero_grad=False),
        "one batch is drawn once and reused: draw a fresh batch every step": variant(fixed_batch=True),
        "the loss is recorded after the update: record the loss the step was computed from": variant(after=True),
        "the optimiser is SGD: use torch.optim.Adam": variant(sgd=True),
    })


def test_weights_match_the_reference_loop_after_training():
    model, twin, _, _ = twin_runs(seed=1, steps=10, lr=3e-3)
    assert_close(model.W, twin.W, atol=1e-6, name="W after 10 steps (vs the reference loop)")
    assert_close(model.b_final, twin.b_final, atol=1e-6, name="b_final after 10 steps (vs the reference loop)")


def test_a_short_run_stores_more_features_as_sparsity_rises():
    model = ToyModel(5, 5, 2, torch.Generator().manual_seed(2))
    losses = ex.train_toy(model, SPARSITY.clone(), IMPORTANCE.clone(), 200, 256, 3e-2, torch.Generator().manual_seed(3))
    assert tuple(losses.shape) == (200, 5), f"expected losses of shape (steps 200, inst 5), got {tuple(losses.shape)}"
    W = model.W.detach()
    gram = torch.einsum("ihf,ihg->ifg", W, W)
    for k in (0, 1, 2):
        show_heatmap(gram[k], [f"f{i}" for i in range(5)], [f"f{i}" for i in range(5)], title=f"WᵀW, sparsity {SPARSITY[k]:g}",
                     vmin=-1.2, vmax=1.2, scale="diverging", x_label="feature", y_label="feature")
    norms = W.norm(dim=1)  # [inst, feat]
    stored = (norms > 0.5).sum(dim=1)
    show_bars([f"S={s:g}" for s in SPARSITY.tolist()], stored, title="features stored (‖Wᵢ‖ > 0.5) after 200 steps",
              x_label="instance", y_label="features")
    assert float(losses[-25:].mean()) < float(losses[:25].mean()), "the loss did not go down"
    # measured on this seed: [2, 4, 5, 5, 3] (sparsity 0.99 sees too few non-zero features in 200 steps)
    assert int(stored[0]) <= 3 and int(stored[2]) == 5, (
        f"features stored per instance {stored.tolist()}: expected about 2 at sparsity 0 and all 5 at sparsity 0.9")
