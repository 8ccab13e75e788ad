import functools
from dataclasses import dataclass

import pytest
import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars, show_scatter
from arena_cli.zoo import load
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
TOKENS = si.model_input(si.games(2, seed=31))  # [2, 32]: the functions read row 0 and must stop at pos
CASES = {"resid1_topk->resid2_topk": ("resid1_topk", "resid2_topk", 10), "resid2->resid3": ("resid2", "resid3", 8)}
SHOWN = "resid1_topk->resid2_topk"
RESULTS: dict = {}


@dataclass
class Case:
    up: object
    down: object
    pos: int
    L: int
    latent: int  # the most active downstream latent at pos
    f_raw: torch.Tensor  # [seq, d_up] upstream latents, <bos> included
    f: torch.Tensor  # the same, <bos> zeroed
    f_down: torch.Tensor  # [seq, d_down]
    cache: object
    active: torch.Tensor  # upstream latents active somewhere in 1..pos


def folded(name):
    sae = load_sae(name)
    sae.fold_W_dec_norm()
    return sae


def pre_lib(sae, x, latent):
    """The pre-activation as SAELens computes it (its hook_sae_acts_pre), differentiable."""
    saved = {}

    def keep(t, hook):
        saved["pre"] = t

    sae.run_with_hooks(x, fwd_hooks=[("hook_sae_acts_pre", keep)])
    return saved["pre"][..., latent]


SAES = {name: folded(name) for names in CASES.values() for name in names[:2]}  # loaded at import


@functools.cache
def case(key) -> Case:
    up_name, down_name, pos = CASES[key]
    up, down = SAES[up_name], SAES[down_name]
    _, cache = model.run_with_cache(TOKENS[:1])
    f_raw = up.encode(cache[up.cfg.metadata.hook_name][0])
    f = f_raw.clone()
    f[0] = 0
    f_down = down.encode(cache[down.cfg.metadata.hook_name][0])
    latent = int(f_down[pos].argmax())
    L = int(up.cfg.metadata.hook_name.split(".")[1])
    active = (f[: pos + 1] > 0).any(0).nonzero().flatten()
    return Case(up, down, pos, L, latent, f_raw, f, f_down, cache, active)


def removals(c: Case, positions, active, *, error_term=True, freeze=()):
    """Run the model on len(active)+1 copies of the prompt, the upstream SAE spliced in; copy b+1
    has latent active[b] set to 0 at `positions`. Returns the downstream residual at pos and the
    attention output of block L at pos, [n+1, d_model] each. `freeze`: hooks held at their clean values."""
    n, pos = len(active), c.pos
    batch = TOKENS[:1, : pos + 1].expand(n + 1, -1)
    keep = torch.ones(n + 1, pos + 1, c.up.cfg.d_sae)
    keep[torch.arange(n)[:, None] + 1, torch.as_tensor(positions)[None, :], active[:, None]] = 0
    out = {}

    def splice(x, hook):
        lat = c.up.encode(x)
        error = x - c.up.decode(lat)
        return c.up.decode(lat * keep) + (error if error_term else 0)

    def reader(name):
        def read(x, hook):
            out[name] = x[:, pos]
        return read

    def frozen(name):
        return name, lambda x, hook: c.cache[name][:, : pos + 1].expand(n + 1, *x.shape[1:])

    attn = f"blocks.{c.L}.hook_attn_out"
    model.run_with_hooks(batch, fwd_hooks=[(c.up.cfg.metadata.hook_name, splice), *[frozen(h) for h in freeze],
                                           (attn, reader("attn")), (c.down.cfg.metadata.hook_name, reader("down"))])
    return out["down"], out["attn"]


def scatter_into(values, active, d):
    full = torch.zeros(d)
    full[active] = values
    return full


