import pytest
import torch
from sae_lens.evals import ExplainedVarianceCalculator
from sae_lens.synthetic.evals import L0Calculator

from arena_cli.course.superposition import hidden_dataset, to_saelens, trained_toys
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_scatter

ex = load_exercise(__file__)


def test_worked_example():
    assert ex.pareto_front([1, 2, 3, 2], [0.5, 0.2, 0.1, 0.3]) == [0, 1, 2], \
        f"pareto_front, worked example: got {ex.pareto_front([1, 2, 3, 2], [0.5, 0.2, 0.1, 0.3])}, expected [0, 1, 2]"


def test_equal_points_do_not_dominate_each_other():
    got = ex.pareto_front([1.0, 1.0, 2.0, 3.0], [0.5, 0.5, 0.1, 0.4])
    if got == [2]:
        raise mistake("equal points dominate each other here: j dominates i only if it is <= on both AND < on one")
    assert got == [0, 1, 2], f"pareto_front([1, 1, 2, 3], [0.5, 0.5, 0.1, 0.4]): got {got}, expected [0, 1, 2] (points 0 and 1 are equal)"


def brute_front(l0s, errors):
    n = len(l0s)
    return [i for i in range(n) if not any(
        l0s[j] <= l0s[i] and errors[j] <= errors[i] and (l0s[j], errors[j]) != (l0s[i], errors[i]) for j in range(n))]


@pytest.mark.parametrize("seed", range(4))
def test_pareto_front_matches_brute_force(seed):
    g = torch.Generator().manual_seed(seed)
    l0s = torch.randint(0, 6, (12,), generator=g).float().tolist()  # ties on purpose
    errors = (torch.randint(0, 6, (12,), generator=g).float() / 10).tolist()
    got = ex.pareto_front(l0s, errors)
    want = brute_front(l0s, errors)
    if set(got) > set(want) and got == [i for i in range(12) if not any(
            l0s[j] < l0s[i] and errors[j] < errors[i] for j in range(12))]:
        raise mistake("domination is required to be strict on both axes: j dominates i when it is <= on both and < on one")
    assert got == want, (f"pareto_front(l0s={l0s}, errors={errors}): got {got}, expected {want}"
                         + ("\nLikely mistake: a point equal to another is not dominated by it (domination needs one strict <)"
                            if set(got) < set(want) else ""))
    assert all(type(i) is int for i in got), "return Python ints"


def test_metrics_match_saelens_calculators():
    g = torch.Generator().manual_seed(5)
    x = torch.randn(200, 4, generator=g) * 2 + 1
    x_hat = x + torch.randn(200, 4, generator=g) * 0.5
    z = torch.relu(torch.randn(200, 10, generator=g) - 0.5)
    before = x.clone()
    calc = ExplainedVarianceCalculator()
    calc.add_batch(x_hat, x)
    got = ex.explained_variance(x, x_hat)
    assert_unchanged(before, x, name="x")
    assert isinstance(got, float), f"explained_variance returns a Python float, got {type(got).__name__}"
    residual, var = ((x - x_hat) ** 2).sum(-1), ((x - x.mean(0)) ** 2).sum(-1)
    assert_close(got, calc.compute(), atol=1e-5, name="explained_variance vs SAELens ExplainedVarianceCalculator", mistakes={
        "the variance is not centred: subtract the batch mean before squaring": 1 - residual.mean().item() / (x**2).sum(-1).mean().item(),
        "the ratio is taken per input and then averaged (the 'legacy' explained variance)": (1 - residual / var).mean().item(),
        "the per-dimension variances are averaged instead of summed on one side only":
            1 - ((x - x_hat) ** 2).mean().item() / ((x - x.mean(0)) ** 2).sum(-1).mean().item(),
    })
    l0 = L0Calculator()
    l0.add_batch(z)
    assert_close(ex.mean_l0(z), l0.compute(), atol=1e-5, name="mean_l0 vs SAELens L0Calculator", mistakes={
        "the L0 counts over the batch axis: count active latents per input, then average": (z != 0).float().sum(0).mean().item(),
        "the L0 is a sum of activations (an L1): count the non-zero ones": z.sum(-1).mean().item(),
    })


def test_the_pareto_picture_of_nine_trained_saes():
    runs = trained_toys()
    source = runs["sae_source"]
    _, h = hidden_dataset(source["W"][0], float(source["sparsity"][0]), 4000, torch.Generator().manual_seed(11))
    points = {}
    with torch.no_grad():
        for name, params in runs["saes"].items():
            kind = "topk" if name.startswith("topk") else "standard"
            extra = {"k": int(name.removeprefix("topk_k"))} if kind == "topk" else {}
            sae = to_saelens(kind, params, **extra)
            z = sae.encode(h)
            points[name] = (ex.mean_l0(z), 1 - ex.explained_variance(h, sae.decode(z)))
    names = list(points)
    l0s, errors = [points[n][0] for n in names], [points[n][1] for n in names]
    front = ex.pareto_front(l0s, errors)
    show_scatter({"ReLU (L1 sweep)": ([p[0] for n, p in points.items() if n.startswith("relu")],
                                      [p[1] for n, p in points.items() if n.startswith("relu")], [n for n in names if n.startswith("relu")]),
                  "TopK (k sweep)": ([p[0] for n, p in points.items() if n.startswith("topk")],
                                     [p[1] for n, p in points.items() if n.startswith("topk")], [n for n in names if n.startswith("topk")]),
                  "Pareto front": ([l0s[i] for i in front], [errors[i] for i in front])},
                 title="L0 vs unexplained variance, 9 SAEs on the toy model's hidden layer", x_label="mean L0",
                 y_label="1 − explained variance")
    assert front == brute_front(l0s, errors), f"Pareto front of the nine SAEs: got {[names[i] for i in front]}"
    # measured (4000 inputs): ReLU L1 0.01/0.03/0.1/0.3/1 -> L0 8.0/6.6/4.9/2.8/1.1 with unexplained
    # variance 0.0003/0.0016/0.020/0.11/0.45; TopK k=1..4 -> L0 = k, 0.16/0.034/0.030/0.024. TopK
    # dominates the two sparsest ReLU SAEs (L1 0.3 and 1), which the L1 penalty shrinks
    assert not {"relu_l1_0.3", "relu_l1_1"} & {names[i] for i in front}, \
        f"the two sparsest ReLU SAEs should be dominated by TopK ones; front {[names[i] for i in front]}"
    for k in (1, 2, 3, 4):
        assert_close(points[f"topk_k{k}"][0], float(k), atol=1e-6, name=f"mean L0 of the TopK SAE with k={k}")
