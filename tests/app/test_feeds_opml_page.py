"""Feeds tab, OPML (AppTest on a real database): an admin imports a reader's export and sees one report line per
skipped or rejected entry, a malformed file shows the reason, the export offers the feed list; viewers and
analysts see nothing of it."""

from __future__ import annotations

from core.feeds import add_feed, list_feeds
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, table, texts

PAGE = "financial_sentiment.py"
OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Reader</title></head>
<body>
  <outline text="Markets">
    <outline type="rss" text="Markets wire" xmlUrl="http://127.0.0.1:8123/wire.rss"/>
  </outline>
  <outline type="rss" text="Intranet" xmlUrl="http://10.1.2.3/internal.rss"/>
  <outline type="rss" text="Known" xmlUrl="http://127.0.0.1:8123/known.rss"/>
</body></opml>
"""


def upload(at, name: str, content: bytes):
    at.file_uploader(key="opml_upload").set_value((name, content, "text/x-opml"))
    at.run()
    button(at, "Import feeds").click()
    return at.run()


def downloads(at):
    """The Export OPML download buttons (AppTest has no typed accessor for them)."""
    return [e for e in at.get("download_button") if e.proto.label == "Export OPML"]


def test_an_admin_imports_opml_and_sees_the_report(db):
    add_feed("Known", "http://127.0.0.1:8123/known.rss")
    at = open_page(PAGE, tab="Feeds")
    assert_no_exception(at)
    assert len(downloads(at)) == 1
    at = upload(at, "reader.opml", OPML)
    assert_no_exception(at)
    assert "1 feed added, 1 already present (skipped), 1 rejected." in texts(at.warning)
    report = next(frame.value for frame in at.dataframe if "reason" in frame.value.columns)
    assert report[["line", "title", "outcome"]].values.tolist() == [[7, "Intranet", "rejected"], [8, "Known", "skipped"]]
    assert "private or local address 10.1.2.3" in report["reason"][0]
    assert report["reason"][1] == "already present as the feed 'Known'"
    assert {f.name: f.topics for f in list_feeds()} == {"Known": [], "Markets wire": ["Markets"]}
    assert "Markets wire" in table(at, "feeds_table")["name"].tolist()  # the feeds table below shows it at once
    assert len(downloads(at)) == 1  # the export (its content is checked in tests/integration/test_feeds_opml.py)


def test_a_malformed_file_shows_the_reason_and_adds_nothing(db):
    at = upload(open_page(PAGE, tab="Feeds"), "feeds.csv.opml", b"name,url\nWire,http://127.0.0.1/wire.rss\n")
    assert_no_exception(at)
    assert any(e.startswith("feeds.csv.opml: The file is not OPML: it is not XML") for e in shown_texts(at.error)), texts(at.error)
    dtd = b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x "y">]><opml><body/></opml>'
    at = upload(at, "evil.opml", dtd)
    assert any("declares XML entities (a DTD)" in e for e in shown_texts(at.error)), texts(at.error)
    assert list_feeds() == []


def test_an_opml_file_uploaded_stays_after_a_look_at_another_tab(db):
    at = open_page(PAGE, tab="Feeds")
    assert at.file_uploader(key="opml_upload").proto.max_upload_size_mb == 5  # BEACON_FEED_MAX_BYTES, not "200MB per file"
    at.file_uploader(key="opml_upload").set_value(("reader.opml", OPML, "text/x-opml"))
    at.run()
    at = switch_tab(switch_tab(at, "Items"), "Feeds")
    assert_no_exception(at)
    assert "Still using reader.opml, uploaded earlier; upload another file to replace it." in texts(at.caption)
    opml = next(e for e in at.expander if e.label == "Import or export feeds (OPML)")
    assert opml.proto.expanded  # the kept file in view, not folded away
    button(at, "Import feeds").click()
    at.run()
    assert sorted(f.name for f in list_feeds()) == ["Known", "Markets wire"]


def test_viewers_and_analysts_see_nothing_of_opml(db):
    add_feed("Known", "http://127.0.0.1:8123/known.rss")
    for role in ("viewer", "analyst"):
        at = open_page(PAGE, tab="Feeds", role=role)
        assert_no_exception(at)
        assert not at.file_uploader and not downloads(at)
        assert not [b for b in at.button if b.label == "Import feeds"]
        assert not [e for e in at.expander if "OPML" in e.label]
        assert "Known" in table(at, "feeds_table")["name"].tolist()  # they still see the feed list
