import torch

from arena_cli.course.function_vectors import function_vector, mean_z, prompts, steered_accuracy
from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_bars
from arena_cli.zoo import icl, load

ex = load_exercise(__file__)
model = load("icl")
TASKS = [0, 2, 5, 6, 9, 11]  # a subset of the tasks, in order: "the next task" is the next one here
N_TASKS = len(TASKS)
HEADS = [tuple(h) for h in icl.FV_RANKED_HEADS[: icl.FV_HEADS]]


def test_random_like_has_the_norm_and_a_fresh_direction():
    vector = torch.tensor([3.0, 4.0] * 8)
    kept = vector.clone()
    got = ex.random_like(vector, torch.Generator().manual_seed(5))
    assert_unchanged(kept, vector, name="vector")
    draw = torch.randn(vector.shape, generator=torch.Generator().manual_seed(5))
    again = ex.random_like(vector, torch.Generator().manual_seed(5))
    if not torch.equal(got, again) and abs(float(got.norm()) - float(vector.norm())) < 1e-4:
        raise mistake("the draw ignores the generator it was given (two calls with equally seeded generators differ): "
                      "pass generator=generator to torch.randn", f"first call: {got.tolist()}\nsecond call: {again.tolist()}")
    assert_close(got, draw / draw.norm() * vector.norm(), atol=1e-5, name="random_like(vector) with seed 5",
                 mistakes={"the draw was not rescaled: it must have the norm of `vector`": draw,
                           "the draw was scaled to norm 1, not to the norm of `vector`": draw / draw.norm(),
                           "the draw was multiplied by the vector's norm without dividing by its own": draw * vector.norm()})


def test_function_vector_against_its_controls():
    vectors, zero, answers = [], [], []
    for t in TASKS:
        few, _ = prompts(t, 32, icl.FV_EXAMPLES, seed=70 + t)
        vectors.append(function_vector(model, mean_z(model, few), HEADS))
        z, a = prompts(t, 16, 0, seed=80 + t)
        zero.append(z); answers.append(a)
    vectors = torch.stack(vectors)
    got = ex.control_accuracies(model, vectors, zero, answers, icl.FV_LAYER, torch.Generator().manual_seed(1))
    assert set(got) == {"none", "function_vector", "other_task", "random"}, f"keys: {sorted(got)}"
    g = torch.Generator().manual_seed(1)
    expected = {"none": [], "function_vector": [], "other_task": [], "random": []}
    for t in range(N_TASKS):
        draw = torch.randn(vectors[t].shape, generator=g)
        expected["none"].append(steered_accuracy(model, zero[t], answers[t], icl.FV_LAYER, torch.zeros_like(vectors[t])))
        expected["function_vector"].append(steered_accuracy(model, zero[t], answers[t], icl.FV_LAYER, vectors[t]))
        expected["other_task"].append(steered_accuracy(model, zero[t], answers[t], icl.FV_LAYER, vectors[(t + 1) % N_TASKS]))
        expected["random"].append(steered_accuracy(model, zero[t], answers[t], icl.FV_LAYER, draw / draw.norm() * vectors[t].norm()))
    for key in expected:
        assert_close(torch.tensor(got[key]), torch.tensor(expected[key]), atol=1e-6, name=f"accuracy per task: {key}",
                     mistakes={"that is the accuracy with the task's own vector; the other-task control uses vectors[(t + 1) % n]": torch.tensor(expected["function_vector"])} if key == "other_task" else None)
    means = {key: sum(v) / N_TASKS for key, v in got.items()}
    show_bars(list(means), list(means.values()), title="zero-shot accuracy, mean over tasks", x_label="added vector", y_label="accuracy")
