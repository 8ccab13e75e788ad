"""Generate a learner's exercise file from its reference solution.

A solution fences each part the learner writes:

    # BEGIN SOLUTION: sum the diagonal with einops.einsum
    return einops.einsum(mat, "i i ->")
    # END SOLUTION

and the exercise is the same file with every fenced block replaced by one line,
`raise NotImplementedError("sum the diagonal with einops.einsum")`, at the marker's indentation.
Pure text in, text out: the two files can never drift because one is made from the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::[ \t]*(?P<instruction>.*?))?[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
DEFAULT_INSTRUCTION = "write this part"


class MarkerError(ValueError):
    """A solution's markers are unbalanced; the message names the file and line."""


@dataclass(frozen=True)
class StubResult:
    text: str
    blocks: int


def make_stub(solution_text: str, *, source: str = "<solution>") -> StubResult:
    """Replace every fenced block of `solution_text` by a `raise NotImplementedError`."""
    out: list[str] = []
    open_line: int | None = None
    blocks = 0
    for number, line in enumerate(solution_text.splitlines(keepends=True), start=1):
        bare = line.rstrip("\r\n")
        begin = BEGIN.match(bare)
        if begin:
            if open_line is not None:
                raise MarkerError(
                    f"{source}:{number}: BEGIN SOLUTION inside the block opened at line "
                    f"{open_line}; close it with # END SOLUTION first"
                )
            open_line = number
            blocks += 1
            instruction = begin.group("instruction") or DEFAULT_INSTRUCTION
            out.append(f"{begin.group('indent')}raise NotImplementedError({instruction!r})\n")
            continue
        if END.match(bare):
            if open_line is None:
                raise MarkerError(f"{source}:{number}: END SOLUTION without a BEGIN SOLUTION")
            open_line = None
            continue
        if open_line is None:
            out.append(line)
    if open_line is not None:
        raise MarkerError(f"{source}:{open_line}: BEGIN SOLUTION is never closed by # END SOLUTION")
    return StubResult(text="".join(out), blocks=blocks)
