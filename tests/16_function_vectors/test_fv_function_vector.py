import pytest
import torch

from arena_cli.course.function_vectors import function_vector, mean_z, prompts, run_with_last, steered_accuracy, task_index
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_lines
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
LAYERS = list(range(model.cfg.n_layers))
RANKED = [tuple(h) for h in icl.FV_RANKED_HEADS]  # heads by average indirect effect, measured on the shipped model
TASKS = ["cipher1", "upper", "upper_cipher2"]


def task_means(name: str) -> torch.Tensor:
    few, _ = prompts(task_index(name), 48, icl.FV_EXAMPLES, seed=task_index(name))
    return mean_z(model, few)


@pytest.mark.parametrize("n", [1, 2, 5], ids=lambda n: f"{n}_heads")
def test_function_vector_is_the_sum_of_head_outputs(n):
    z_means = task_means("cipher3")
    kept = z_means.clone()
    heads = RANKED[:n]
    got = ex.function_vector(model, z_means, heads)
    assert_unchanged(kept, z_means, name="mean_z")
    with_bias = lambda: function_vector(model, z_means, heads) + sum(model.b_O[layer] for layer, _ in heads)
    assert_close(got, function_vector(model, z_means, heads), atol=1e-5, name=f"function vector of the top {n} heads",
                 mistakes={"those are the heads' z (before W_O): a head's output is z @ W_O[layer, head], a d_model vector": sum(z_means[l, h] for l, h in heads),
                           "b_O was added: it belongs to the whole layer, not to a head's output": with_bias})


@pytest.mark.parametrize("layer", LAYERS, ids=[f"layer_{l}" for l in LAYERS])
def test_add_to_last_adds_at_the_last_position_only(layer):
    tokens, _ = prompts(task_index("cipher5"), 8, 2, seed=layer)
    vector = function_vector(model, task_means("cipher5"), RANKED[: icl.FV_HEADS])
    kept = vector.clone()
    got = ex.add_to_last(model, tokens, vector, layer)
    assert_unchanged(kept, vector, name="vector")
    assert_close(got, run_with_last(model, tokens, layer, vector), atol=1e-4, name=f"logits with the vector added before block {layer}",
                 mistakes={"the vector was added at every position; add it at the last one (the query)": lambda: run_with_last(model, tokens, layer, vector, every_position=True),
                           "the residual was replaced by the vector; add the vector to it": lambda: run_with_last(model, tokens, layer, vector, replace=True)})


def test_accuracy_by_number_of_heads():
    counts = [0, 1, 2, 3, 4, 8]
    series = {}
    for name in TASKS:
        z_means = task_means(name)
        zero, answers = prompts(task_index(name), 24, 0, seed=50 + task_index(name))
        got = ex.accuracy_by_heads(model, z_means, RANKED, zero, answers, icl.FV_LAYER, counts)
        expected = [steered_accuracy(model, zero, answers, icl.FV_LAYER, function_vector(model, z_means, RANKED[:n]) if n else torch.zeros(model.cfg.d_model)) for n in counts]
        everywhere = lambda: torch.tensor([steered_accuracy(model, zero, answers, icl.FV_LAYER, function_vector(model, z_means, RANKED[:n]) if n else torch.zeros(model.cfg.d_model), every_position=True) for n in counts])
        assert_close(torch.tensor(got), torch.tensor(expected), atol=1e-6, name=f"task {name}: zero-shot accuracy by number of heads in the vector",
                     mistakes={"the function vector was added at every position; only at the last": everywhere,
                               "the vector of the first n + 1 heads was built: for a count n use the top n heads, ranked[:n]":
                                   lambda: torch.tensor([steered_accuracy(model, zero, answers, icl.FV_LAYER, function_vector(model, z_means, RANKED[:n + 1])) for n in counts])})
        series[name] = got
    show_lines(series, x=counts, title=f"zero-shot accuracy with the function vector added before block {icl.FV_LAYER}",
               x_label="heads in the function vector (by average indirect effect)", y_label="accuracy")


def test_accuracy_by_layer():
    series = {}
    for name in TASKS:
        vector = function_vector(model, task_means(name), RANKED[: icl.FV_HEADS])
        zero, answers = prompts(task_index(name), 32, 0, seed=60 + task_index(name))
        got = ex.accuracy_by_layer(model, vector, zero, answers)
        assert isinstance(got, list) and len(got) == len(LAYERS), f"one accuracy per layer ({len(LAYERS)}), got {got!r}"
        expected = [steered_accuracy(model, zero, answers, l, vector) for l in LAYERS]
        assert_close(torch.tensor(got), torch.tensor(expected), atol=1e-6, name=f"task {name}: zero-shot accuracy with its function vector, by layer")
        series[name] = got
    show_lines(series, x=LAYERS, title=f"zero-shot accuracy with the function vector of the top {icl.FV_HEADS} heads, by layer",
               x_label="layer (residual entering the block)", y_label="accuracy")
