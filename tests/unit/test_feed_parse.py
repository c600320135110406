"""Parsing feed documents: formats, plain-text summaries, safe links, and refusing hostile or broken XML."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from unittest import mock

import feedparser
import pytest

from core.feeds import FeedError, parse_feed, plain_text, read_feed
from tests.conftest import shared_data
from tests.support.feed_server import rss_feed

URL = "https://news.example.com/feed.xml"

RSS20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Markets</title><link>https://news.example.com/</link><description>d</description>
<item>
  <title>Acme profit &amp; sales rise</title>
  <link>https://news.example.com/a/1</link>
  <guid isPermaLink="false">acme-1</guid>
  <description>&lt;p&gt;Acme &lt;b&gt;beat&lt;/b&gt; estimates.&lt;/p&gt;&lt;p&gt;Shares   rose.&lt;/p&gt;</description>
  <pubDate>Tue, 05 Mar 2024 14:30:00 +0200</pubDate>
</item>
<item>
  <title>Second item</title>
  <link>https://news.example.com/a/2</link>
  <pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
</item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://filings.example.com/">
  <title>Filings</title><id>urn:filings</id><updated>2024-03-05T10:00:00Z</updated>
  <entry>
    <id>urn:filing:42</id>
    <title type="html">8-K &lt;i&gt;current&lt;/i&gt; report</title>
    <link rel="alternate" href="/filings/42"/>
    <updated>2024-03-05T10:00:00-05:00</updated>
    <content type="html">&lt;div&gt;Item 2.02 Results of Operations&lt;/div&gt;</content>
  </entry>
</feed>"""

RSS091 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old news</title><link>http://old.example.com/</link><description>d</description>
<language>en</language>
<item><title>Caf\xe9 chain expands</title><link>http://old.example.com/1</link><description>First</description></item>
<item><title>Second</title><link>http://old.example.com/2</link></item>
</channel></rss>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title><item><title>&lol9;</title></item></channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title><item><title>&xxe;</title><link>https://e.com/1</link></item></channel></rss>"""


