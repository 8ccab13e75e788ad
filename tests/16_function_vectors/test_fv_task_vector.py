import pytest
import torch

from arena_cli.course.function_vectors import last_resid, prompts, run_with_last, steered_accuracy, task_index
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, show_lines
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
LAYERS = list(range(model.cfg.n_layers))
TASKS = ["cipher1", "upper", "upper_cipher3"]


@pytest.mark.parametrize("layer", LAYERS, ids=[f"layer_{l}" for l in LAYERS])
def test_mean_last_resid(layer):
    tokens, _ = prompts(task_index("cipher2"), 24, 5, seed=layer)
    before = tokens.clone()
    got = ex.mean_last_resid(model, tokens, layer)
    assert_unchanged(before, tokens, name="tokens")
    name = f"blocks.{layer}.hook_resid_pre"
    _, cache = model.run_with_cache(tokens)
    assert_close(got, last_resid(model, tokens, layer).mean(0), atol=1e-5, name=f"mean residual entering block {layer} at the last position",
                 mistakes={"the mean is over every position; take only the last one (-1)": cache[name].mean((0, 1)),
                           "that is the residual leaving the block (hook_resid_post); use the one entering it (hook_resid_pre)":
                               cache[f"blocks.{layer}.hook_resid_post"][:, -1].mean(0)})


@pytest.mark.parametrize("layer", LAYERS, ids=[f"layer_{l}" for l in LAYERS])
def test_patch_replaces_only_the_last_position(layer):
    tokens, _ = prompts(task_index("copy"), 8, 0, seed=10 + layer)
    vector = torch.randn(model.cfg.d_model, generator=torch.Generator().manual_seed(layer))
    kept = vector.clone()
    got = ex.patch_last_resid(model, tokens, vector, layer)
    assert_unchanged(kept, vector, name="vector")
    assert_close(got, run_with_last(model, tokens, layer, vector, replace=True), atol=1e-4,
                 name=f"logits with the last position's residual entering block {layer} replaced",
                 mistakes={"the vector was added to the residual; the task vector *replaces* it": lambda: run_with_last(model, tokens, layer, vector),
                           "every position was replaced; only the last one (the query) is": lambda: run_with_last(model, tokens, layer, vector, replace=True, every_position=True)})


def test_accuracy_by_layer_with_the_few_shot_mean():
    series = {}
    for name in TASKS:
        t = task_index(name)
        few, _ = prompts(t, 48, 5, seed=20 + t)
        zero, answers = prompts(t, 32, 0, seed=30 + t)
        got = ex.task_vector_accuracy(model, few, zero, answers)
        assert isinstance(got, list) and len(got) == len(LAYERS), f"one accuracy per layer ({len(LAYERS)}), got {got!r}"
        expected = [steered_accuracy(model, zero, answers, l, last_resid(model, few, l).mean(0), replace=True) for l in LAYERS]
        from_zero = lambda: [steered_accuracy(model, zero, answers, l, last_resid(model, zero, l).mean(0), replace=True) for l in LAYERS]
        added = lambda: [steered_accuracy(model, zero, answers, l, last_resid(model, few, l).mean(0)) for l in LAYERS]
        assert_close(torch.tensor(got), torch.tensor(expected), atol=1e-6, name=f"task {name}: zero-shot accuracy with its task vector, by layer",
                     mistakes={"the mean was taken over the zero-shot prompts; the task vector is the mean over the few-shot ones": lambda: torch.tensor(from_zero()),
                               "the task vector was added; it replaces the last position's residual": lambda: torch.tensor(added())})
        series[name] = got
    show_lines(series, x=LAYERS, title="zero-shot accuracy with the few-shot task vector written in at the last position",
               x_label="layer (residual entering the block)", y_label="accuracy")
