import torch

from arena_cli.testing import assert_close, load_exercise, mistake
from arena_cli.zoo import brackets as B

from arena_cli.course.brackets import failure_class_of

ex = load_exercise(__file__)


def as_tensor(values) -> torch.Tensor:
    return torch.tensor([bool(v) for v in values])


def only_total(s):
    return s.count("(") == s.count(")")


def only_prefixes(s):
    depth = 0
    for c in s:
        depth += 1 if c == "(" else -1
        if depth < 0:
            return False
    return True


def signs_swapped(s):
    return B.is_balanced(s.translate(str.maketrans("()", ")(")))


def test_is_balanced_matches_the_generator_on_every_short_string(short_strings):
    got = as_tensor(ex.is_balanced(s) for s in short_strings)
    assert_close(got, as_tensor(B.is_balanced(s) for s in short_strings),
                 name="is_balanced over all 2 047 strings of length <= 10 vs the generator's rule",
                 mistakes={
                     "you only compare the counts of ( and ): a prefix with more ) than ( must also fail (e.g. '())(')":
                         lambda: as_tensor(only_total(s) for s in short_strings),
                     "you only check that no prefix goes below 0: the total must also be 0 (e.g. '(()')":
                         lambda: as_tensor(only_prefixes(s) for s in short_strings),
                     "the signs are swapped: '(' is +1 and ')' is -1":
                         lambda: as_tensor(signs_swapped(s) for s in short_strings),
                 })


def test_is_balanced_on_long_held_out_strings(held_out):
    got = as_tensor(ex.is_balanced(s) for s in held_out)
    assert_close(got, as_tensor(B.is_balanced(s) for s in held_out), name="is_balanced on 160 held-out strings of length up to 40")


def test_elevations():
    for s in ["", "(", ")", "())(", "((()))()", ")))(((", "(()(()))())"]:
        expected, depth = [], 0
        for c in s:
            depth += 1 if c == "(" else -1
            expected.append(depth)
        got = ex.elevations(s)
        assert isinstance(got, list), f"elevations({s!r}) should be a list, got {type(got).__name__}"
        if got != expected:
            before = [0] + expected[:-1]
            if got == before:
                raise mistake("you record the elevation before each character; record it after",
                              f"elevations({s!r}): got {got}, expected {expected}")
            raise AssertionError(f"elevations({s!r}): got {got}, expected {expected}")


def test_failure_class(short_strings, held_out):
    strings = short_strings + held_out
    for s in strings:
        got, want = ex.failure_class(s), failure_class_of(s)
        if got == want:
            continue
        if want == "elevation" and got == "negative_prefix":
            raise mistake("a string with total != 0 is class 'elevation' even when a prefix also goes negative: test the total first",
                          f"failure_class({s!r}) = {got!r}, expected 'elevation'")
        raise AssertionError(f"failure_class({s!r}) = {got!r}, expected {want!r}")