@functools.cache
def exact_oracle(key):
    c = case(key)
    down_x, _ = removals(c, list(range(1, c.pos + 1)), c.active)
    pre = pre_lib(c.down, down_x, c.latent)
    clean = pre_lib(c.down, c.cache[c.down.cfg.metadata.hook_name][0, c.pos], c.latent)
    assert abs(float(pre[0] - clean)) < 1e-4, "oracle: the spliced run with its error term should be the clean run"
    return scatter_into(pre[0] - pre[1:], c.active, c.up.cfg.d_sae)


def grads(c: Case):
    """(∂pre/∂f, ∂pre/∂(hook output)) [seq<=pos, d], by autograd, the error a constant."""
    saved = {}

    def splice(x, hook):
        f = c.up.encode(x).detach().requires_grad_(True)
        out = c.up.decode(f) + (x - c.up.decode(c.up.encode(x))).detach()
        saved["f"], saved["out"] = f, out
        return out

    def read(x, hook):
        saved["down"] = x

    with torch.enable_grad():
        model.run_with_hooks(TOKENS[:1, : c.pos + 1], fwd_hooks=[(c.up.cfg.metadata.hook_name, splice), (c.down.cfg.metadata.hook_name, read)])
        g_f, g_out = torch.autograd.grad(pre_lib(c.down, saved["down"][0, c.pos], c.latent), [saved["f"], saved["out"]])
    return g_f[0], g_out[0]


def attention_formula(c: Case, *, scale="source", centre=True, weight=True, transposed=False):
    """The attention path written out (used only to name mistakes; the oracle freezes hooks)."""
    pattern = c.cache[f"blocks.{c.L}.attn.hook_pattern"][0]
    pattern = pattern[:, :, c.pos] if transposed else pattern[:, c.pos]  # [head, source]
    s = c.cache[f"blocks.{c.L}.ln1.hook_scale"][0, :, 0]
    s = {"source": s, "none": torch.ones_like(s), "query": s[c.pos].expand_as(s)}[scale]
    d = c.up.W_dec - c.up.W_dec.mean(-1, keepdim=True) if centre else c.up.W_dec
    if weight:
        d = d * model.blocks[c.L].ln1.weight
    per_head = torch.einsum("im,hme,hen->hin", d, model.W_V[c.L], model.W_O[c.L]) @ c.down.W_enc[:, c.latent]
    return torch.einsum("hq,qi,hi->i", pattern / s, c.f, per_head)


LABEL_GAMES = si.games(30, seed=5)  # to name latents in the figures


@functools.cache
def best_features(sae_name):
    """For every latent of an SAE, its best-matching ground-truth feature and that F1 (labels for the figures)."""
    names, labels, defined = si.ground_truth(LABEL_GAMES)
    hooks = {sae.cfg.metadata.hook_name for sae in SAES.values()}
    _, cache = model.run_with_cache(si.model_input(LABEL_GAMES), names_filter=lambda n: n in hooks)
    sae = SAES[sae_name]
    fire = (sae.encode(cache[sae.cfg.metadata.hook_name][:, 1:]) > 0).flatten(0, 1).float()  # [n, d_sae]
    lab, mask = (labels & defined).flatten(0, 1).float(), defined.flatten(0, 1).float()  # [n, F]
    f1 = 2 * (fire.T @ lab) / (fire.T @ mask + lab.sum(0)).clamp(min=1)  # [d_sae, F]
    best = f1.max(-1)
    return [(names[int(k)], float(v)) for v, k in zip(best.values, best.indices)]


def label(sae_name, i):
    name, f1 = best_features(sae_name)[i]
    return f"{i} {name}" if f1 >= 0.5 else f"{i}"


def corr(a, b):
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def call(fn, key):
    c = case(key)
    before = TOKENS.clone()
    got = fn(model, c.up, c.down, TOKENS, c.pos, c.latent)
    assert_unchanged(before, TOKENS, name="tokens")
    RESULTS[(fn.__name__, key)] = got
    return c, got


