"""Repair UTF-8 text that was read as Windows-1252 or Latin-1 somewhere upstream ("Hamasâ\\x80\\x99s",
"cafÃ©"). Each suspect run is turned back into bytes and kept repaired only when those bytes are valid
UTF-8, so text that merely looks odd is left as it is.

A run is a lead character (Â..ô, the bytes C2..F4 of a multi-byte UTF-8 sequence) followed by exactly
the number of continuation characters that lead announces: the characters of bytes 80..BF in
Windows-1252 or Latin-1, or the same byte written as a literal ``\\x80`` escape (a damaged capture
that went through Python's ``repr``).
"""

from __future__ import annotations

import re

_CONTINUATION_CHARS = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_CONT = rf"(?:[{_CONTINUATION_CHARS}]|\\x[89abAB][0-9a-fA-F])"
_RUN = re.compile(rf"[\u00c2-\u00df]{_CONT}|[\u00e0-\u00ef]{_CONT}{{2}}|[\u00f0-\u00f4]{_CONT}{{3}}")
_UNIT = re.compile(r"\\x[0-9a-fA-F]{2}|.", re.DOTALL)


def _byte(unit: str) -> int:
    if len(unit) == 4:  # a literal \xNN escape
        return int(unit[2:], 16)
    try:
        return unit.encode("cp1252")[0]
    except UnicodeEncodeError:
        return unit.encode("latin-1")[0]


def _repaired(match: re.Match[str]) -> str:
    run = match.group()
    try:
        return bytes(_byte(unit) for unit in _UNIT.findall(run)).decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return run


def repair_mojibake(text: str) -> str:
    """``text`` with every run of UTF-8-read-as-Windows-1252/Latin-1 decoded again; anything else unchanged."""
    return _RUN.sub(_repaired, text) if text else text
