import torch

from arena_cli.course.function_vectors import function_vector, mean_z, prompts, steered_accuracy
from arena_cli.testing import assert_close, load_exercise, show_bars
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
N_TASKS = len(icl.TASK_NAMES)
HEADS = [tuple(h) for h in icl.FV_RANKED_HEADS[: icl.FV_HEADS]]
INDEX = {name: i for i, name in enumerate(icl.TASK_NAMES)}
COMPOSITIONS = [(INDEX[a], INDEX[b], INDEX[c], INDEX[d]) for (a, b, c), d in icl.COMPOSITIONS.items()]


def test_compose_worked_example_and_order():
    vectors = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    got = ex.compose(vectors, 3, 1, 4)
    assert_close(got, vectors[3] + vectors[1] - vectors[4], atol=1e-6, name="compose(vectors, 3, 1, 4)",
                 mistakes={"c must be subtracted: FV(a) + FV(b) - FV(c)": vectors[3] + vectors[1] + vectors[4],
                           "c was left out: the shared part must be subtracted": vectors[3] + vectors[1],
                           "the wrong vector was subtracted: FV(a) + FV(b) - FV(c)": vectors[3] - vectors[1] + vectors[4]})
    worked = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert_close(ex.compose(worked, 0, 1, 2), torch.tensor([0.0, 0.0]), atol=0, name="worked example")


def test_composition_accuracy():
    vectors, zero, answers = [], [], []
    for t in range(N_TASKS):
        few, _ = prompts(t, 32, icl.FV_EXAMPLES, seed=90 + t)
        vectors.append(function_vector(model, mean_z(model, few), HEADS))
        z, a = prompts(t, 24, 0, seed=100 + t)
        zero.append(z); answers.append(a)
    vectors = torch.stack(vectors)
    got = ex.composition_accuracy(model, vectors, COMPOSITIONS, zero, answers, icl.FV_LAYER)
    assert isinstance(got, list) and len(got) == len(COMPOSITIONS), f"one dict per composition, got {got!r}"
    for (a, b, c, d), result in zip(COMPOSITIONS, got):
        acc = lambda v: steered_accuracy(model, zero[d], answers[d], icl.FV_LAYER, v)
        expected = dict(composed=acc(vectors[a] + vectors[b] - vectors[c]), a=acc(vectors[a]), b=acc(vectors[b]))
        name = f"{icl.TASK_NAMES[a]} + {icl.TASK_NAMES[b]} - {icl.TASK_NAMES[c]} on {icl.TASK_NAMES[d]}"
        assert set(result) == {"composed", "a", "b"}, f"{name}: keys {sorted(result)}"
        assert_close(torch.tensor([result[k] for k in ("composed", "a", "b")]), torch.tensor([expected[k] for k in ("composed", "a", "b")]),
                     atol=1e-6, name=f"{name}: accuracy with the composed vector, with a alone, with b alone",
                     mistakes={"the composed vector is a plain sum: subtract FV(c)": lambda: torch.tensor([acc(vectors[a] + vectors[b]), expected["a"], expected["b"]]),
                               "the accuracies were measured on the prompts of task a: measure on the composed task d's prompts and answers":
                                   lambda: torch.tensor([steered_accuracy(model, zero[a], answers[a], icl.FV_LAYER, v)
                                                         for v in (vectors[a] + vectors[b] - vectors[c], vectors[a], vectors[b])])})
    show_bars([icl.TASK_NAMES[d] for *_, d in COMPOSITIONS], [r["composed"] for r in got],
              title="zero-shot accuracy with FV(upper) + FV(map) - FV(copy)", x_label="composed task", y_label="accuracy")
