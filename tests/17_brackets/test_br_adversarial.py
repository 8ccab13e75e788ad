import torch

from arena_cli.testing import assert_close, load_exercise, mistake, show_bars
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)


def wrong_ones(model, strings):
    tokens, mask = B.encode(strings)
    logits = model(tokens, attention_mask=mask)[:, 0]
    predicted = logits.argmax(-1)
    return [s for s, p in zip(strings, predicted.tolist()) if p != int(B.is_balanced(s))], logits


def test_misclassified(model, held_out):
    candidates = held_out + [n * "(" + n * ")" for n in range(1, 21)] + [(n + 1) * "(" + n * ")" for n in range(1, 20)]
    want, _ = wrong_ones(model, candidates)
    got = ex.misclassified(model, candidates)
    assert isinstance(got, list), f"misclassified should return a list of strings, got {type(got).__name__}"
    if got != want:
        right = [s for s in candidates if s not in want]
        if got == right:
            raise mistake("you returned the strings the model gets right", f"{len(got)} strings")
        raise AssertionError(f"misclassified: got {len(got)} strings {got[:4]}…, expected {len(want)}: {want[:4]}…")
    assert ex.misclassified(model, ["()", "(", "())("]) == []


def test_adversarial_examples_fool_the_model(model):
    strings = ex.adversarial_examples()
    assert isinstance(strings, list) and strings, "adversarial_examples should return a non-empty list of strings"
    for s in strings:
        assert isinstance(s, str) and s and set(s) <= set("()"), f"{s!r}: only ( and ), at least one character"
        if len(s) > B.MAX_LEN:
            raise mistake(f"a string is longer than the model's {B.MAX_LEN} characters: it reads at most {B.MAX_LEN}",
                          f"{s[:12]!r}… has {len(s)} characters")
    wrong, logits = wrong_ones(model, strings)
    right = [s for s in strings if s not in wrong]
    show_bars([s if len(s) <= 12 else f"{s[:5]}…({len(s)})" for s in strings],
              (logits[:, B.BALANCED] - logits[:, B.UNBALANCED]).tolist(),
              title="your strings: logit(balanced) - logit(unbalanced)", y_label="logit diff")
    if right:
        raise mistake("some strings are ones the model gets right: keep only strings it misclassifies", f"the model gets these right: {right}")
    kinds = {B.is_balanced(s) for s in strings}
    if kinds != {True, False}:
        missing = "a balanced string the model calls unbalanced" if True not in kinds else "an unbalanced string the model calls balanced"
        raise mistake(f"all your strings are of one class: add {missing}")
    assert_close(torch.tensor(len(wrong)), torch.tensor(len(strings)), name="number of misclassified strings")
