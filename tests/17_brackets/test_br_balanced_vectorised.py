import torch

from arena_cli.testing import assert_close, assert_unchanged, load_exercise
from arena_cli.zoo import brackets as B

ex = load_exercise(__file__)


def labels(strings):
    return torch.tensor([B.is_balanced(s) for s in strings])


def reference_flags(strings):
    total = torch.tensor([s.count("(") != s.count(")") for s in strings])
    negative = torch.tensor([not all(h >= 0 for h in _heights(s)) for s in strings])
    return total, negative


def _heights(s):
    depth, out = 0, []
    for c in s:
        depth += 1 if c == "(" else -1
        out.append(depth)
    return out


def reference_elevation(tokens):
    """A loop over the token ids, position by position."""
    out = torch.zeros_like(tokens)
    for row in range(tokens.shape[0]):
        depth = 0
        for col in range(tokens.shape[1]):
            depth += {B.OPEN: 1, B.CLOSE: -1}.get(int(tokens[row, col]), 0)
            out[row, col] = depth
    return out


def pad_as_close(tokens):
    steps = torch.where(tokens == B.OPEN, 1, -1)
    steps[:, 0] = 0
    return steps


def test_steps_and_elevation_on_the_worked_example():
    tokens, _ = B.encode(["())(", "("])
    before = tokens.clone()
    assert_close(ex.bracket_steps(tokens), torch.tensor([[0, 1, -1, -1, 1], [0, 1, 0, 0, 0]]),
                 name="bracket_steps of '())(' and '(' padded to width 5",
                 mistakes={
                     "<pad> counts as ')' : only token 3 is a closing bracket, <pad> (1) and <start> (0) are 0":
                         lambda: pad_as_close(tokens),
                 })
    assert_close(ex.elevation(tokens), torch.tensor([[0, 1, 0, -1, 0], [0, 1, 1, 1, 1]]),
                 name="elevation of the worked example",
                 mistakes={"the cumulative sum runs along the batch axis: it runs along the positions (dim=-1)":
                           lambda: ex.bracket_steps(tokens).cumsum(0)})
    assert_unchanged(before, tokens, name="tokens")


def test_elevation_matches_a_loop(held_out):
    tokens, _ = B.encode(held_out)
    assert_close(ex.elevation(tokens), reference_elevation(tokens), name="elevation [batch, pos] vs a position-by-position loop",
                 mistakes={"the cumulative sum runs along the batch axis: it runs along the positions (dim=-1)":
                           lambda: ex.bracket_steps(tokens).cumsum(0),
                           "<pad> counts as ')' : only token 3 is a closing bracket, <pad> (1) and <start> (0) are 0":
                           lambda: pad_as_close(tokens).cumsum(-1)})


def test_flags_match_the_generator(short_strings, held_out):
    for name, strings in (("all strings of length <= 10", short_strings[1:]), ("held-out strings", held_out)):
        tokens, _ = B.encode(strings)
        total, negative = ex.failure_flags(tokens)
        want_total, want_negative = reference_flags(strings)
        assert_close(total, want_total, name=f"failure_flags: total != 0, on {name}")
        assert_close(negative, want_negative, name=f"failure_flags: a prefix below 0, on {name}",
                     mistakes={"a prefix below 0 is about the lowest elevation (amin), not the last one":
                               lambda: ex.elevation(tokens)[:, -1] < 0})


def test_is_balanced_matches_the_generator(short_strings, held_out):
    strings = short_strings[1:] + held_out
    tokens, _ = B.encode(strings)
    total, negative = reference_flags(strings)
    assert_close(ex.is_balanced(tokens), labels(strings), name="is_balanced vs the generator's rule (2 206 strings)",
                 mistakes={"you only test the total elevation: a negative prefix must fail too": lambda: ~total,
                           "you only test the prefixes: the total must be 0 too": lambda: ~negative})


def test_padding_counts_as_nothing():
    # the same strings, alone and inside a batch padded to width 41
    strings = ["()", "())(", "((", "(())"]
    alone = torch.cat([ex.is_balanced(B.encode([s])[0]) for s in strings])
    batched = ex.is_balanced(B.encode(strings + ["(" * 40])[0])[:-1]
    assert_close(batched, alone, name="is_balanced of strings padded in a wide batch vs alone",
                 mistakes={"<pad> counts as ')' : only token 3 is a closing bracket": lambda: torch.tensor([False] * 4)})
    assert_close(alone, labels(strings), name="is_balanced of single strings")
