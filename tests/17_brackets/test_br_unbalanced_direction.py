
from arena_cli.course.brackets import constant_term, unbalanced_post_ln
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)


def test_direction(model):
    u = unbalanced_post_ln(model)
    wu = model.ln_final.w * u
    want = wu - wu.mean()
    assert_close(ex.unbalanced_direction(model), want, atol=1e-6, name="unbalanced direction d [d_model]",
                 mistakes={
                     "the sign is reversed: unbalanced minus balanced (column 0 minus column 1)": lambda: -want,
                     "d is not centred: LayerNorm subtracts the mean first, so d = w*u minus its mean": wu,
                     "the LayerNorm weight ln_final.w is missing: d = w * u (centred)": lambda: u - u.mean(),
                     "d is not centred and has no LayerNorm weight": u,
                 })


def test_logit_difference_matches_the_model(model, run):
    tokens, mask, logits, cache = run
    resid = cache["ln_final.hook_in"][:, 0]
    scale = cache["ln_final.hook_scale"][:, 0]
    before = resid.clone()
    want = logits[:, 0, B.UNBALANCED] - logits[:, 0, B.BALANCED]
    got = ex.logit_difference(resid, scale, model)
    d = ex.unbalanced_direction(model)
    assert_close(got, want, atol=1e-4, name="logit difference at position 0 (160 held-out strings) vs the model's logits",
                 mistakes={
                     "the frozen LayerNorm scale is missing: divide x . d by cache['scale']":
                         lambda: resid @ d + constant_term(model),
                     "the constant is missing: add the LayerNorm bias term ln_final.b . u (and b_U[0] - b_U[1], which is 0 in this model)":
                         lambda: resid @ d / scale[:, 0],
                     "the scale multiplies instead of dividing":
                         lambda: resid @ d * scale[:, 0] + constant_term(model),
                 })
    assert_unchanged(before, resid, name="resid")
    show_bars(list(B.KINDS), [float(got[40 * i : 40 * (i + 1)].mean()) for i in range(4)],
              title="mean logit difference (unbalanced - balanced) by kind of held-out string", y_label="logit diff")


def test_the_scale_is_per_string(model):
    # two strings with very different residual norms: a single shared scale cannot fit both
    tokens, mask = B.encode(["(()", "(())", ")" * 30])
    logits, cache = model.run_with_cache(tokens, attention_mask=mask)
    got = ex.logit_difference(cache["ln_final.hook_in"][:, 0], cache["ln_final.hook_scale"][:, 0], model)
    assert_close(got, logits[:, 0, 0] - logits[:, 0, 1], atol=1e-4, name="logit difference of '(()', '(())', ')'*30")
    assert float(got[0]) > 2 and float(got[1]) < -2, f"'(()' should be clearly unbalanced and '(())' clearly balanced; got {got.tolist()}"
