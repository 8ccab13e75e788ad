"""Bytes read from a terminal in cbreak mode -> key names (pure, tested).

Printable characters are lowercased (`N` works like `n`), except `G`, which is the key `end`
(as in less and rustlings' list). Escape sequences become names: `up`, `down`, `left`, `right`,
`pageup`, `pagedown`, `home`, `end`; a lone ESC is `escape`; Enter is `enter`; Backspace is
`backspace`. An unknown sequence is dropped whole, so its letters never act as keys.
"""

from __future__ import annotations

_SEQUENCES = {
    "[A": "up", "[B": "down", "[C": "right", "[D": "left",
    "OA": "up", "OB": "down", "OC": "right", "OD": "left",
    "[5~": "pageup", "[6~": "pagedown",
    "[H": "home", "[F": "end", "OH": "home", "OF": "end",
    "[1~": "home", "[4~": "end", "[7~": "home", "[8~": "end",
}


def decode_keys(data: str) -> list[str]:
    keys: list[str] = []
    index = 0
    while index < len(data):
        char = data[index]
        if char == "\x1b":
            rest = data[index + 1 :]
            if not rest or rest[0] not in "[O":
                keys.append("escape")
                index += 1
                continue
            # CSI / SS3: ESC [ params final, the final byte in @..~
            end = 1
            while end < len(rest) and not ("@" <= rest[end] <= "~" and not (rest[0] == "[" and rest[end] in "[")):
                end += 1
            sequence = rest[: end + 1]
            name = _SEQUENCES.get(sequence)
            if name:
                keys.append(name)
            index += 1 + len(sequence)
            continue
        if char in "\r\n":
            keys.append("enter")
        elif char in "\x7f\b":
            keys.append("backspace")
        elif char == "G":
            keys.append("end")
        else:
            keys.append(char.lower())
        index += 1
    return keys
