import pytest
import torch

from arena_cli.course.superposition import generate_batch, trained_toys
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_bars, show_heatmap

ex = load_exercise(__file__)


def brute_forward(model, x, hidden_relu=True, out_relu=True):
    outs = []
    for k in range(x.shape[1]):
        W, b = model.W[k].detach(), model.b_final[k].detach()
        h = x[:, k] @ W.T
        h = torch.relu(h) if hidden_relu else h
        o = h @ W + b
        outs.append(torch.relu(o) if out_relu else o)
    return torch.stack(outs, dim=1)


@pytest.mark.parametrize("n_inst, n_feat, d_hidden", [(3, 6, 4), (2, 5, 5)], ids=["3x6x4", "square_2x5x5"])
def test_forward_has_a_relu_on_the_neurons(n_inst, n_feat, d_hidden):
    g = torch.Generator().manual_seed(n_feat)
    model = ex.NeuronModel(n_inst, n_feat, d_hidden, g)
    with torch.no_grad():
        model.b_final.copy_(torch.randn(n_inst, n_feat, generator=g) * 0.3)
        x = generate_batch(40, torch.zeros(n_inst), n_feat, g)
        got = model(x)
    assert_close(got, brute_forward(model, x), atol=1e-5, name="NeuronModel forward", mistakes={
        "the hidden ReLU is missing: h = ReLU(W x)": lambda: brute_forward(model, x, hidden_relu=False),
        "the output ReLU is missing: x' = ReLU(Wᵀ h + b)": lambda: brute_forward(model, x, out_relu=False),
    })


def brute_counts(W, threshold):
    inst, hid, feat = W.shape
    per = torch.zeros(inst, hid, dtype=torch.int64)
    for k in range(inst):
        for n in range(hid):
            per[k, n] = sum(1 for i in range(feat) if W[k, n, i] > threshold)
    return per


def test_worked_example():
    W = torch.tensor([[[0.9, 0.1, -0.8], [0.5, 0.6, 0.0]]])
    assert_close(ex.features_per_neuron(W, 0.3), torch.tensor([[1, 2]]), name="features_per_neuron, worked example")
    assert_close(ex.neuron_counts(W, 0.3), torch.tensor([[1, 1]]), name="neuron_counts, worked example")


@pytest.mark.parametrize("threshold", [0.2, 0.5])
def test_counts_match_loops(threshold):
    g = torch.Generator().manual_seed(1)
    W = torch.randn(4, 5, 5, generator=g) * 0.5  # square on purpose: a count over the wrong axis has the right shape
    before = W.clone()
    per = ex.features_per_neuron(W, threshold)
    assert_unchanged(before, W, name="W")
    expected = brute_counts(W, threshold)
    assert_close(per, expected, name=f"features_per_neuron(threshold={threshold})", mistakes={
        "|W| is compared with the threshold: only positive weights make a neuron fire, count W > threshold":
            lambda: (W.abs() > threshold).sum(-1),
        "counted over the neuron axis (neurons per feature): count features per neuron, along the last axis":
            lambda: (W > threshold).sum(1),
    })
    counts = ex.neuron_counts(W, threshold)
    want = torch.stack([(expected == 1).sum(-1), (expected >= 2).sum(-1)], dim=-1)
    assert_close(counts, want, name=f"neuron_counts(threshold={threshold}) [inst, (mono, poly)]", mistakes={
        "dead neurons (no feature above the threshold) are counted as monosemantic": lambda: torch.stack(
            [(expected <= 1).sum(-1), (expected >= 2).sum(-1)], dim=-1),
    })


def test_sparser_features_make_more_polysemantic_neurons():
    run = trained_toys()["neurons"]
    W, sparsity = run["W"], run["sparsity"]
    counts = ex.neuron_counts(W, 0.3)
    show_heatmap(W[0], title=f"neuron weights W, sparsity {sparsity[0]:g}", vmin=None, vmax=None, scale="diverging",
                 x_label="feature", y_label="neuron")
    show_heatmap(W[-1], title=f"neuron weights W, sparsity {sparsity[-1]:g}", vmin=None, vmax=None, scale="diverging",
                 x_label="feature", y_label="neuron")
    show_bars([f"S={s:g}" for s in sparsity.tolist()], counts[:, 1], title="polysemantic neurons (of 5), threshold 0.3")
    per = brute_counts(W, 0.3)
    assert_close(counts, torch.stack([(per == 1).sum(-1), (per >= 2).sum(-1)], -1), name="neuron_counts on the trained neuron models")
    # measured on the shipped run: 5 monosemantic neurons at S=0, all 5 polysemantic from S=0.9 on
    assert counts[0].tolist() == [5, 0] and int(counts[-1, 1]) == 5, f"(mono, poly) per instance: {counts.tolist()}"
