# MISTAKE: the adversarial strings are longer than the model's 40 characters
# NAMED: a string is longer than the model's
"""Break it: find inputs the classifier gets wrong.

Goal: the model is right on more than 99 % of unseen strings of the training mix, but that mix
is not every string there is. Knowing how the model works (and where its training data was
thin) you can aim at its blind spots.

1. `misclassified(model, strings)`: the strings of `strings` whose predicted class (argmax of
   the logits at position 0, padding masked) differs from the rule `is_balanced`, in their
   original order.
2. `adversarial_examples()`: a list of strings (only `(` and `)`, length 1 … 40, the model's
   limit) that the model gets wrong, with at least one **balanced** string it calls
   unbalanced and at least one **unbalanced** string it calls balanced. Find them with
   `misclassified` over candidates you design, then write them down here as literals or a
   short expression; the check runs the model on them.

Ideas worth trying: what do balanced strings of the training mix look like (uniform among all
balanced strings of a length)? How deep do they usually nest? What would a string that is far
from all of them in one quantity, and ordinary in the others, do to the heads that average
over positions?

Rules: anything; `arena_cli.zoo.brackets.classify` is fine to use in `misclassified`.

Worked example: `misclassified(model, ["()", "(", "())("])` -> `[]` (the model gets these right).
"""

from arena_cli.zoo.brackets import classify, is_balanced


def misclassified(model, strings: list[str]) -> list[str]:
    """The strings whose predicted class is wrong."""
    # BEGIN SOLUTION: classify(model, strings) gives 1 for balanced; keep the strings where it disagrees with is_balanced (2 lines)
    predicted = classify(model, strings).tolist()
    return [s for s, p in zip(strings, predicted) if bool(p) != is_balanced(s)]
    # END SOLUTION


def adversarial_examples() -> list[str]:
    """Strings the model gets wrong: at least one balanced and one unbalanced."""
    # BEGIN SOLUTION: deep nesting: 17 or more nested pairs; and one "(" too many in front of 12 or more nested pairs (2 lines)
    deep = [n * "(" + n * ")" for n in (17, 25)]
    return deep + [(n + 1) * "(" + n * ")" for n in (12, 14)]
    # END SOLUTION
