"""The rule the model has to learn, written as a plain loop.

Goal: a string of `(` and `)` is **balanced** when

  1. it has as many `(` as `)` (its total *elevation* is 0), and
  2. no prefix has more `)` than `(` (the running elevation never goes below 0).

Walk the string once, keeping the elevation (+1 for `(`, -1 for `)`):

1. `elevations(string)`: the running elevation after each character, as a list of ints
   (one per character; `[]` for the empty string).
2. `is_balanced(string)`: both conditions above.
3. `failure_class(string)`: why a string is not balanced, one of
   - `"balanced"`,
   - `"elevation"`: the total elevation is not 0 (whatever its prefixes do),
   - `"negative_prefix"`: the total is 0, but some prefix goes below 0.

These two failure classes are the two things the model must detect; later exercises ask
which of its components detects which.

Rules: plain Python (no torch, no regular expressions); one pass over the string.

Worked example:
    elevations("())(")     -> [1, 0, -1, 0]
    is_balanced("())(")    -> False   (total 0, but the prefix "())" is at -1)
    failure_class("())(")  -> "negative_prefix"
    failure_class("(()")   -> "elevation"
    failure_class(")(")    -> "negative_prefix"
    failure_class("")      -> "balanced"
"""


def elevations(string: str) -> list[int]:
    """The running elevation after each character."""
    raise NotImplementedError('a running total, +1 for "(" and -1 for ")", appended after each character (about 5 lines)')


def is_balanced(string: str) -> bool:
    """Equal counts and no prefix below 0."""
    raise NotImplementedError('return False as soon as the elevation is negative; at the end, the elevation must be 0 (about 6 lines)')


def failure_class(string: str) -> str:
    """"balanced", "elevation" (total != 0) or "negative_prefix" (total 0, a prefix below 0)."""
    raise NotImplementedError('test the total first, then the lowest prefix (about 6 lines)')
