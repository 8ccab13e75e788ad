# MISTAKE: failure_class tests the negative prefix before the total
# NAMED: test the total first
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
    # BEGIN SOLUTION: a running total, +1 for "(" and -1 for ")", appended after each character (about 5 lines)
    out, depth = [], 0
    for char in string:
        depth += 1 if char == "(" else -1
        out.append(depth)
    return out
    # END SOLUTION


def is_balanced(string: str) -> bool:
    """Equal counts and no prefix below 0."""
    # BEGIN SOLUTION: return False as soon as the elevation is negative; at the end, the elevation must be 0 (about 6 lines)
    depth = 0
    for char in string:
        depth += 1 if char == "(" else -1
        if depth < 0:
            return False
    return depth == 0
    # END SOLUTION


def failure_class(string: str) -> str:
    """"balanced", "elevation" (total != 0) or "negative_prefix" (total 0, a prefix below 0)."""
    # BEGIN SOLUTION: test the total first, then the lowest prefix (about 6 lines)
    heights = elevations(string)
    if heights and min(heights) < 0:
        return "negative_prefix"
    if heights and heights[-1] != 0:
        return "elevation"
    return "balanced"
    # END SOLUTION
