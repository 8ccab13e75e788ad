import pandas as pd
import torch
import transformer_lens.patching as patching

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_bars, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(6, seed=4)
METRIC = ioi.normalised_metric(model, B)
_, CLEAN = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)
POSITIONS = [3, 6, 12, 14, 16]  # the oracle runs on these; before S2 (12) the two runs are identical
INDEX = pd.DataFrame([(layer, pos) for layer in range(3) for pos in POSITIONS], columns=["layer", "pos"])


def tl_resid(corrupted_tokens, clean_cache, activation="resid_pre"):
    flat = patching.generic_activation_patch(
        model, corrupted_tokens, clean_cache, METRIC, patch_setter=patching.layer_pos_patch_setter,
        activation_name=activation, index_axis_names=None, index_df=INDEX)
    return flat.reshape(3, len(POSITIONS))


def tl_whole(component, corrupted_tokens, clean_cache):
    return patching.generic_activation_patch(
        model, corrupted_tokens, clean_cache, METRIC, patch_setter=lambda corrupted, index, clean: clean,
        activation_name=component, index_axis_names=("layer",),
    )


def test_resid_pre_grid():
    before = B.corrupted.clone()
    got = ex.patch_resid_pre(model, B.tokens, B.corrupted, METRIC)
    assert torch.equal(B.corrupted, before), "the corrupted tokens must not change"
    assert tuple(got.shape) == (3, 17), f"expected [n_layers, pos] = [3, 17], got {tuple(got.shape)}"
    show_heatmap(got, ioi.LAYER_LABELS, ioi.POSITION_LABELS, title="patching resid_pre (clean -> corrupted), normalised",
                 vmin=-1, vmax=1, scale="diverging", x_label="position", y_label="layer")
    want = tl_resid(B.corrupted, CLEAN)
    assert_close(got[:, POSITIONS], want, atol=1e-4, name=f"resid_pre patching at positions {POSITIONS} vs transformer_lens.patching", mistakes={
        "the patch goes the wrong way: run the corrupted prompts and patch in the clean activations": lambda: tl_resid(B.tokens, CORRUPTED),
        "every position was patched at once although one position was asked: patch act[:, pos] only":
            lambda: tl_whole("resid_pre", B.corrupted, CLEAN)[:, None].expand(3, len(POSITIONS)),
        "the residual stream after layer L (hook_resid_post) was patched: row L patches hook_resid_pre, the stream entering layer L":
            lambda: tl_resid(B.corrupted, CLEAN, "resid_post"),
    })
    assert_close(got[:, :12], torch.zeros(3, 12), atol=1e-4,
                 name="positions before S2 (clean and corrupted runs are identical there, so patching them changes nothing)")


def test_attn_and_mlp_outputs():
    for component in ("attn_out", "mlp_out"):
        got = ex.patch_layer_output(model, B.tokens, B.corrupted, METRIC, component)
        want = tl_whole(component, B.corrupted, CLEAN)
        show_bars(ioi.LAYER_LABELS, got.tolist(), title=f"patching {component} of each layer (all positions)", y_label="normalised metric")
        assert_close(got, want, atol=1e-4, name=f"{component} patched at every position, per layer", mistakes={
            "the patch goes the wrong way: run the corrupted prompts and patch in the clean activations":
                lambda: tl_whole(component, B.tokens, CORRUPTED),
            "only the last position was patched: this function patches every position":
                lambda: patching.generic_activation_patch(
                    model, B.corrupted, CLEAN, METRIC, patch_setter=lambda c, i, cl: torch.cat([c[:, :-1], cl[:, -1:]], 1),
                    activation_name=component, index_axis_names=("layer",)),
        })
