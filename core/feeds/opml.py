"""Feeds in bulk: read and write the feed list as OPML, the outline format every feed reader imports and exports.

Reading is as careful as reading a feed: a document that declares a DTD or entities is refused before any
parser sees it (``core.feeds.prolog``), its size is capped (``BEACON_FEED_MAX_BYTES``), its nesting, element
count and reading time are bounded (``core.feeds.limits``), and expat reads it with counting handlers only.
Each ``<outline>`` with an ``xmlUrl`` is a feed; the titles of the outlines around it (the reader's folders)
and its ``category`` attribute become its topic tags.

Importing adds each feed through ``add_feed``, the one function that adds a single feed, so the name, URL
and private-address (SSRF) rules are the same; a feed whose URL is already registered is skipped. The report
has one line per skipped or rejected entry with the reason."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from core.auth import record, requires
from core.feeds.limits import ParseLimits, limits_refusal
from core.feeds.manage import add_feed, list_feeds
from core.feeds.prolog import read_prolog
from core.feeds.safety import FeedError, normalise_feed_url
from core.settings import get_settings
from core.wording import count_of

__all__ = ["ImportReport", "OpmlEntry", "OpmlError", "ReportLine", "export_opml", "import_opml", "read_opml"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in XML 1.0


class OpmlError(ValueError):
    """The OPML document as a whole cannot be read; the message says why (and where)."""


@dataclass(frozen=True)
class OpmlEntry:
    line: int  # where its <outline> starts in the file
    title: str
    url: str
    topics: tuple[str, ...] = ()
    problem: str | None = None  # why it is not a usable feed outline (e.g. no xmlUrl)


@dataclass(frozen=True)
class ReportLine:
    line: int
    title: str
    url: str
    outcome: str  # "skipped" | "rejected"
    reason: str

    def text(self) -> str:
        who = repr(self.title) if self.title else "(untitled outline)"
        where = f" <{self.url}>" if self.url else ""
        return f"line {self.line}: {who}{where} {self.outcome}: {self.reason}"


@dataclass
class ImportReport:
    added: list[OpmlEntry] = field(default_factory=list)
    skipped: list[ReportLine] = field(default_factory=list)  # already registered (same URL)
    rejected: list[ReportLine] = field(default_factory=list)  # what add_feed refused, or no usable URL

    def summary(self) -> str:
        return f"{count_of(len(self.added), 'feed')} added, {len(self.skipped)} already present (skipped), {len(self.rejected)} rejected."

    def lines(self) -> list[str]:
        """One line per skipped or rejected entry, in file order."""
        return [entry.text() for entry in sorted(self.skipped + self.rejected, key=lambda e: e.line)]

    def rows(self) -> list[dict[str, object]]:
        """The same, as table rows: line, outline title, URL, outcome, reason."""
        ordered = sorted(self.skipped + self.rejected, key=lambda e: e.line)
        return [{"line": e.line, "title": e.title, "url": e.url, "outcome": e.outcome, "reason": e.reason} for e in ordered]

    @property
    def level(self) -> str:
        if self.rejected:
            return "warning" if self.added else "error"
        return "success" if self.added else "info"


# --- reading -----------------------------------------------------------------------------------


class _Reader:
    """expat handlers: collect feed outlines with the titles of the folders around them."""

    def __init__(self, parser: xml.parsers.expat.XMLParserType) -> None:
        self.parser = parser
        self.path: list[str] = []  # element names from the root
        self.folders: list[str | None] = []  # per open <outline>: its title when it is a folder, else None
        self.entries: list[OpmlEntry] = []
        self.root: str | None = None
        self.saw_body = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
        self.path.append(name)
        if name == "body" and self.path[:-1] == ["opml"]:
            self.saw_body = True
        if name != "outline" or "body" not in self.path:
            return
        attrs = {key.lower(): value for key, value in attributes.items()}
        title = " ".join((attrs.get("title") or attrs.get("text") or "").split())
        url = (attrs.get("xmlurl") or "").strip()
        if not url:
            self.folders.append(title or None)
            if attrs.get("type", "").lower() in ("rss", "atom"):
                self._add(title, "", "the outline has no xmlUrl attribute (the feed's address)")
            return
        self.folders.append(None)
        tags = [folder for folder in self.folders if folder]
        tags += [part.strip("/ ") for part in attrs.get("category", "").split(",") if part.strip("/ ")]
        self._add(title, url, None, tags)

    def _add(self, title: str, url: str, problem: str | None, tags: Iterable[str] = ()) -> None:
        self.entries.append(OpmlEntry(self.parser.CurrentLineNumber, title, url, tuple(tags), problem))

    def end(self, name: str) -> None:
        self.path.pop()
        if name == "outline" and "body" in self.path:
            self.folders.pop()


def _entity_declared(*_args: object) -> None:
    raise OpmlError("The OPML file was refused because it declares XML entities (a DTD), which Beacon refuses for safety.")


def _limits() -> ParseLimits:
    settings = get_settings()
    return ParseLimits(settings.feed_max_depth, settings.feed_max_elements, settings.feed_parse_timeout_s)


def opml_upload_limit_mb() -> int:
    """The largest OPML file accepted, in whole megabytes for the uploader to say (BEACON_FEED_MAX_BYTES, as for a
    feed; the exact byte limit is checked on import)."""
    return max(1, math.ceil(get_settings().feed_max_bytes / 2**20))


def _check_document(body: bytes) -> None:
    limit = get_settings().feed_max_bytes
    if len(body) > limit:
        raise OpmlError(f"The OPML file is {len(body):,} bytes, over the limit of {limit:,} bytes (BEACON_FEED_MAX_BYTES).")
    if not body.replace(b"\x00", b"").strip():
        raise OpmlError("The OPML file is empty.")
    prolog = read_prolog(body)
    if prolog.refusal:
        raise OpmlError(f"The OPML file was refused because {prolog.refusal}.")
    if prolog.root is None:
        raise OpmlError("The file is not OPML: it is not XML (an OPML file starts with <opml> or <?xml ...?>).")
    if prolog.root != "opml":
        raise OpmlError(f"The file is not OPML: its root element is <{prolog.root}>, not <opml>.")
    if too_big := limits_refusal(body, _limits()):
        raise OpmlError(f"The OPML file was refused because {too_big}.")


def read_opml(body: bytes) -> list[OpmlEntry]:
    """The feed outlines of an OPML document, in file order; OpmlError saying why for a document that
    is not OPML, is not well-formed, declares a DTD, has no <body> or no feed outlines."""
    _check_document(body)
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    reader = _Reader(parser)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.EntityDeclHandler = _entity_declared
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        raise OpmlError(f"The OPML file is not well-formed XML: {reason} at line {exc.lineno}, column {exc.offset}.") from None
    except (ValueError, LookupError) as exc:  # e.g. an encoding expat does not know
        if isinstance(exc, OpmlError):
            raise
        raise OpmlError(f"The OPML file cannot be read: {exc}.") from None
    if not reader.saw_body:
        raise OpmlError("The OPML file has no <body> element, where the feed outlines belong.")
    if not reader.entries:
        raise OpmlError("The OPML file lists no feeds: no <outline> in its <body> has an xmlUrl attribute.")
    return reader.entries


# --- importing and exporting -------------------------------------------------------------------


def _url_key(url: str) -> str:
    try:
        return normalise_feed_url(url)
    except FeedError:
        return url.strip()


@requires("admin", "import feeds")
def import_opml(body: bytes, interval_minutes: int | None = None) -> ImportReport:
    """Add every feed of an OPML document that is not registered yet, each through ``add_feed`` (same
    validation and address rules as one feed). OpmlError when the document cannot be read at all."""
    entries = read_opml(body)
    known = {_url_key(feed.url): feed.name for feed in list_feeds()}
    report = ImportReport()
    for entry in entries:
        if entry.problem:
            report.rejected.append(ReportLine(entry.line, entry.title, entry.url, "rejected", entry.problem))
            continue
        key = _url_key(entry.url)
        if key in known:
            reason = f"already present as the feed {known[key]!r}"
            report.skipped.append(ReportLine(entry.line, entry.title, entry.url, "skipped", reason))
            continue
        try:
            add_feed(entry.title, entry.url, entry.topics, interval_minutes)
        except ValueError as exc:
            report.rejected.append(ReportLine(entry.line, entry.title, entry.url, "rejected", str(exc)))
        else:
            known[key] = entry.title
            report.added.append(entry)
    counts = {"added": len(report.added), "skipped": len(report.skipped), "rejected": len(report.rejected)}
    record("feeds imported", "OPML", detail=counts)
    return report


def _xml_text(value: str) -> str:
    return _CONTROL.sub("", value)


@requires("admin", "export feeds")
def export_opml(title: str = "Beacon feeds") -> bytes:
    """The feed list as an OPML 2.0 document (UTF-8): one outline per feed with its name, URL and topic
    tags (as ``category``). Admin-only because a feed URL may carry credentials. Not audited: the page
    builds it on every run to offer the download."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC), usegmt=True)
    body = ET.SubElement(root, "body")
    for feed in list_feeds():
        name = _xml_text(feed.name)
        attributes = {"type": "rss", "text": name, "title": name, "xmlUrl": _xml_text(feed.url)}
        if feed.topics:
            attributes["category"] = ",".join("/" + _xml_text(topic) for topic in feed.topics)
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"
