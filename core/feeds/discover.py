"""The feeds a web page names: ``<link rel="alternate" type="application/rss+xml" href=…>`` in its head (feed
autodiscovery, as browsers and feed readers do it), so an analyst who pastes a site's address is told the feed's."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
HEAD_BYTES = 512 * 1024  # the links live in the head; a page's body is never needed
MAX_LINKS = 5


class _FeedLinks(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = page_url
        self.links: list[tuple[str, str]] = []  # (absolute URL, title)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "base" and values.get("href"):
            self.base = urljoin(self.base, values["href"])
        if tag != "link" or "alternate" not in values.get("rel", "").lower().split():
            return
        if values.get("type", "").lower().split(";")[0].strip() not in FEED_TYPES or not values.get("href"):
            return
        url = urljoin(self.base, values["href"])
        if urlsplit(url).scheme in ("http", "https") and url not in (known for known, _ in self.links):
            self.links.append((url, " ".join(values.get("title", "").split())))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            raise _HeadEnded


class _HeadEnded(Exception):
    pass


def feed_links(body: bytes, page_url: str) -> list[tuple[str, str]]:
    """(absolute feed URL, title) for each RSS, Atom or JSON feed the page links to in its head, in page order (at most five)."""
    parser = _FeedLinks(page_url)
    try:
        parser.feed(body[:HEAD_BYTES].decode("utf-8", errors="replace"))
        parser.close()
    except _HeadEnded:
        pass
    return parser.links[:MAX_LINKS]


def feed_links_text(links: list[tuple[str, str]]) -> str:
    """"; the page names its feed: https://…/rss.xml ('Top news'): use that address as the feed's URL" ("" for none)."""
    if not links:
        return ""
    named = ", ".join(f"{url} ({title!r})" if title else url for url, title in links)
    if len(links) == 1:
        return f"; the page names its feed: {named}: use that address as the feed's URL"
    return f"; the page names {len(links)} feeds: {named}: use one of these addresses as the feed's URL"