@pytest.mark.parametrize("key", CASES)
def test_exact_effects(key):
    c, got = call(ex.exact_effects, key)
    expected = exact_oracle(key)
    d, pos = c.up.cfg.d_sae, c.pos
    moves = list(range(1, pos + 1))
    clean_pre = pre_lib(c.down, c.cache[c.down.cfg.metadata.hook_name][0, pos], c.latent)

    def no_error(vs_clean):
        pre = pre_lib(c.down, removals(c, moves, c.active, error_term=False)[0], c.latent)
        return scatter_into((clean_pre if vs_clean else pre[0]) - pre[1:], c.active, d)

    def at(positions, active):
        pre = pre_lib(c.down, removals(c, positions, active)[0], c.latent)
        return scatter_into(pre[0] - pre[1:], active, d)

    assert_close(got, expected, atol=2e-4, name=f"exact effect of removing each upstream latent ({key})", mistakes={
        "the sign is reversed: the contribution is pre(clean) - pre(latent removed), not the other way round": -expected,
        "the SAE is spliced in without its error term, so even the unedited spliced run differs from the clean run: keep x - decode(encode(x))": lambda: no_error(True),
        "the SAE is spliced in without its error term (both runs): keep x - decode(encode(x)) so that only the removal changes the residual stream": lambda: no_error(False),
        "the latent is removed at position pos only; remove it at every move position 1..pos (attention carries the earlier ones)": lambda: at([pos], (c.f[pos] > 0).nonzero().flatten()),
        "the latent is also removed at position 0 (<bos>), where the SAE was not trained: remove it at positions 1..pos": lambda: at(list(range(pos + 1)), (c.f_raw[: pos + 1] > 0).any(0).nonzero().flatten()),
    })
    if key == SHOWN:
        up_name, down_name, _ = CASES[key]
        top = expected.abs().argsort(descending=True)[:10].tolist()
        show_bars([label(up_name, i) for i in top], expected[top].tolist(), y_label="contribution to the pre-activation",
                  title=f"{key}: the upstream latents driving {down_name} latent {label(down_name, c.latent)} at position {pos} "
                        "(exact; each latent named by its best-F1 feature where F1 >= 0.5)")


@pytest.mark.parametrize("key", CASES)
def test_attribution(key):
    c, got = call(ex.attribution, key)
    g_f, g_out = grads(c)
    moves = slice(1, c.pos + 1)
    expected = (g_f[moves] * c.f[moves]).sum(0)
    assert_close(got, expected, atol=1e-4, name=f"gradient x activation of every upstream latent ({key})", mistakes={
        "the gradient is taken with respect to the reconstruction and mapped to the latents through the encoder (W_enc); take it with respect to the latent activations (d/df_i = W_dec[i] . d/dx)": lambda: ((g_out @ c.up.W_enc)[moves] * c.f[moves]).sum(0),
        "the activation is the downstream SAE's: multiply the gradient by the upstream latents, the ones it was taken with respect to": lambda: (g_f[moves] * c.f_down[moves]).sum(0),
        "the gradient is zero: the error term was computed from the leaf (x - decode(f)) and not held constant; detach it": torch.zeros_like(expected),
        "only position pos is counted; sum gradient x activation over every move position 1..pos": lambda: g_f[c.pos] * c.f[c.pos],
        "position 0 (<bos>) is counted; sum over the move positions 1..pos": lambda: (g_f[: c.pos + 1] * c.f_raw[: c.pos + 1]).sum(0),
        "the sign is reversed: gradient x activation estimates pre(clean) - pre(removed)": -expected,
    })
    exact = RESULTS.get(("exact_effects", key))
    exact = exact_oracle(key) if exact is None else exact
    if key == SHOWN:
        a = c.active
        show_scatter({"gradient x activation": (exact[a].tolist(), got[a].tolist())},
                     title=f"{key}, downstream latent {c.latent}: attribution vs exact (r = {corr(exact[a], got[a]):.3f})",
                     x_label="exact contribution", y_label="estimate")