def _rss_item(inner: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>{inner}</item></channel></rss>'.encode()


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        work()
    except FeedError:
        pass
    return time.perf_counter() - started


def _refused_fast(body: bytes) -> str:
    """Refused by the cheap checks before feedparser (whose time and memory grow with the document) sees it,
    in less time than feedparser takes for an ordinary 200-item feed, measured here and now so a loaded
    machine slows both alike. Without the checks these documents took feedparser tens of seconds."""
    ordinary = rss_feed([{"title": f"Item {i}", "link": f"https://e.com/{i}", "description": "Profit rose " * 20} for i in range(200)])
    parse_feed(ordinary, URL)  # warm up
    baseline = min(_seconds(lambda: parse_feed(ordinary, URL)) for _ in range(3))
    with mock.patch.object(feedparser, "parse", side_effect=AssertionError("feedparser was given a refused document")):
        with pytest.raises(FeedError) as caught:
            parse_feed(body, URL)
        took = min(_seconds(lambda: parse_feed(body, URL)) for _ in range(2))
    assert took < 5 * baseline, f"refusing took {took:.3f} s; an ordinary feed parses in {baseline:.3f} s"
    return str(caught.value)


# --- formats ---------------------------------------------------------------------------------


def test_rss_20_items_have_plain_text_fields_and_utc_dates():
    first, second = parse_feed(RSS20, URL)
    assert first.guid == "acme-1" and first.link == "https://news.example.com/a/1"
    assert first.title == "Acme profit & sales rise"
    assert first.summary == "Acme beat estimates. Shares rose."
    assert first.published_at == datetime(2024, 3, 5, 12, 30)  # +02:00 converted to naive UTC
    assert second.guid == "https://news.example.com/a/2"  # no guid: the link identifies the item
    assert second.published_at == datetime(2024, 3, 5, 10, 0)


def test_atom_entries_use_content_when_there_is_no_summary_and_resolve_relative_links():
    (entry,) = parse_feed(ATOM, URL)
    assert entry.guid == "urn:filing:42"
    assert entry.title == "8-K current report"
    assert entry.summary == "Item 2.02 Results of Operations"
    assert entry.link == "https://filings.example.com/filings/42"
    assert entry.published_at == datetime(2024, 3, 5, 15, 0)


def test_rss_091_with_an_external_doctype_is_read():
    items = parse_feed(RSS091, URL)
    assert [i.title for i in items] == ["Café chain expands", "Second"]
    assert items[0].published_at is None  # the crawler falls back to the fetch time


def test_utf16_feeds_are_read():
    items = parse_feed(RSS20.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"), URL)
    assert len(items) == 2 and items[0].title == "Acme profit & sales rise"


def test_a_plain_text_title_keeps_its_angle_brackets():
    (item,) = parse_feed(_rss_item("<title>Profit&lt;Loss at AT&amp;T</title><link>https://e.com/1</link>"), URL)
    assert item.title == "Profit<Loss at AT&T"


def test_a_feed_without_items_is_empty_not_an_error():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title><link>https://e.com/</link></channel></rss>'
    assert parse_feed(body, URL) == []


def test_an_empty_atom_feed_is_empty_not_an_error():
    assert parse_feed(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>', URL) == []


# --- identity, dates and links -----------------------------------------------------------------


def test_an_item_without_id_or_link_gets_a_stable_hash_guid():
    body = _rss_item("<title>Only a title</title><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>")
    (first,), (again,) = parse_feed(body, URL), parse_feed(body, URL)
    assert first.guid.startswith("sha1:") and first.guid == again.guid and first.link is None


def test_a_very_long_guid_is_hashed_to_fit_its_column():
    (item,) = parse_feed(_rss_item(f"<title>t</title><guid isPermaLink='false'>{'x' * 3000}</guid>"), URL)
    assert item.guid.startswith("sha1:") and len(item.guid) < 100


@pytest.mark.parametrize(
    "link", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,hi", "mailto:a@b.c", "ftp://e.com/x"]
)
def test_only_http_links_are_kept(link):
    (item,) = parse_feed(_rss_item(f"<title>t</title><link>{link}</link><guid>g1</guid>"), URL)
    assert item.link is None and item.guid == "g1"


def test_a_relative_rss_link_is_made_absolute_against_the_feed_url():
    (item,) = parse_feed(_rss_item("<title>t</title><link>/markets/3</link>"), URL)
    assert item.link == "https://news.example.com/markets/3"


def test_an_unparseable_date_becomes_none():
    (item,) = parse_feed(_rss_item("<title>t</title><pubDate>sometime soon</pubDate>"), URL)
    assert item.published_at is None


# --- summaries -----------------------------------------------------------------------------------


def test_script_and_style_are_removed_from_summaries():
    description = "&lt;script&gt;alert('x')&lt;/script&gt;&lt;style&gt;p{}&lt;/style&gt;Safe &lt;img src=x onerror=alert(1)&gt;text"
    (item,) = parse_feed(_rss_item(f"<title>t</title><description>{description}</description>"), URL)
    assert item.summary == "Safe text"
    assert "script" not in item.summary and "alert" not in item.summary and "<" not in item.summary


def test_cdata_html_in_a_summary_is_flattened():
    body = _rss_item("<title>t</title><description><![CDATA[<p>One&nbsp;&amp; <a href='x'>two</a></p><br/>three]]></description>")
    (item,) = parse_feed(body, URL)
    assert item.summary == "One & two three"


def test_long_summaries_are_capped():
    (item,) = parse_feed(_rss_item(f"<title>t</title><description>{'word ' * 2000}</description>"), URL)
    assert 1500 < len(item.summary) <= 2000 and item.summary.endswith("…")


def test_plain_text_removes_control_characters():
    assert plain_text("a\x00b\x07 <b>c</b>") == "ab c"


# --- refused and broken documents ---------------------------------------------------------------


def test_billion_laughs_is_refused_fast():
    assert "entities" in _refused_fast(BILLION_LAUGHS)


def test_external_entities_are_refused_fast():
    message = _refused_fast(XXE)
    assert "entities" in message and "root:" not in message


def test_a_dtd_hidden_behind_a_long_prolog_is_refused():
    body = b'<?xml version="1.0"?>' + b"<!--" + b"padding " * 50_000 + b"-->" + XXE.split(b"?>", 1)[1]
    assert "entities" in _refused_fast(body)


def test_a_utf16_entity_declaration_is_refused():
    assert "entities" in _refused_fast(BILLION_LAUGHS.decode().replace('<?xml version="1.0"?>', "").encode("utf-16"))


def test_a_huge_entity_free_prolog_is_refused_fast():
    assert "comments" in _refused_fast(b"<!---->" * 200_000 + b"<rss/>")


@pytest.mark.parametrize("body", [b"", b"   \n\t ", b"\x00\x00"])
def test_an_empty_response_is_reported(body):
    with pytest.raises(FeedError, match="the response was empty"):
        parse_feed(body, URL)


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Hi</p></body></html>",
        b"<html><body>Log in to continue</body></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>x</p></body></html>',
        b"\n\n  <!-- a CMS comment -->\n<!doctype HTML>\n<html lang='en'><body></body></html>",
    ],
)
def test_an_html_page_is_reported_as_not_a_feed(body):
    with pytest.raises(FeedError, match="the URL returned an HTML page, not an RSS/Atom feed") as caught:
        parse_feed(body, URL)
    assert URL in str(caught.value)


def test_a_web_page_that_names_its_feeds_says_which_addresses_to_use_instead():
    page = (b'<!DOCTYPE html><html><head><title>Markets</title>'
            b'<link rel="alternate" type="application/rss+xml" title="Top  news" href="/rss/top.xml">'
            b'<link rel="stylesheet" href="/site.css"><link rel="alternate" hreflang="fr" href="/fr/">'
            b'<link rel="alternate" type="application/atom+xml" href="https://feeds.example.org/markets.atom">'
            b'<link rel="alternate" type="application/rss+xml" href="javascript:void(0)">'
            b'</head><body><link rel="alternate" type="application/rss+xml" href="/in-the-body.xml"></body></html>')
    with pytest.raises(FeedError) as caught:
        parse_feed(page, "https://news.example.com/markets/")
    assert str(caught.value) == (
        "https://news.example.com/markets/: the URL returned an HTML page, not an RSS/Atom feed; the page names 2 feeds: "
        "https://news.example.com/rss/top.xml ('Top news'), https://feeds.example.org/markets.atom: use one of these "
        "addresses as the feed's URL"
    )
    with pytest.raises(FeedError, match=r"names its feed: https://e\.com/blog/feed/: use that address as the feed's URL$"):
        parse_feed(b'<html><head><base href="https://e.com/blog/"><link rel=alternate type="application/rss+xml" href="feed/">'
                   b"</head></html>", URL)
    with pytest.raises(FeedError, match=r"names its feed: https://e\.com/feed\.json: use that address"):  # a JSON Feed too
        parse_feed(b'<html><head><link rel="alternate" type="application/feed+json" href="https://e.com/feed.json"></head></html>', URL)


def test_xml_that_is_not_a_feed_names_its_root_element():
    body = b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://e.com/</loc></url></urlset>'
    with pytest.raises(FeedError, match="root element <urlset>, not an RSS/Atom feed"):
        parse_feed(body, URL)


def test_text_that_is_not_xml_is_reported():
    with pytest.raises(FeedError, match="not"):
        parse_feed(b'{"error": "rate limited"}', URL)


def test_malformed_xml_without_items_says_what_is_wrong():
    with pytest.raises(FeedError, match="not well-formed XML and has no items .*line 1") as caught:
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken</title></chan', URL)
    assert URL in str(caught.value)


def test_a_malformed_feed_with_items_keeps_them_and_says_why():
    two_items = "<title>Tom & Jerry</title><link>https://e.com/1</link></item><item><title>Two</title>"
    parsed = read_feed(_rss_item(two_items), URL)
    assert [i.title for i in parsed.items] == ["Tom & Jerry", "Two"]
    assert "not well-formed" in parsed.warning and "2 items were recovered" in parsed.warning


def test_an_entry_cut_off_inside_its_title_is_not_stored_as_an_empty_item():
    cut_off = "<title>One</title><link>https://e.com/1</link></item><item><title>oops"
    parsed = read_feed(_rss_item(cut_off), URL)
    assert [i.title for i in parsed.items] == ["One"]  # not a second, empty "(untitled)" item
    assert "1 item was recovered" in parsed.warning
    with pytest.raises(FeedError, match="not well-formed XML and has no items"):
        read_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>oops', URL)
    summary_only = read_feed(_rss_item("<description>Shares fell.</description>"), URL)
    assert [(i.title, i.summary) for i in summary_only.items] == [("(untitled)", "Shares fell.")]  # a summary is enough


def test_a_body_that_looks_like_a_local_path_is_not_opened_as_a_file(tmp_path):
    secret = tmp_path / "local.rss"
    secret.write_bytes(RSS20)
    with pytest.raises(FeedError):
        parse_feed(str(secret).encode(), URL)


# --- the shared corpus (skipped when ../shared is absent) ---------------------------------------


def test_every_corpus_document_parses_or_fails_with_a_reason():
    root = shared_data("feeds")
    outcomes = {}
    for path in sorted(root.rglob("*.xml")):
        try:
            outcomes[path] = len(parse_feed(path.read_bytes(), URL))
        except FeedError as exc:
            assert URL in str(exc) and len(str(exc)) > len(URL) + 10
            outcomes[path] = "error"
    assert len(outcomes) > 300
    real = [p for p in root.glob("*.xml")]
    assert real and all(isinstance(outcomes[p], int) and outcomes[p] > 0 for p in real)
    assert outcomes[root / "not_a_feed" / "bloomberg_news_sitemap_2026-03.xml"] == "error"


def test_a_bracket_inside_a_quoted_doctype_id_is_not_an_internal_subset():
    body = RSS091.replace(b"rss-0.91.dtd", b"rss-[0.91].dtd")
    assert len(parse_feed(body, URL)) == 2


def test_a_dtd_late_in_the_document_declares_nothing():
    """Past the prolog's 64 KB entity scan, after the root element: read as text, never expanded."""
    late = '<!DOCTYPE x [<!ENTITY e "EXPANDED"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = _rss_item(f"<description>{'x' * 70_000}</description></item>{late}<item><title>a &e; b &xxe;</title>")
    try:
        titles = [item.title for item in read_feed(body, URL).items]
    except FeedError as exc:  # refusing it is as good
        assert URL in str(exc)
        return
    assert not any("EXPANDED" in title or "root:" in title for title in titles)


# --- one clean form for titles, repaired encodings ---------------------------------------------


def test_a_text_title_with_markup_is_stored_without_it():
    body = _rss_item("<title>&lt;script&gt;alert(1)&lt;/script&gt; - shares &lt;b&gt;plunge&lt;/b&gt;</title><link>https://e.com/1</link>")
    (item,) = parse_feed(body, URL)
    assert item.title == "- shares plunge"


def test_an_atom_text_title_with_markup_is_stored_like_an_html_one():
    atom = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:f</id>
    <updated>2024-01-01T00:00:00Z</updated>
    <entry><id>urn:1</id><title type="text">&lt;img src=x onerror=alert(1)&gt;Acme &lt;i&gt;wins&lt;/i&gt;</title>
    <updated>2024-01-01T00:00:00Z</updated></entry>
    <entry><id>urn:2</id><title type="html">&lt;img src=x onerror=alert(1)&gt;Acme &lt;i&gt;wins&lt;/i&gt;</title>
    <updated>2024-01-01T00:00:00Z</updated></entry></feed>"""
    text, html_typed = parse_feed(atom.encode(), URL)
    assert text.title == html_typed.title == "Acme wins"


def test_mojibake_in_a_recovered_feed_is_repaired():
    # UTF-8 read as Latin-1 (C1 control characters), as Windows-1252, and as a repr'd capture (literal \x escapes)
    items = "".join(
        f"<item><title>{title}</title><link>https://e.com/{n}</link></item>"
        for n, title in enumerate(["Hamasâ\x80\x99s offer", "Hamasâ€™s reply", r"Income gapsâ\x80\x94aren’t they?"])
    )
    body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t & t</title>{items}</channel></rss>'.encode()
    parsed = read_feed(body, URL)
    assert parsed.warning and "3 items were recovered" in parsed.warning  # the bare "&" breaks it
    assert [item.title for item in parsed.items] == ["Hamas’s offer", "Hamas’s reply", "Income gaps—aren’t they?"]


@pytest.mark.parametrize("title", ["Café – Ã is a letter", "SÃO PAULO (Reuters)", r"C:\x80\path", "Â", "naïve £5 ±2"])
def test_text_that_only_looks_odd_is_left_as_it_is(title):
    (item,) = parse_feed(_rss_item(f"<title>{title}</title><link>https://e.com/1</link>"), URL)
    assert item.title == title


def test_the_damaged_economist_capture_is_read_without_mojibake():
    path = shared_data("feeds", "real_malformed", "economist_finance_2023_python_bytes_repr.xml")
    parsed = read_feed(path.read_bytes(), URL)
    texts = [text for item in parsed.items for text in (item.title, item.summary)]
    assert parsed.warning and len(parsed.items) > 10
    assert not [text for text in texts if "â" in text or "\\x" in text]
    assert any("inexorably—aren’t they" in text for text in texts)


# --- bounded parsing ----------------------------------------------------------------------------


def test_deeply_nested_elements_are_refused_fast():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>' + b"<a>" * 1_500_000
    message = _refused_fast(body)
    assert "nested more than 100 deep" in message and "BEACON_FEED_MAX_DEPTH" in message


def test_too_many_elements_are_refused_fast():
    body = _rss_item("<title>t</title>" + "<a/>" * 1_000_000)
    message = _refused_fast(body)
    assert "more than 100,000 elements" in message and "BEACON_FEED_MAX_ELEMENTS" in message


def test_too_many_elements_are_refused_in_a_document_that_is_not_well_formed():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Tom & Jerry</title>' + b"<item><a>x</b></item>" * 300_000
    assert "elements" in _refused_fast(body)


def test_the_parse_limits_are_settings(monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_FEED_MAX_DEPTH", "3")
    get_settings.cache_clear()
    try:
        with pytest.raises(FeedError, match="nested more than 3 deep"):
            parse_feed(RSS20.replace(b"<title>Second item</title>", b"<title>x<a><b/></a></title>"), URL)
        monkeypatch.setenv("BEACON_FEED_MAX_DEPTH", "5")
        get_settings.cache_clear()
        assert len(parse_feed(RSS20, URL)) == 2
    finally:
        monkeypatch.delenv("BEACON_FEED_MAX_DEPTH")
        get_settings.cache_clear()


JSON_FEED = """{"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "items": [
  {"id": "w-1", "url": "https://news.example.com/w/1", "title": "Nokia to cut 2,000 jobs",
   "content_html": "<p>Nokia <b>cuts</b> jobs</p><script>x()</script>", "date_published": "2026-12-06T12:00:00+02:00"},
  {"id": 2, "url": "javascript:alert(1)", "content_text": "A post without a title", "summary": "Short summary"},
  {"id": "w-3"}, "not an item"]}"""


def test_a_json_feed_is_read_like_an_rss_one():
    first, second = read_feed(JSON_FEED.encode(), URL).items  # the id-only entry and the string say nothing: left out
    assert (first.guid, first.link, first.title) == ("w-1", "https://news.example.com/w/1", "Nokia to cut 2,000 jobs")
    assert first.summary == "Nokia cuts jobs" and first.published_at == datetime(2026, 12, 6, 10, 0)  # UTC, no script
    assert (second.guid, second.link, second.title, second.summary) == ("2", None, "(untitled)", "Short summary")
    assert read_feed(b'\xef\xbb\xbf {"version": "https://jsonfeed.org/version/1", "items": []}', URL).items == []


@pytest.mark.parametrize("body, reason", [
    (b'{"data": [1, 2]}', "the URL returned JSON, not an RSS, Atom or JSON feed (no jsonfeed.org version)"),
    (b'[{"title": "x"}]', "the URL returned JSON, not an RSS, Atom or JSON feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "the JSON feed has no list of items"),
    (b"{\n \"items\": [,]}", "the document is not valid JSON (Expecting value at line 2, column"),
    (b"[" * 100_000, "the JSON document is nested too deeply to read"),
    (b'{"version": "\xff"}', "the JSON document is not UTF-8 (byte 13)"),
])
def test_json_that_is_not_a_json_feed_is_refused_with_what_it_is(body, reason):
    with pytest.raises(FeedError, match=re.escape(f"{URL}: {reason}")):
        read_feed(body, URL)


def test_a_json_feed_is_bounded_by_the_element_limit(monkeypatch):
    """A JSON Feed of 30,000 tiny items is refused before an item is built, as an XML feed past the limit is."""
    from core.settings import get_settings

    items = ",".join(f'{{"id": "{n}", "title": "t{n}"}}' for n in range(30_000))
    big = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{items}]}}'.encode()
    monkeypatch.setenv("BEACON_FEED_MAX_ELEMENTS", "50000")
    get_settings.cache_clear()
    try:
        with pytest.raises(FeedError, match=re.escape("has more than 50,000 values (limit BEACON_FEED_MAX_ELEMENTS)")):
            read_feed(big, URL)
        assert len(read_feed(JSON_FEED.encode(), URL).items) == 2  # a real one stays far below it
    finally:
        monkeypatch.delenv("BEACON_FEED_MAX_ELEMENTS")
        get_settings.cache_clear()
