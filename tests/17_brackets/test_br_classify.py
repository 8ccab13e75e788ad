import torch

from arena_cli.testing import assert_close, load_exercise, show_bars
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)

MIXED = ["(())", "())(", "(", "()()((()))", ")(", "((((((((((((((((((((", "(()(()))((()))"]


def reference(model, strings, **kwargs):
    tokens, mask = B.encode(strings)
    return model(tokens, attention_mask=mask, **kwargs)


def test_probability_of_a_mixed_batch(model):
    tokens, mask = B.encode(MIXED)
    logits = reference(model, MIXED)
    want = logits[:, 0].softmax(-1)[:, B.BALANCED]
    got = ex.balanced_probability(model, MIXED)
    assert_close(got, want, atol=1e-5, name="P(balanced) of a batch of strings of different lengths",
                 mistakes={
                     "the padding is not masked: pass attention_mask=mask, or the <pad> tokens change the answer":
                         lambda: model(tokens)[:, 0].softmax(-1)[:, B.BALANCED],
                     "that is P(unbalanced): index 0 is unbalanced, index 1 (BALANCED) is balanced":
                         lambda: logits[:, 0].softmax(-1)[:, B.UNBALANCED],
                     "the class is read at position 0 (<start>), not at the last position":
                         lambda: logits[:, -1].softmax(-1)[:, B.BALANCED],
                     "those are logits, not probabilities: take the softmax over the 2 classes":
                         lambda: logits[:, 0, B.BALANCED],
                 })


def test_answers_on_the_worked_example(model):
    p = ex.balanced_probability(model, ["(())", "())("])
    assert float(p[0]) > 0.99 and float(p[1]) < 0.01, f"expected about [1, 0], got {p.tolist()}"


def test_accuracy_on_held_out_strings(model, held_out):
    predicted = B.classify(model, held_out)
    truth = torch.tensor([B.is_balanced(s) for s in held_out]).long()
    want = float((predicted == truth).float().mean())
    got = ex.accuracy(model, held_out)
    assert_close(got, want, atol=1e-6, name="accuracy on 160 held-out strings vs zoo.brackets.classify",
                 mistakes={"you compare with the wrong label: P > 0.5 means balanced": 1.0 - want})
    per_kind = []
    for i, kind in enumerate(B.KINDS):
        per_kind.append(ex.accuracy(model, held_out[40 * i : 40 * (i + 1)]))
    show_bars(list(B.KINDS), per_kind, title="accuracy on held-out strings, by kind", y_label="accuracy")
    assert want > 0.95