@pytest.mark.parametrize("key", CASES)
def test_direct_path(key):
    c, got = call(ex.direct_path, key)
    x = c.cache[c.down.cfg.metadata.hook_name][0, c.pos]
    f_pos = c.f[c.pos]
    expected = pre_lib(c.down, x, c.latent) - pre_lib(c.down, x - f_pos[:, None] * c.up.W_dec, c.latent)  # [d_up]
    w = c.down.W_enc[:, c.latent]
    assert_close(got, expected, atol=1e-4, name=f"direct-path contribution of every upstream latent ({key})", mistakes={
        "the upstream encoder column W_enc[:, i] is used; what latent i writes is its decoder row W_dec[i]": lambda: f_pos * (c.up.W_enc.T @ w),
        "the downstream decoder row W_dec[latent] is used; what the downstream latent reads is its encoder column W_enc[:, latent]": lambda: f_pos * (c.up.W_dec @ c.down.W_dec[c.latent]),
        "the activations are summed over positions; the skip connection carries only position pos to pos": lambda: c.f[1 : c.pos + 1].sum(0) * (c.up.W_dec @ w),
        "the sign is reversed: the contribution is +f_i W_dec[i] . W_enc[:, latent]": -expected,
    })


@pytest.mark.parametrize("key", CASES)
def test_attention_path(key):
    c, got = call(ex.attention_path, key)
    L, pos = c.L, c.pos
    # oracle: remove each latent at 1..pos with q, k and ln1's scale held at their clean values (so the
    # pattern and the scale are frozen); the change of block L's attention output, read by the downstream SAE
    _, attn = removals(c, list(range(1, pos + 1)), c.active,
                       freeze=(f"blocks.{L}.attn.hook_q", f"blocks.{L}.attn.hook_k", f"blocks.{L}.ln1.hook_scale"))
    x = c.cache[c.down.cfg.metadata.hook_name][0, pos]
    delta = attn[0] - attn[1:]  # [n, d_model]
    expected = scatter_into(pre_lib(c.down, x, c.latent) - pre_lib(c.down, x - delta, c.latent), c.active, c.up.cfg.d_sae)
    assert_close(got, expected, atol=1e-4, name=f"attention-path contribution of every upstream latent ({key})", mistakes={
        f"ln1's scale is ignored: the LayerNorm divides what latent i writes at source q by blocks.{L}.ln1.hook_scale[q] (cached in the clean run)": lambda: attention_formula(c, scale="none"),
        "ln1's scale is taken at the destination position pos; the LayerNorm in front of the values divides by the scale at each source position q": lambda: attention_formula(c, scale="query"),
        "the decoder rows are not centred (ln1 subtracts the mean over d_model)": lambda: attention_formula(c, centre=False),
        "ln1's weight is left out": lambda: attention_formula(c, weight=False),
        "the pattern is read as [head, key, query]: it is [batch, head, query, key], the row of destination pos": lambda: attention_formula(c, transposed=True),
        "the sign is reversed": -expected,
    })
    if key == SHOWN:
        get = lambda name, oracle: RESULTS.get((name, key), oracle)
        exact = get("exact_effects", None)
        exact = exact_oracle(key) if exact is None else exact
        direct = get("direct_path", None)
        if direct is not None:
            a = c.active
            show_scatter({"direct path": (exact[a].tolist(), direct[a].tolist()),
                          "direct + attention path": (exact[a].tolist(), (direct + got)[a].tolist())},
                         title=f"{key}, downstream latent {c.latent}: the linear paths vs exact "
                               f"(r = {corr(exact[a], direct[a]):.3f} direct, {corr(exact[a], (direct + got)[a]):.3f} with attention)",
                         x_label="exact contribution", y_label="path contribution")
