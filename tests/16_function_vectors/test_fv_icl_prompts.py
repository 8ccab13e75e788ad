import pytest
import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise, mistake, show_lines
from arena_cli.zoo import icl, load

from arena_cli.course.function_vectors import prompts

ex = load_exercise(__file__)
model = load("icl")


def random_pairs(batch: int, n: int, task: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    xs = torch.stack([torch.randperm(16, generator=g)[:n] for _ in range(batch)])
    return xs + icl.FIRST_LETTER, icl.TASK_TABLE[task][xs]


def test_worked_example():
    tokens, answers = ex.build_prompts(torch.tensor([[3, 5, 8]]), torch.tensor([[19, 21, 24]]))
    assert_close(tokens, torch.tensor([[0, 3, 19, 5, 21, 8]]), atol=0, name="prompt of the worked example")
    assert_close(answers, torch.tensor([24]), atol=0, name="answer of the worked example")
    shuffled = ex.shuffle_labels(tokens, torch.tensor([[1, 0]]))
    assert_close(shuffled, torch.tensor([[0, 3, 21, 5, 19, 8]]), atol=0, name="shuffled worked example")


@pytest.mark.parametrize("n", [1, 2, 6], ids=["zero_shot", "one_example", "five_examples"])
def test_prompts_read_like_the_tokenizer_writes_them(n):
    task = icl.TASK_NAMES.index("upper_cipher2")
    xs, ys = random_pairs(4, n, task, seed=n)
    before = (xs.clone(), ys.clone())
    tokens, answers = ex.build_prompts(xs, ys)
    assert_unchanged(before[0], xs, name="xs")
    assert_unchanged(before[1], ys, name="ys")
    words = [[(icl.VOCAB[x], icl.VOCAB[y]) for x, y in zip(row_x.tolist(), row_y.tolist())] for row_x, row_y in zip(xs, ys)]
    texts = [" ".join(f"{x} {y}" for x, y in row[:-1]) + f" {row[-1][0]}" for row in words]
    expected = torch.cat([model.to_tokens(text) for text in texts])  # <bos> prepended by the tokenizer
    with_answer = torch.cat([expected, ys[:, -1:]], dim=1)
    no_bos = expected[:, 1:]
    swapped = torch.cat([expected[:, :1], torch.stack([ys, xs], 2).flatten(1)[:, :-1]], 1)
    assert_close(tokens, expected, atol=0, name=f"prompts with {n - 1} examples (tokenized text: {texts[0]!r})",
                 mistakes={"the answer (the last y) was left in the prompt: it must end with the query x": with_answer,
                           "the prompt must start with <bos> (token 0)": no_bos,
                           "each pair must be x then y, not y then x": swapped})
    assert_close(answers, ys[:, -1], atol=0, name="answers (the last output of each row)")


def test_shuffle_moves_outputs_only():
    xs, ys = random_pairs(6, 6, icl.TASK_NAMES.index("cipher1"), seed=4)
    tokens, _ = ex.build_prompts(xs, ys)
    order = torch.stack([torch.randperm(5, generator=torch.Generator().manual_seed(i)) for i in range(6)])
    before = tokens.clone()
    got = ex.shuffle_labels(tokens, order)
    assert_unchanged(before, tokens, name="tokens")
    expected = tokens.clone()
    inputs_moved = tokens.clone()
    scattered = tokens.clone()
    for b in range(6):
        for i in range(5):
            expected[b, 2 + 2 * i] = tokens[b, 2 + 2 * order[b, i]]
            inputs_moved[b, 1 + 2 * i] = tokens[b, 1 + 2 * order[b, i]]
            scattered[b, 2 + 2 * order[b, i]] = tokens[b, 2 + 2 * i]
    pairs_moved = inputs_moved.clone()
    pairs_moved[:, 2::2] = expected[:, 2::2]
    assert_close(got, expected, atol=0, name="shuffled prompts (example i gets the output of example order[i])",
                 mistakes={"the inputs were shuffled instead of the outputs": inputs_moved,
                           "whole examples were reordered: each x must get another example's y": pairs_moved,
                           "output i was sent to slot order[i] (a scatter); take it from slot order[i] (a gather)": scattered})


def brute_accuracy(tokens, answers) -> float:
    right = 0
    for row, answer in zip(tokens, answers):
        logits = model(row[None])[0, -1]
        right += int(int(logits.argmax()) == int(answer))
    return right / len(answers)


def test_accuracy_on_zero_few_and_shuffled_prompts():
    tasks = torch.arange(len(icl.TASK_NAMES)).repeat(3)
    curves = {"clean": [], "shuffled labels": []}
    for k in range(0, 6):
        tokens, answers = prompts(tasks, len(tasks), k, seed=40 + k)
        got = ex.last_position_accuracy(model, tokens, answers)
        assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
        logits = model(tokens)
        wrong_position = float((logits[:, -2].argmax(-1) == answers).float().mean())
        assert_close(got, brute_accuracy(tokens, answers), atol=1e-6, name=f"accuracy after {k} examples",
                     mistakes={"the prediction is read at the last position (-1), not the one before": wrong_position})
        curves["clean"].append(got)
        shuffled, answers = prompts(tasks, len(tasks), k, seed=40 + k, shuffled=True)
        curves["shuffled labels"].append(ex.last_position_accuracy(model, shuffled, answers))
    show_lines(curves, x=list(range(6)), title="icl model: accuracy at the last position",
               x_label="examples in the prompt", y_label="accuracy")


def test_accuracy_is_a_fraction_of_prompts_not_of_positions():
    tokens, answers = prompts(torch.arange(len(icl.TASK_NAMES)), len(icl.TASK_NAMES), 4, seed=3)
    got = ex.last_position_accuracy(model, tokens, answers)
    every = float((model(tokens).argmax(-1) == answers[:, None]).float().mean())
    if abs(got - every) < 1e-6 and abs(got - brute_accuracy(tokens, answers)) > 1e-6:
        raise mistake("compare only the last position's prediction with the answer, not every position's")
    assert_close(got, brute_accuracy(tokens, answers), atol=1e-6, name="accuracy after 4 examples")
