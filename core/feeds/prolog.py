"""Read an XML document's prolog (what comes before the root element) without an XML parser:
does it declare a DTD with entities (or is it otherwise unsafe to hand to a parser), and what is
its root element? Linear time and one copy of the bytes, so a hostile document cannot make it slow
or large."""

from __future__ import annotations

import re
from dataclasses import dataclass

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_NAME = re.compile(rb"[A-Za-z_:][-A-Za-z0-9_:.]*")
_DOCTYPE_NAME = re.compile(rb"<!DOCTYPE\s+([A-Za-z_:][-A-Za-z0-9_:.]*)", re.IGNORECASE)
_DOCTYPE_SPECIAL = re.compile(rb"[\"'\[>]")
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SPACE = re.compile(rb"\s*")
ENTITY_SCAN_BYTES = 64 * 1024
MAX_PROLOG_PARTS = 1000
DTD_REFUSAL = "it declares XML entities (a DTD), which Beacon refuses for safety"


@dataclass(frozen=True)
class Prolog:
    refusal: str | None  # why Beacon will not parse it: an internal DTD subset, an ``<!ENTITY``, ...
    doctype: str | None  # the DOCTYPE's name, e.g. "html" or "rss"
    root: str | None  # the first element's name, e.g. "rss", "feed", "html", "urlset"; None if not markup


def _ascii_view(body: bytes) -> bytes:
    # Markup in UTF-16/UTF-32 is ASCII with NUL bytes in between; dropping them lets one scan fit all.
    text = body.replace(b"\x00", b"")
    for bom in _BOMS:
        if text.startswith(bom):
            return text[len(bom) :]
    return text


def _skip(text: bytes, pos: int, end_marker: bytes) -> int:
    end = text.find(end_marker, pos)
    return len(text) if end < 0 else end + len(end_marker)


def _doctype(text: bytes, pos: int) -> tuple[int, bool, str | None]:
    """Scan ``<!DOCTYPE name ... [subset]>`` from ``pos``: (end, has internal subset, name)."""
    head = _DOCTYPE_NAME.match(text, pos)
    name = head.group(1).decode("ascii") if head else None
    index = pos + len(b"<!DOCTYPE")
    while (special := _DOCTYPE_SPECIAL.search(text, index)) is not None:
        char = special.group()
        if char == b"[":
            return special.start(), True, name
        if char == b">":
            return special.end(), False, name
        index = _skip(text, special.end(), char)  # a quoted public or system id may contain [ or >
    return len(text), False, name


def read_prolog(body: bytes) -> Prolog:
    text = _ascii_view(body)
    pos, doctype = 0, None
    for _ in range(MAX_PROLOG_PARTS):
        pos = _SPACE.match(text, pos).end()
        if text.startswith(b"<?", pos):
            pos = _skip(text, pos, b"?>")
        elif text.startswith(b"<!--", pos):
            pos = _skip(text, pos, b"-->")
        elif text[pos : pos + 9].upper() == b"<!DOCTYPE":
            pos, subset, doctype = _doctype(text, pos)
            if subset:
                return Prolog(DTD_REFUSAL, doctype, None)
        else:
            name = _NAME.match(text, pos + 1) if text.startswith(b"<", pos) else None
            root = name.group().decode("ascii") if name else None
            entity = _ENTITY.search(text, 0, ENTITY_SCAN_BYTES) is not None
            return Prolog(DTD_REFUSAL if entity else None, doctype, root)
    return Prolog("it has more than a thousand comments or instructions before its content", doctype, None)
