import torch
import transformer_lens.patching as patching

from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(6, seed=6)
METRIC = ioi.normalised_metric(model, B)
_, CLEAN = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)
TL = {"q": patching.get_act_patch_attn_head_q_all_pos, "k": patching.get_act_patch_attn_head_k_all_pos,
      "v": patching.get_act_patch_attn_head_v_all_pos}
WRONG_WAY = "the patch goes the wrong way: run the corrupted prompts and patch in the clean activations"


def test_queries_keys_values():
    grids = {}
    for which in ("q", "k", "v"):
        got = ex.patch_head_input(model, B.tokens, B.corrupted, METRIC, which)
        want = TL[which](model, B.corrupted, CLEAN, METRIC)
        grids[which] = want
        others = {w: (lambda w=w: TL[w](model, B.corrupted, CLEAN, METRIC)) for w in "qkv" if w != which}
        assert_close(got, want, atol=1e-4, name=f"patching hook_{which} per head vs transformer_lens.patching", mistakes={
            WRONG_WAY: lambda: TL[which](model, B.tokens, CORRUPTED, METRIC),
            **{f"`which` was ignored: hook_{w} was patched instead of hook_{which}": f for w, f in others.items()},
        })
        show_heatmap(got, ioi.LAYER_LABELS, ioi.HEAD_LABELS, title=f"patching each head's {which} (all positions)",
                     vmin=-1, vmax=1, scale="diverging", x_label="head", y_label="layer")


def brute_force_pattern(clean_cache, corrupted_tokens):
    """The head's z recomputed by hand: clean pattern times the corrupted run's values."""
    _, corrupted_cache = model.run_with_cache(corrupted_tokens)
    out = torch.zeros(3, 4)
    for layer in range(3):
        for head in range(4):
            pattern = clean_cache["pattern", layer][:, head]  # [batch, q, k]
            v = corrupted_cache["v", layer][:, :, head]  # [batch, k, d_head]

            def hook(z, hook, head=head, new=torch.einsum("bqk,bkd->bqd", pattern, v)):
                z = z.clone()
                z[:, :, head] = new
                return z

            out[layer, head] = METRIC(model.run_with_hooks(corrupted_tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)]))
    return out


def test_pattern():
    got = ex.patch_head_pattern(model, B.tokens, B.corrupted, METRIC)
    want = brute_force_pattern(CLEAN, B.corrupted)
    show_heatmap(got, ioi.LAYER_LABELS, ioi.HEAD_LABELS, title="patching each head's attention pattern",
                 vmin=-1, vmax=1, scale="diverging", x_label="head", y_label="layer")
    assert_close(got, want, atol=1e-4, name="pattern patching vs clean pattern @ corrupted values, by hand", mistakes={
        "only the queries were patched: the pattern depends on q and k, patch both in the same run":
            lambda: TL["q"](model, B.corrupted, CLEAN, METRIC),
        "only the keys were patched: the pattern depends on q and k, patch both in the same run":
            lambda: TL["k"](model, B.corrupted, CLEAN, METRIC),
        "the values were patched too, which patches the head's whole output, not its pattern":
            lambda: patching.get_act_patch_attn_head_out_all_pos(model, B.corrupted, CLEAN, METRIC),
        WRONG_WAY: lambda: brute_force_pattern(CORRUPTED, B.tokens),
        "hook_pattern was patched: on this bridge what a hook returns there is not used (all zeros)": torch.zeros(3, 4),
    })
