import math

import pytest
import torch

from arena_cli.course.superposition import trained_toys
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_scatter

ex = load_exercise(__file__)


def pentagon(radius=1.0):
    angles = torch.arange(5) * 2 * math.pi / 5
    return radius * torch.stack([angles.cos(), angles.sin()])  # [2, 5]


HAND_MADE = {
    # name: (W [d_hidden, feat], expected dimensionality)
    "orthonormal": (torch.eye(3), [1.0, 1.0, 1.0]),
    "orthogonal_not_unit": (torch.diag(torch.tensor([2.0, 0.5, 1.0])), [1.0, 1.0, 1.0]),
    "antipodal_pair_and_a_dropped_feature": (torch.tensor([[1.0, -1.0, 0.0]]), [0.5, 0.5, 0.0]),
    "pentagon": (pentagon(), [0.4] * 5),
    "pentagon_radius_1.2": (pentagon(1.2), [0.4] * 5),
}


def brute(W):
    """Per feature, with loops: norm, superposition, dimensionality (for one instance)."""
    n = W.shape[1]
    norms = [float(W[:, i].norm()) for i in range(n)]
    sup, dim = [], []
    for i in range(n):
        w_hat = W[:, i] / max(norms[i], 1e-8)
        overlaps = [float(w_hat @ W[:, j]) ** 2 for j in range(n)]
        sup.append(sum(overlaps) - overlaps[i])
        dim.append(norms[i] ** 2 / max(sum(overlaps), 1e-12))
    return torch.tensor(norms), torch.tensor(sup), torch.tensor(dim)


def stacked(*names):
    Ws = [HAND_MADE[n][0] for n in names]
    return torch.stack(Ws)


@pytest.mark.parametrize("name", list(HAND_MADE))
def test_dimensionality_of_hand_made_geometries(name):
    W, expected = HAND_MADE[name]
    W = W[None].clone()
    got = ex.feature_dimensionality(W)
    norms = W[0].norm(dim=0)
    assert_close(got[0], torch.tensor(expected), atol=1e-5, name=f"dimensionality, {name}", mistakes={
        "the numerator is ‖Wᵢ‖, not ‖Wᵢ‖²": lambda: brute(W[0])[2] / norms.clamp(min=1e-8) * (norms > 0),
        "the sum in the denominator leaves out j = i: Dᵢ's denominator runs over all j, i included":
            lambda: norms**2 / brute(W[0])[1].clamp(min=1e-12),
        "Wᵢ is not normalised in the overlaps: use (Ŵᵢ·Wⱼ)² with Ŵᵢ = Wᵢ / ‖Wᵢ‖":
            lambda: norms**2 / ((W[0].T @ W[0]) ** 2).sum(-1).clamp(min=1e-12),
    })


def test_everything_on_random_instances_matches_loops():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 3, 7, generator=g)
    W[1, :, 4] = 0.0  # a dropped feature
    before = W.clone()
    norms, sup, dim = ex.feature_norms(W), ex.superposition(W), ex.feature_dimensionality(W)
    assert_unchanged(before, W, name="W")
    expected = [torch.stack(t) for t in zip(*(brute(W[k]) for k in range(3)))]
    if tuple(norms.shape) == (3, 3):
        raise mistake("norms over the feature axis (rows of W): a feature is a column, W[:, :, i], so take the norm over dim 1")
    assert_close(norms, expected[0], atol=1e-5, name="feature_norms [inst, feat]", mistakes={
        "the squared norm: feature_norms is ‖Wᵢ‖": expected[0] ** 2,
        "norms over the feature axis (rows of W): a feature is a column, W[:, :, i]": lambda: W.norm(dim=2),
    })
    assert_close(sup, expected[1], atol=1e-4, name="superposition [inst, feat]", mistakes={
        "j = i is included: superposition sums over the *other* features": expected[1] + expected[0] ** 2,
        "Wᵢ is not normalised in the overlaps: use (Ŵᵢ·Wⱼ)²": lambda: (torch.einsum("ihf,ihg->ifg", W, W) ** 2).sum(-1)
            - expected[0] ** 4,
    })
    assert_close(dim, expected[2], atol=1e-4, name="feature_dimensionality [inst, feat]")
    assert not torch.isnan(dim).any(), "a dropped (zero) feature must get dimensionality 0, not nan: clamp as the docstring says"
    assert float(dim.sum(dim=1).max()) <= 3 + 1e-4, "the dimensionalities of an instance add up to more than d_hidden"


