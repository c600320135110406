"""A cheap first pass over a feed document that bounds what the real parser is given: how deeply its
elements nest, how many there are, and how long reading them may take. feedparser's time and memory
grow with the number of elements (1.5 million nested ``<a>`` in 4.5 MB took 26 s and 0.7 GB), so a
document past these limits is refused before feedparser sees it.

The pass is expat with counting handlers only (no tree is built; entities were already refused by
``core.feeds.prolog``). A document expat cannot read to the end (not well-formed, or an encoding
expat does not know) is counted on from there by its ``<`` characters, since feedparser's lenient
parser still reads it."""

from __future__ import annotations

import time
import xml.parsers.expat
from dataclasses import dataclass

CHUNK_BYTES = 256 * 1024


@dataclass(frozen=True)
class ParseLimits:
    max_depth: int  # BEACON_FEED_MAX_DEPTH
    max_elements: int  # BEACON_FEED_MAX_ELEMENTS
    max_seconds: float  # BEACON_FEED_PARSE_TIMEOUT_S


class _Refused(Exception):
    pass


class _Counter:
    def __init__(self, limits: ParseLimits) -> None:
        self.limits = limits
        self.depth = 0
        self.elements = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def start(self, _name: str, _attributes: object) -> None:
        self.depth += 1
        self.elements += 1
        if self.depth > self.limits.max_depth:
            raise _Refused(f"its elements are nested more than {self.limits.max_depth} deep (limit BEACON_FEED_MAX_DEPTH)")
        if self.elements > self.limits.max_elements:
            raise _Refused(_too_many(self.limits.max_elements))

    def end(self, _name: str) -> None:
        self.depth -= 1

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Refused(f"reading it took longer than {self.limits.max_seconds:g} s (limit BEACON_FEED_PARSE_TIMEOUT_S)")


def _too_many(limit: int) -> str:
    return f"it has more than {limit:,} elements (limit BEACON_FEED_MAX_ELEMENTS)"


def _entity_declared(*_args: object) -> None:
    raise _Refused("it declares XML entities (a DTD), which Beacon refuses for safety")


def _expat(counter: _Counter) -> xml.parsers.expat.XMLParserType:
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = counter.start
    parser.EndElementHandler = counter.end
    parser.EntityDeclHandler = _entity_declared
    return parser


def _remaining_start_tags(rest: bytes) -> int:
    """Start tags in what expat could not read: every ``<`` that is not ``</``, ``<!`` or ``<?`` (NULs
    dropped so UTF-16 counts alike). An upper bound, at C speed."""
    text = rest.replace(b"\x00", b"")
    return text.count(b"<") - text.count(b"</") - text.count(b"<!") - text.count(b"<?")


def limits_refusal(body: bytes, limits: ParseLimits) -> str | None:
    """Why ``body`` is too deep, too large in elements or too slow to read (None when it is within the limits)."""
    counter = _Counter(limits)
    parser = _expat(counter)
    position = 0
    try:
        while position < len(body):
            parser.Parse(body[position : position + CHUNK_BYTES], False)
            position += CHUNK_BYTES
            counter.check_time()
        parser.Parse(b"", True)
    except _Refused as refused:
        return str(refused)
    except (xml.parsers.expat.ExpatError, ValueError, LookupError):
        # Not well-formed or an unknown encoding: the lenient parser will read on, so count on.
        read = min(max(parser.CurrentByteIndex, 0), len(body))
        if counter.elements + _remaining_start_tags(body[read:]) > limits.max_elements:
            return _too_many(limits.max_elements)
    return None
