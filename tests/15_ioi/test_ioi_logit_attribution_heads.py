from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_heatmap

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(10, seed=3)
_, CACHE = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)
DIRS = ((model.W_U[:, B.io] - model.W_U[:, B.s]).T * model.ln_final.w).detach()


def results(cache, pos_slice=-1):
    return cache.stack_head_results(layer=-1, pos_slice=pos_slice, apply_ln=False)  # [12, batch, d_model]


def oracle(cache=CACHE):
    stack = cache.stack_head_results(layer=-1, pos_slice=-1, apply_ln=True)
    return (stack * DIRS).sum(-1).reshape(3, 4, -1)


def test_matches_stack_head_results():
    got = ex.head_attribution(model, CACHE, DIRS, B.end)
    want = oracle()
    show_heatmap(want.mean(-1), ioi.LAYER_LABELS, ioi.HEAD_LABELS, title="direct IO - S attribution per head (mean over prompts)",
                 vmin=None, vmax=None, scale="diverging", x_label="head", y_label="layer")
    stack = results(CACHE)
    scale = CACHE["ln_final.hook_scale"][:, -1]
    assert_close(got, want, atol=1e-4, name="head attribution [layer, head, batch] vs cache.stack_head_results(apply_ln=True)", mistakes={
        "the final LayerNorm scale was not applied: divide by cache['ln_final.hook_scale'] at end":
            lambda: ((stack - stack.mean(-1, keepdim=True)) * DIRS).sum(-1).reshape(3, 4, -1),
        "the head outputs were not centred before dividing by the scale":
            lambda: (stack / scale * DIRS).sum(-1).reshape(3, 4, -1),
        "the heads' outputs were averaged over all positions instead of read at `end`":
            lambda: ((lambda st: ((st - st.mean(-1, keepdim=True)) / scale * DIRS).sum(-1))(
                results(CACHE, pos_slice=None).mean(2))).reshape(3, 4, -1),
    })


def test_scale_comes_from_the_cache_it_is_given():
    # the corrupted run's outputs must be read with the corrupted run's own scale
    got = ex.head_attribution(model, CORRUPTED, DIRS, B.end)
    want = oracle(CORRUPTED)
    stack = results(CORRUPTED)
    assert_close(got, want, atol=1e-4, name="head attribution on the corrupted cache", mistakes={
        "the scale was taken from another run: use the final scale of the cache you were given":
            lambda: ((stack - stack.mean(-1, keepdim=True)) / CACHE["ln_final.hook_scale"][:, -1] * DIRS).sum(-1).reshape(3, 4, -1),
    })


def test_name_movers_stand_out():
    got = ex.head_attribution(model, CACHE, DIRS, B.end).mean(-1)
    assert got[1, 0] > 1 and got[1, 2] > 1, "L1H0 and L1H2 write IO - S directly"
