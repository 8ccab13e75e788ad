import torch

from arena_cli.course.brackets import COMPONENTS, constant_term, tl_attributions, tl_components, unbalanced_post_ln
from arena_cli.testing import assert_close, load_exercise, show_heatmap
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)


def test_components_match_transformer_lens(model, run):
    tokens, mask, logits, cache = run
    got = ex.residual_components(cache, model)
    want = tl_components(cache)

    def with_mlps(mlps):
        out = want.clone()
        for layer in range(3):
            out[COMPONENTS.index(f"MLP{layer}")] = mlps[layer]
        return out

    heads_first = [COMPONENTS.index(n) for n in ["embed", "pos_embed", "L0H0", "L0H1", "L1H0", "L1H1", "L2H0", "L2H1", "MLP0", "MLP1", "MLP2", "bias"]]
    zero_bias = want.clone()
    zero_bias[-1] = 0
    assert_close(got, want, atol=1e-5, name=f"components [12, batch, d_model] in the order {', '.join(COMPONENTS)} vs cache.get_full_resid_decomposition",
                 mistakes={
                     "an MLP's component is its output cache['mlp_out', layer], not its neurons' activations (hook_post)":
                         lambda: with_mlps([cache["post", layer][:, 0] for layer in range(3)]),
                     "the order is per layer: its two heads, then its MLP (you put all heads before all MLPs)":
                         lambda: want[heads_first],
                     "the bias component is the sum of the 3 layers' b_O, broadcast over the batch (yours is zero)": zero_bias,
                     "the bias component holds only the b_O of the 3 layers: each MLP's b_out is already in its mlp_out":
                         lambda: torch.cat([want[:-1], (want[-1] + model.b_out.sum(0))[None]]),
                 })
    assert_close(got.sum(0), cache["ln_final.hook_in"][:, 0], atol=1e-4, name="sum of the components vs the final residual at position 0")


def test_attributions_match_transformer_lens(model, run):
    tokens, mask, logits, cache = run
    components = tl_components(cache)
    got = ex.component_attribution(components, cache, model)
    want = tl_attributions(cache, model)
    u = unbalanced_post_ln(model)
    wu = model.ln_final.w * u
    scale = cache["scale"][:, 0, 0]
    assert_close(got, want, atol=1e-4, rtol=1e-4, name="attributions [batch, 12] vs TransformerLens' apply_ln_to_stack",
                 mistakes={
                     "the LayerNorm scale is missing: divide by cache['scale'] at position 0": lambda: want * scale[:, None],
                     "the direction is not centred: LayerNorm subtracts the mean of each component first":
                         lambda: (components @ wu / scale).T,
                     "the LayerNorm weight is missing from the direction": lambda: (components @ (u - u.mean()) / scale).T,
                     "the sign is reversed: the direction is unbalanced minus balanced": lambda: -want,
                 })


def test_attributions_add_up_to_the_logit_difference(model, run):
    tokens, mask, logits, cache = run
    got = ex.component_attribution(ex.residual_components(cache, model), cache, model)
    diff = logits[:, 0, B.UNBALANCED] - logits[:, 0, B.BALANCED]
    want = tl_attributions(cache, model)
    assert_close(got.sum(-1) + constant_term(model), diff, atol=1e-4,
                 name="sum of your attributions + ln_final.b . u + b_U[0] - b_U[1] vs the model's logit difference",
                 mistakes={"the bias component (the b_O of the 3 layers) is missing or zero":
                           lambda: want[:, :-1].sum(-1) + constant_term(model)})


def test_removing_a_component_moves_the_verdict_by_its_attribution(model, run):
    """Exact ablation: subtract one component from the final residual stream (every other input
    of ln_final unchanged, its scale held at the clean value) and rerun. One batched forward:
    copy c of the 20 strings has component c removed."""
    tokens, mask, logits, cache = run
    rows = torch.arange(0, 160, 8)  # 20 strings, 5 of every kind
    n, k = len(rows), len(COMPONENTS)
    components = ex.residual_components(cache, model)
    got = ex.component_attribution(components, cache, model)[rows]  # [20, 12]
    removed = components[:, rows].reshape(k * n, -1)  # copy c, string i -> component c of string i
    clean_scale = cache["ln_final.hook_scale"][rows].repeat(k, 1, 1)

    def remove(resid, hook):
        resid = resid.clone()
        resid[:, 0] -= removed
        return resid

    ablated = model.run_with_hooks(
        tokens[rows].repeat(k, 1), attention_mask=mask[rows].repeat(k, 1),
        fwd_hooks=[("ln_final.hook_in", remove), ("ln_final.hook_scale", lambda act, hook: clean_scale)],
    )[:, 0]
    clean = logits[rows, 0, 0] - logits[rows, 0, 1]
    effect = clean.repeat(k) - (ablated[:, 0] - ablated[:, 1])  # [12 * 20]
    for c, name in enumerate(COMPONENTS):
        assert_close(got[:, c], effect[c * n : (c + 1) * n], atol=2e-4,
                     name=f"attribution of {name} vs the change of the logit difference when {name} is removed")


def test_figure(model, run, held_out):
    tokens, mask, logits, cache = run
    got = ex.component_attribution(ex.residual_components(cache, model), cache, model)
    means = torch.stack([got[40 * i : 40 * (i + 1)].mean(0) for i in range(4)])
    show_heatmap(means, list(B.KINDS), COMPONENTS, title="mean attribution to 'unbalanced' by component (columns) and kind of string (rows)",
                 vmin=None, vmax=None, scale="diverging")
    balanced = means[0]
    assert float(balanced[COMPONENTS.index("L2H0")]) < -2, "on balanced strings head L2H0 should push clearly towards 'balanced'"
