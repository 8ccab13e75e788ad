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
    tokens, answers = ex.build_prompts(torch.tensor([[3, 5, 8]]), torch.tensor([[35, 101, 200]]))
    assert_close(tokens, torch.tensor([[0, 3, 35, 5, 101, 8]]), atol=0, name="prompt of the worked example")
    assert_close(answers, torch.tensor([200]), atol=0, name="answer of the worked example")
    shuffled = ex.shuffle_labels(tokens, torch.tensor([[1, 0]]))
    assert_close(shuffled, torch.tensor([[0, 3, 37, 5, 99, 8]]), atol=0, name="shuffled worked example (a:C, c:A)")


@pytest.mark.parametrize("n", [1, 2, 6], ids=["zero_shot", "one_example", "five_examples"])
def test_prompts_read_like_the_tokenizer_writes_them(n):
    task = icl.TASK_NAMES.index("upper_cipher2")
    xs, examples = random_pairs(4, n, task, seed=n)
    before = (xs.clone(), examples.clone())
    tokens, answers = ex.build_prompts(xs, examples)
    assert_unchanged(before[0], xs, name="xs")
    assert_unchanged(before[1], examples, name="examples")
    texts = [" ".join(f"{icl.VOCAB[x]} {icl.VOCAB[e]}" for x, e in zip(row_x[:-1].tolist(), row_e[:-1].tolist())) + f" {icl.VOCAB[row_x[-1]]}"
             for row_x, row_e in zip(xs, examples)]
    expected = torch.cat([model.to_tokens(text.strip()) for text in texts])  # <bos> prepended by the tokenizer
    with_answer = torch.cat([expected, examples[:, -1:]], dim=1)
    no_bos = expected[:, 1:]
    swapped = torch.cat([expected[:, :1], torch.stack([examples, xs], 2).flatten(1)[:, :-1]], 1)
    assert_close(tokens, expected, atol=0, name=f"prompts with {n - 1} examples (tokenized text: {texts[0].strip()!r})",
                 mistakes={"the answer (the last example) was left in the prompt: it must end with the query x": with_answer,
                           "the prompt must start with <bos> (token 0)": no_bos,
                           "each pair must be x then its example token, not the other way round": swapped})
    assert_close(answers, examples[:, -1], atol=0, name="answers (the last example token of each row)")


def pair(x_token: int, y: int) -> int:
    return icl.FIRST_PAIR + 32 * (x_token - icl.FIRST_LETTER) + y


def test_shuffle_gives_each_input_another_example_output():
    xs, examples = random_pairs(6, 6, icl.TASK_NAMES.index("upper_cipher1"), seed=4)
    tokens, _ = ex.build_prompts(xs, examples)
    order = torch.stack([torch.randperm(5, generator=torch.Generator().manual_seed(i)) for i in range(6)])
    before = tokens.clone()
    got = ex.shuffle_labels(tokens, order)
    assert_unchanged(before, tokens, name="tokens")
    out = lambda b, i: (int(tokens[b, 2 + 2 * i]) - icl.FIRST_PAIR) % 32
    expected, moved, scattered, whole = tokens.clone(), tokens.clone(), tokens.clone(), tokens.clone()
    for b in range(6):
        for i in range(5):
            j = int(order[b, i])
            expected[b, 2 + 2 * i] = pair(int(tokens[b, 1 + 2 * i]), out(b, j))
            moved[b, 2 + 2 * i] = tokens[b, 2 + 2 * j]
            scattered[b, 2 + 2 * j] = pair(int(tokens[b, 1 + 2 * j]), out(b, i))
            whole[b, 1 + 2 * i], whole[b, 2 + 2 * i] = tokens[b, 1 + 2 * j], tokens[b, 2 + 2 * j]
    assert_close(got, expected, atol=0, name="shuffled prompts (example i = x_i : output of example order[i])",
                 mistakes={"the example tokens were moved as they are: each must be rebuilt from its own input x_i and the other example's output": moved,
                           "whole examples were reordered (x and example together): the mapping is intact, nothing is corrupted": whole,
                           "output i was sent to example order[i] (a scatter); take it from example order[i] (a gather)": scattered})


def brute_accuracy(tokens, answers) -> float:
    right = 0
    for row, answer in zip(tokens, answers):
        logits = model(row[None])[0, -1]
        right += int(int(logits.argmax()) == int(answer))
    return right / len(answers)


def test_accuracy_on_zero_few_and_shuffled_prompts():
    tasks = torch.arange(len(icl.TASK_NAMES)).repeat(2)
    curves = {"clean": [], "shuffled labels": []}
    for k in range(0, 6):
        tokens, answers = prompts(tasks, len(tasks), k, seed=40 + k)
        got = ex.last_position_accuracy(model, tokens, answers)
        assert isinstance(got, float), f"return a Python float, got {type(got).__name__}"
        logits = model(tokens)
        expected = brute_accuracy(tokens, answers) if k in (0, 3) else float((logits[:, -1].argmax(-1) == answers).float().mean())
        wrong_position = float((logits[:, -2].argmax(-1) == answers).float().mean())
        assert_close(got, expected, atol=1e-6, name=f"accuracy after {k} examples",
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