def test_antipodal_pairs_hand_made():
    W = torch.zeros(2, 2, 4)
    W[0, 0, 0], W[0, 0, 2] = 1.0, -1.0    # instance 0: features 0 and 2 antipodal, 1 and 3 on the other axis
    W[0, 1, 1], W[0, 1, 3], W[0, 0, 3] = 1.0, -0.97, 0.25  # cosine(1, 3) = -0.968
    W[1, 0, 0], W[1, 0, 1] = 1.0, -0.3    # instance 1: feature 1 antipodal to 0 but too small; 2 and 3 orthogonal
    W[1, 1, 2] = 1.0                     # feature 3 dropped (zero)
    got = ex.antipodal_pairs(W)
    if got == [[(0, 2), (1, 3)], [(0, 1)]]:
        raise mistake("a pair counts only if both features are represented (norm > min_norm); feature 1 of instance 1 has norm 0.3")
    assert got == [[(0, 2), (1, 3)], []], f"antipodal_pairs: got {got}, expected [[(0, 2), (1, 3)], []]"
    got = ex.antipodal_pairs(W, min_norm=0.2)
    assert got == [[(0, 2), (1, 3)], [(0, 1)]], f"antipodal_pairs(min_norm=0.2): got {got}, expected [[(0, 2), (1, 3)], [(0, 1)]]"
    got = ex.antipodal_pairs(W, max_cosine=-0.999)
    assert got == [[(0, 2)], []], f"antipodal_pairs(max_cosine=-0.999): got {got}, expected [[(0, 2)], []]"
    if any(isinstance(i, torch.Tensor) for pairs in got for pair in pairs for i in pair):
        raise mistake("the pairs hold tensors: return tuples of Python ints (.tolist() or int(...))")


def test_trained_toys_show_the_papers_fractions():
    runs = trained_toys()
    intro, source = runs["intro"], runs["sae_source"]
    dim = ex.feature_dimensionality(intro["W"])
    sparsity = intro["sparsity"]
    show_scatter({f"S={s:g}": ([1 / (1 - min(s, 0.999))] * 5, dim[k]) for k, s in enumerate(sparsity.tolist())} |
                 {"12 in 4": ([12.0] * 12, ex.feature_dimensionality(source["W"])[0])},
                 title="feature dimensionality vs 1/(1-S)", x_label="1 / (1 - S)", y_label="Dᵢ")
    # measured on the shipped run: instance S=0.7 holds two antipodal pairs (D = 1/2 each, one
    # feature dropped); S=0.9, 0.97, 0.99 hold pentagons (D = 2/5); "sae_source" stores 12 features
    # in 4 dimensions at D = 1/3 each
    represented = ex.feature_norms(intro["W"])[1] > 0.5
    assert_close(dim[1][represented], torch.full((4,), 0.5), atol=0.03, name="D of the S=0.7 instance's represented features (1/2)")
    pairs = ex.antipodal_pairs(intro["W"])
    assert pairs[1] == [(1, 4), (2, 3)], f"the S=0.7 instance holds the antipodal pairs (1, 4) and (2, 3); antipodal_pairs found {pairs[1]}"
    assert_close(dim[3], torch.full((5,), 0.4), atol=0.03, name="D of the S=0.97 instance (a pentagon: 2/5)")
    assert_close(ex.feature_dimensionality(source["W"])[0], torch.full((12,), 1 / 3), atol=0.03,
                 name="D of the 12-features-in-4-dimensions model (1/3)")
