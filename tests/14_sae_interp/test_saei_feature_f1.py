import torch
from sklearn.metrics import precision_recall_fscore_support

from arena_cli.course import sae_interp as si
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars
from arena_cli.zoo import load
from arena_cli.zoo.othello_saes import load_sae

ex = load_exercise(__file__)


def synthetic(seed=0, n=300, d_sae=7, n_feat=5):
    g = torch.Generator().manual_seed(seed)
    acts = torch.relu(torch.randn(n, d_sae, generator=g))
    labels = (acts[:, :n_feat] + 0.8 * torch.randn(n, n_feat, generator=g)) > 0.5
    defined = torch.rand(n, n_feat, generator=g) < 0.7
    defined[:, -1] = False  # a feature never defined: all scores 0
    return acts, labels, defined


def sklearn_scores(acts, labels, defined):
    out = torch.zeros(3, acts.shape[1], labels.shape[1])
    for j in range(labels.shape[1]):
        keep = defined[:, j]
        for i in range(acts.shape[1]):
            if keep.any():
                p, r, f, _ = precision_recall_fscore_support(labels[keep, j], acts[keep, i] > 0, average="binary", zero_division=0)
                out[:, i, j] = torch.tensor([p, r, f])
    return out


def test_scores_match_sklearn_over_defined_positions():
    acts, labels, defined = synthetic()
    copies = acts.clone(), labels.clone(), defined.clone()
    precision, recall, f1 = ex.classifier_scores(acts, labels, defined)
    for before, arg, name in zip(copies, (acts, labels, defined), ("acts", "labels", "defined")):
        assert_unchanged(before, arg, name=name)
    expected = sklearn_scores(acts, labels, defined)
    everywhere = sklearn_scores(acts, labels, torch.ones_like(defined))
    assert_close(precision, expected[0], atol=1e-5, name="precision", mistakes={
        "the scores count positions where the feature is undefined; score only where `defined` is true": everywhere[0],
        "precision and recall are swapped: precision = TP / (TP + FP), the share of the latent's firings that are right": expected[1],
    })
    assert_close(recall, expected[1], atol=1e-5, name="recall", mistakes={
        "the scores count positions where the feature is undefined; score only where `defined` is true": everywhere[1],
        "precision and recall are swapped: recall = TP / (TP + FN), the share of the feature's positives the latent catches": expected[0],
    })
    assert_close(f1, expected[2], atol=1e-5, name="F1", mistakes={
        "the scores count positions where the feature is undefined; score only where `defined` is true": everywhere[2],
        "F1 is the harmonic mean 2PR/(P+R), not the arithmetic mean": (expected[0] + expected[1]) / 2,
    })


def test_best_latent_per_feature():
    f1 = torch.rand(9, 4, generator=torch.Generator().manual_seed(3))
    values, latents = ex.best_latent(f1)
    assert_close(values, f1.max(0).values, name="best F1 per feature", mistakes={
        "the maximum is taken over features (dim 1); the best latent of each feature is a max over latents (dim 0)": f1.max(1).values})
    assert_close(latents.long(), f1.argmax(0), name="best latent per feature")


def test_the_shipped_sae_has_latents_that_are_ground_truth_features():
    model, sae = load("othello"), load_sae("resid3_narrow")
    g = si.games(100, seed=77)
    acts = si.sae_acts(model, sae, si.model_input(g))[:, 1:]  # positions after moves 1 … 31
    names, labels, defined = si.ground_truth(g)
    _, _, f1 = ex.classifier_scores(acts.flatten(0, 1), labels.flatten(0, 1), defined.flatten(0, 1))
    expected = sklearn_scores(acts.flatten(0, 1)[:, :3], labels.flatten(0, 1)[:, ::37], defined.flatten(0, 1)[:, ::37])[2]
    assert_close(f1[:3, ::37], expected, atol=1e-5, name="F1 on the shipped SAE (a sample of latents and features)")
    best, latent = ex.best_latent(f1)
    order = best.argsort(descending=True)[:16]
    show_bars([f"{names[j]} ← latent {int(latent[j])}" for j in order], best[order].tolist(),
              title="resid3_narrow: the best latent for each of the 16 best-matched features (F1)", y_label="F1")
    # measured: 5 features have a latent of F1 >= 0.8 (64 of >= 0.5); none reaches 0.9
    assert int((best >= 0.8).sum()) >= 4, f"expected at least 4 features matched with F1 >= 0.8, got {int((best >= 0.8).sum())}"
