from arena_cli.course import ioi
from arena_cli.testing import assert_close, load_exercise, show_lines

ex = load_exercise(__file__)
model = ioi.model()
B = ioi.prompts(10, seed=2)
LOGITS, CLEAN = ioi.run_with_cache(model, B.tokens)
_, CORRUPTED = ioi.run_with_cache(model, B.corrupted)
W_LN = model.ln_final.w.detach()
DIRS = ((model.W_U[:, B.io] - model.W_U[:, B.s]).T * W_LN).detach()  # [batch, d_model]


def oracle(cache):
    stack = cache.accumulated_resid(layer=-1, pos_slice=-1, apply_ln=False)  # 0_pre 1_pre 2_pre final_post
    return (cache.apply_ln_to_stack(stack, layer=-1, pos_slice=-1) * DIRS).sum(-1)


def unscaled(cache):
    stack = cache.accumulated_resid(layer=-1, pos_slice=-1, apply_ln=False)
    return ((stack - stack.mean(-1, keepdim=True)) * DIRS).sum(-1)


def scaled_by(cache, other):
    stack = cache.accumulated_resid(layer=-1, pos_slice=-1, apply_ln=False)
    return ((stack - stack.mean(-1, keepdim=True)) / other["ln_final.hook_scale"][:, -1] * DIRS).sum(-1)


def test_directions():
    got = ex.logit_diff_directions(model, B.io, B.s)
    raw = (model.W_U[:, B.io] - model.W_U[:, B.s]).T
    assert_close(got, DIRS, atol=1e-5, name="logit-difference directions [batch, d_model]", mistakes={
        "IO and S are swapped: the direction is W_U[:, IO] - W_U[:, S]": -DIRS,
        "the final LayerNorm's weight w is missing: d = w * (W_U[:, IO] - W_U[:, S])": raw,
        "the direction must be [batch, d_model]: transpose W_U[:, io] - W_U[:, s]": raw.T * W_LN[:, None],
    })


def test_worked_example_and_the_final_entry_gives_the_logit_diff():
    got = ex.accumulated_attribution(CLEAN, DIRS, B.end)
    want = oracle(CLEAN)
    assert_close(got, want, atol=1e-4, name="accumulated attribution [layer+1, batch] vs cache.apply_ln_to_stack", mistakes={
        "the final LayerNorm scale was not applied: divide each stream by cache['ln_final.hook_scale'] at end": lambda: unscaled(CLEAN),
        "the residual stream was not centred before dividing by the scale (LayerNorm subtracts the mean)":
            lambda: (CLEAN.accumulated_resid(layer=-1, pos_slice=-1, apply_ln=False) / CLEAN["ln_final.hook_scale"][:, -1] * DIRS).sum(-1),
    })
    offset = (model.ln_final.b @ (model.W_U[:, B.io] - model.W_U[:, B.s])) + model.b_U[B.io] - model.b_U[B.s]
    assert_close(got[-1] + offset, ioi.logit_diff(LOGITS, B), atol=1e-3,
                 name="final entry + (b . (W_U[:, IO] - W_U[:, S]) + b_U difference) = the logit difference")


def test_difference_uses_each_runs_own_scale():
    got = ex.attribution_difference(CLEAN, CORRUPTED, DIRS, B.end)
    want = (oracle(CLEAN) - oracle(CORRUPTED)).mean(-1)
    show_lines({"clean - corrupted": want.tolist()}, x=[0, 1, 2, 3], x_label="residual stream before layer (3 = after the last)",
               title="IO - S attribution of the accumulated residual stream (mean over prompts)", y_label="logits")
    assert_close(got, want, atol=1e-4, name="mean clean - corrupted attribution by layer", mistakes={
        "the corrupted run was scaled with the clean run's final LayerNorm scale: each run has its own": lambda: (oracle(CLEAN) - scaled_by(CORRUPTED, CLEAN)).mean(-1),
        "the clean and corrupted runs are swapped: clean minus corrupted": -want,
        "the final LayerNorm scale was not applied": lambda: (unscaled(CLEAN) - unscaled(CORRUPTED)).mean(-1),
    })
