import torch

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_scatter
from arena_cli.zoo import load, othello
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)
model = load("othello")
SAE = load_sae("resid3_narrow")
HOOK = SAE.cfg.metadata.hook_name
G = si.games(2, seed=4)
TOKENS = si.model_input(G)
POS = 12
CLEAN = TOKENS[:1, : POS + 1]  # nothing after POS can change the metric (causal attention)
CORRUPT = torch.cat([TOKENS[1:, :POS], TOKENS[:1, POS : POS + 1]], dim=1)  # another game's opening, same later moves
with torch.no_grad():
    TARGET = int(model(CLEAN)[0, POS].argmax())


def latents(tokens):
    _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == HOOK)
    return SAE.encode(cache[HOOK])[0, POS]


def gradient_at(tokens):
    saved = {}

    def hook(x, hook):
        f = SAE.encode(x).detach().requires_grad_(True)
        saved["f"] = f
        return SAE.decode(f) + (x - SAE.decode(SAE.encode(x))).detach()

    with torch.enable_grad():
        model.run_with_hooks(tokens, fwd_hooks=[(HOOK, hook)])[0, POS, TARGET].backward()
    return saved["f"].grad[0, POS]


def patched_metric(latent, value, error_term=True):
    def hook(x, hook):
        f = SAE.encode(x)
        error = x - SAE.decode(f)
        f = f.clone()
        f[:, POS, latent] = value
        return SAE.decode(f) + (error if error_term else 0)

    return float(model.run_with_hooks(CLEAN, fwd_hooks=[(HOOK, hook)])[0, POS, TARGET])


with torch.no_grad():
    F_CLEAN, F_CORR = latents(CLEAN), latents(CORRUPT)
    BASE = float(model(CLEAN)[0, POS, TARGET])
DIFF = (F_CLEAN != F_CORR).nonzero().flatten().tolist()


EXACT = {}


def test_exact_effects_match_patching_each_latent():
    copies = CLEAN.clone(), CORRUPT.clone()
    got = ex.exact_effects(model, SAE, CLEAN, CORRUPT, POS, TARGET)
    assert_unchanged(copies[0], CLEAN, name="clean")
    assert_unchanged(copies[1], CORRUPT, name="corrupt")
    expected = torch.zeros(SAE.cfg.d_sae)
    no_error = torch.zeros(SAE.cfg.d_sae)
    base_no_error = patched_metric(0, F_CLEAN[0], error_term=False)
    for i in DIFF:
        expected[i] = patched_metric(i, F_CORR[i]) - BASE
        no_error[i] = patched_metric(i, F_CORR[i], error_term=False) - base_no_error
    EXACT["effects"] = expected
    assert_close(got, expected, atol=1e-3, name="exact effect of patching each latent", mistakes={
        "the SAE is spliced in without its error term: keep x - decode(encode(x)) so that only the latent's edit changes the output": no_error,
        "the sign is flipped: effect = metric(patched) - metric(clean)": -expected,
        "the latent is zero-ablated instead of patched to its value in the corrupted run": lambda: torch.tensor(
            [patched_metric(i, 0.0) - BASE if i in DIFF else 0.0 for i in range(SAE.cfg.d_sae)]),
    })


def test_attribution_is_the_clean_gradient_times_the_difference():
    got = ex.attribution_effects(model, SAE, CLEAN, CORRUPT, POS, TARGET)
    expected = gradient_at(CLEAN) * (F_CORR - F_CLEAN)
    assert_close(got, expected, atol=1e-4, name="attribution-patching estimate", mistakes={
        "the gradient is taken in the corrupted run; attribution patching linearises around the clean run": lambda: gradient_at(CORRUPT) * (F_CORR - F_CLEAN),
        "the difference is the wrong way round: f(corrupted) - f(clean)": -expected,
        "this is gradient x activation (zero ablation), not gradient x (corrupted - clean)": -gradient_at(CLEAN) * F_CLEAN,
    })
    exact = EXACT.get("effects")
    if exact is None:
        exact = torch.tensor([patched_metric(i, F_CORR[i]) - BASE if i in DIFF else 0.0 for i in range(SAE.cfg.d_sae)])
    show_scatter({"latents that differ": (exact[DIFF].tolist(), got[DIFF].tolist())}, title="attribution patching vs exact patching (resid3_narrow)",
                 x_label="exact effect on the logit", y_label="gradient estimate")
