import pandas as pd
import transformer_lens.patching as patching

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(6, seed=5)
METRIC = ioi.normalised_metric(model, B)
_, CLEAN = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)
POSITIONS = [12, 16]  # S2 and the end


def tl_by_pos(corrupted_tokens, clean_cache):
    index = pd.DataFrame([(l, p, h) for l in range(3) for p in POSITIONS for h in range(4)], columns=["layer", "pos", "head"])
    flat = patching.get_act_patch_attn_head_out_by_pos(model, corrupted_tokens, clean_cache, METRIC, index_axis_names=None, index_df=index)
    return flat.reshape(3, len(POSITIONS), 4)


def test_all_positions():
    got = ex.patch_head_all_pos(model, B.tokens, B.corrupted, METRIC)
    want = patching.get_act_patch_attn_head_out_all_pos(model, B.corrupted, CLEAN, METRIC)
    show_heatmap(got, ioi.LAYER_LABELS, ioi.HEAD_LABELS, title="patching each head's output (all positions), normalised",
                 vmin=-1, vmax=1, scale="diverging", x_label="head", y_label="layer")
    assert_close(got, want, atol=1e-4, name="head z patched at every position [layer, head] vs transformer_lens.patching", mistakes={
        "the patch goes the wrong way: run the corrupted prompts and patch in the clean activations":
            lambda: patching.get_act_patch_attn_head_out_all_pos(model, B.tokens, CORRUPTED, METRIC),
        "the whole layer was patched instead of one head: copy z[:, :, head] only":
            lambda: patching.generic_activation_patch(model, B.corrupted, CLEAN, METRIC, patch_setter=lambda c, i, cl: cl,
                                              activation_name="z", index_axis_names=("layer",))[:, None].expand(3, 4),
    })


def test_by_position():
    got = ex.patch_head_by_pos(model, B.tokens, B.corrupted, METRIC, POSITIONS)
    assert tuple(got.shape) == (3, len(POSITIONS), 4), f"expected [layer, len(positions), head], got {tuple(got.shape)}"
    want = tl_by_pos(B.corrupted, CLEAN)
    show_heatmap(got[:, -1], ioi.LAYER_LABELS, ioi.HEAD_LABELS, title="patching each head's output at the end only",
                 vmin=-1, vmax=1, scale="diverging", x_label="head", y_label="layer")
    all_pos = patching.get_act_patch_attn_head_out_all_pos(model, B.corrupted, CLEAN, METRIC)
    assert_close(got, want, atol=1e-4, name=f"head z patched at one position (positions {POSITIONS}) vs transformer_lens.patching", mistakes={
        "every position was patched although one position was asked: copy z[:, pos, head] only": all_pos[:, None, :].expand(3, len(POSITIONS), 4),
        "the patch goes the wrong way: run the corrupted prompts and patch in the clean activations": lambda: tl_by_pos(B.tokens, CORRUPTED),
    })
