import numpy as np
import torch
import transformer_lens.patching as patching

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, mistake, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(6, seed=7)
METRIC = ioi.normalised_metric(model, B)
_, CLEAN = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)


def directional(names, shape_of_t, spread, base_tokens=B.corrupted, base_cache=CORRUPTED, other_cache=CLEAN, sign=1.0):
    """d metric / d t for  act + t * (other - base)  at each cell, by autograd on t itself (one pass for all cells)."""
    t = torch.zeros(len(names), *shape_of_t, requires_grad=True)
    with torch.enable_grad():
        hooks = [(name, lambda act, hook, i=i, name=name: act + spread(t[i]) * sign * (other_cache[name] - base_cache[name]))
                 for i, name in enumerate(names)]
        METRIC(model.run_with_hooks(base_tokens, fwd_hooks=hooks)).backward()
    model.zero_grad(set_to_none=True)
    return t.grad


RESID = [f"blocks.{l}.hook_resid_pre" for l in range(3)]
Z = [f"blocks.{l}.attn.hook_z" for l in range(3)]
by_pos = lambda t: t[None, :, None]  # noqa: E731  [pos] -> broadcast over batch and d_model
by_head = lambda t: t[None, None, :, None]  # noqa: E731  [head] -> over batch, pos, d_head


def test_resid_pre_matches_the_directional_derivative():
    got = ex.attribution_resid_pre(model, B.tokens, B.corrupted, METRIC)
    want = directional(RESID, (17,), by_pos)
    show_heatmap(got, ioi.LAYER_LABELS, ioi.POSITION_LABELS, title="attribution patching resid_pre (linear approximation)",
                 vmin=-1, vmax=1, scale="diverging", x_label="position", y_label="layer")
    assert_close(got, want, atol=1e-4, name="attribution of resid_pre [layer, pos] vs d metric/dt by autograd", mistakes={
        "the difference is the wrong way round: (clean - corrupted) . grad": -want,
        "the gradient was taken in the clean run: attribution patching linearises around the corrupted run":
            lambda: directional(RESID, (17,), by_pos, base_tokens=B.tokens, base_cache=CLEAN, other_cache=CORRUPTED, sign=-1.0),
        "the products were averaged over the batch instead of summed (the metric already averages)": want / len(B.io),
    })


def test_heads_match_the_directional_derivative():
    got = ex.attribution_heads(model, B.tokens, B.corrupted, METRIC)
    want = directional(Z, (4,), by_head)
    assert_close(got, want, atol=1e-4, name="attribution of head z [layer, head] vs d metric/dt by autograd", mistakes={
        "the difference is the wrong way round: (clean - corrupted) . grad": -want,
        "the gradient was taken in the clean run: attribution patching linearises around the corrupted run":
            lambda: directional(Z, (4,), by_head, base_tokens=B.tokens, base_cache=CLEAN, other_cache=CORRUPTED, sign=-1.0),
        "the products were averaged over the batch instead of summed (the metric already averages)": want / len(B.io),
    })


def test_agreement_with_exact_patching():
    approx = ex.attribution_heads(model, B.tokens, B.corrupted, METRIC)
    exact = patching.get_act_patch_attn_head_out_all_pos(model, B.corrupted, CLEAN, METRIC)
    for grid, what in ((approx, "attribution patching (approximate)"), (exact, "exact patching")):
        show_heatmap(grid, ioi.LAYER_LABELS, ioi.HEAD_LABELS, title=f"{what}: each head's output, all positions",
                     vmin=-1, vmax=1, scale="diverging", x_label="head", y_label="layer")
    corr, worst = ex.agreement(approx, exact)
    want = float(np.corrcoef(approx.flatten().numpy(), exact.flatten().numpy())[0, 1])
    assert_close(corr, want, atol=1e-5, name="correlation of approximate and exact head patching")
    err = (approx - exact).abs()
    at = tuple(int(i) for i in np.unravel_index(int(err.argmax()), err.shape))
    if tuple(worst) != at and tuple(worst) == (int(err.argmax()),):
        raise mistake("agreement returned the flat index of the worst entry: unravel it into its (layer, head)",
                      f"the largest |approx - exact| is at {at} (flat index {int(err.argmax())}), you said {worst}")
    assert tuple(worst) == at, f"the largest |approx - exact| is at {at}, you said {worst}"
    a, b = torch.tensor([[1.0, 2.0], [3.0, 5.0]]), torch.tensor([[1.0, 2.5], [3.0, 4.0]])
    corr2, worst2 = ex.agreement(a, b)
    assert tuple(worst2) == (1, 1), f"on [[1, 2], [3, 5]] vs [[1, 2.5], [3, 4]] the worst entry is (1, 1), you said {worst2}"
    assert_close(corr2, float(np.corrcoef(a.flatten(), b.flatten())[0, 1]), atol=1e-6, name="correlation on the small example")
