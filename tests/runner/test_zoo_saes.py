"""The SAEs shipped with the zoo (arena_cli/zoo/othello_saes.py): they load offline in SAELens'
format, fit the size budget, are listed without torch, and really reconstruct othello's residual
stream — measured here on the shipped weights and fresh games, never read from metrics.json.

Measured on the shipped SAEs (this file's own measurement, 200 held-out games):
200 games, seed 2024 (EV over move positions; loss via sae_lens.evals.get_recons_loss):
resid2 EV 0.875, L0 21.4, loss recovered 0.954 (clean 1.994, SAE 2.161, zero 5.607);
resid3 EV 0.895, L0 27.9, recovered 0.953 (SAE 2.138, zero 5.021);
resid3_narrow EV 0.834, L0 17.2, recovered 0.929 (SAE 2.210, zero 5.021);
resid1_topk EV 0.990, L0 32, recovered 0.998 (SAE 2.000, zero 4.918);
resid2_topk EV 0.982, L0 32, recovered 0.996 (SAE 2.008, zero 5.607).
(`python /work/notes/saei/measure_saes.py` printed these; the test recomputes them.)
"""

from __future__ import annotations

import pytest
import torch

from arena_cli import zoo
from arena_cli.testing import torch_on_one_thread

MAX_SAE_BYTES = 2 * 1024 * 1024
# thresholds a little under the measured values (see the module docstring)
MIN_EXPLAINED_VARIANCE = {"resid2": 0.86, "resid3": 0.88, "resid3_narrow": 0.82, "resid1_topk": 0.98, "resid2_topk": 0.97}
MIN_LOSS_RECOVERED = {"resid2": 0.93, "resid3": 0.93, "resid3_narrow": 0.90, "resid1_topk": 0.99, "resid2_topk": 0.99}
# (F1, how many features must have a latent at least that good). Measured on 200 games (seed
# 2024), a latent firing (> 0) as the classifier: the TopK SAEs' latents are named features —
# resid1_topk has 26 features with a latent of F1 >= 0.9 (all `played:X`: 26 of the 32 squares
# that can be played), resid2_topk 4 (21 at >= 0.8). The standard ones match only partly:
# none reaches 0.9; resid2 has 24 features at F1 >= 0.5, resid3 28, resid3_narrow 64 (5 at >= 0.8).
MATCHED = {"resid2": (0.5, 20), "resid3": (0.5, 22), "resid3_narrow": (0.8, 4), "resid1_topk": (0.9, 24), "resid2_topk": (0.9, 3)}
SHIPPED = list(MATCHED)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    with torch_on_one_thread(grad=False):
        yield


@pytest.fixture(scope="module")
def data():
    from arena_cli.course import sae_interp as si
    from arena_cli.zoo import load

    model = load("othello")
    g = si.games(200, seed=2024)
    return model, g, si.model_input(g)


def test_sae_catalogue_matches_the_module_and_the_files():
    from arena_cli.zoo import othello_saes

    (entry,) = [e for e in zoo.sae_catalogue() if e.name == "othello_saes"]
    assert entry.saes == tuple(othello_saes.SAES)
    files = [f for f in (zoo.CHECKPOINT_DIR / "othello_saes").rglob("*") if f.is_file()]
    assert entry.size_bytes == sum(f.stat().st_size for f in files) > 0
    for name in entry.saes:
        weights = othello_saes.sae_dir(name) / "sae_weights.safetensors"
        assert 0 < weights.stat().st_size <= MAX_SAE_BYTES, name


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_sae_reconstructs_the_residual_stream(name, data):
    from sae_lens.evals import get_recons_loss
    from sae_lens.training.activation_scaler import ActivationScaler

    from arena_cli.zoo import othello_saes

    model, g, tokens = data
    sae = othello_saes.load_sae(name)
    spec = othello_saes.SAES[name]
    assert sae.cfg.metadata.hook_name == spec["hook"] and sae.cfg.d_sae == spec["d_sae"]
    acts = othello_saes.move_activations(model, tokens, spec["hook"])
    ev = othello_saes.explained_variance(sae, acts)
    assert ev >= MIN_EXPLAINED_VARIANCE[name], f"{name}: explained variance {ev:.3f}"
    out = get_recons_loss(sae, model, ActivationScaler(), tokens, compute_kl=False, compute_ce_loss=True)
    clean, spliced, zero = (float(out[k].mean()) for k in ("ce_loss_without_sae", "ce_loss_with_sae", "ce_loss_with_ablation"))
    recovered = (zero - spliced) / (zero - clean)
    assert recovered >= MIN_LOSS_RECOVERED[name], f"{name}: loss recovered {recovered:.3f} (clean {clean:.3f}, SAE {spliced:.3f}, zero {zero:.3f})"


@pytest.mark.parametrize("name", SHIPPED)
def test_latents_match_named_ground_truth_features(name, data):
    from arena_cli.course import sae_interp as si
    from arena_cli.zoo import othello_saes

    model, g, tokens = data
    acts = si.sae_acts(model, othello_saes.load_sae(name), tokens)[:, 1:].flatten(0, 1)
    names, labels, defined = (x if i == 0 else x.flatten(0, 1) for i, x in enumerate(si.ground_truth(g)))
    fires = (acts > 0).float()
    pos = (labels & defined).float()
    tp = fires.T @ pos
    precision = tp / (fires.T @ defined.float()).clamp(min=1)
    recall = tp / pos.sum(0).clamp(min=1)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-12)
    min_f1, n = MATCHED[name]
    matched = int((f1.max(0).values >= min_f1).sum())
    assert matched >= n, f"{name}: {matched} features have a latent with F1 >= {min_f1} (expected >= {n})"
