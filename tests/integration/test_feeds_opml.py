"""Feeds in bulk as OPML: export -> import into a fresh database gives the same feeds; a reader's folders become
topic tags; malformed documents are refused with the reason; each entry passes the single-feed rules (a private
address is rejected with the SSRF reason while the others import); the command line."""

from __future__ import annotations

import pytest

from core.__main__ import main
from core.auth import list_events
from core.feeds import add_feed, list_feeds
from core.feeds.opml import OpmlError, export_opml, import_opml, read_opml
from core.settings import get_settings
from core.storage import reset_engines, upgrade_database

# A reader's export (Feedly/Inoreader style): folders as outlines without xmlUrl, nested.
READER_OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Markets" title="Markets">
      <outline type="rss" text="Wire" title="Markets wire" xmlUrl="http://127.0.0.1:8123/wire.rss" htmlUrl="http://127.0.0.1:8123/"/>
      <outline text="Banks">
        <outline type="rss" text="Bank news" xmlUrl="http://localhost:8123/banks.xml" category="/Europe,/Rates/"/>
      </outline>
    </outline>
    <outline type="rss" text="Intranet" xmlUrl="http://10.1.2.3/internal.rss"/>
    <outline type="rss" text="No address"/>
    <outline type="rss" text="" xmlUrl="http://127.0.0.1:8123/untitled.rss"/>
    <outline type="rss" text="Gopher" xmlUrl="gopher://127.0.0.1/feed"/>
    <outline type="rss" text="Top level" xmlUrl="http://127.0.0.1:8123/top.rss"/>
  </body>
</opml>
"""


def _views() -> list[tuple[str, str, list[str]]]:
    return [(f.name, f.url, f.topics) for f in list_feeds()]


def test_export_then_import_into_a_fresh_database_gives_the_same_feeds(db, tmp_path, monkeypatch):
    add_feed("Markets wire", "http://127.0.0.1:8123/wire.rss", "markets, earnings")
    add_feed("Banks & <rates>", "http://localhost:8123/banks.xml?q=a&b=c", ["banks", "Fed / central banks"])
    add_feed("Plain", "http://127.0.0.1:8123/plain.rss")
    before = _views()
    document = export_opml()
    assert document.startswith(b"<?xml") and b'<opml version="2.0">' in document and b"<dateCreated>" in document
    assert [entry.title for entry in read_opml(document)] == ["Banks & <rates>", "Markets wire", "Plain"]

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    reset_engines()
    upgrade_database()
    assert list_feeds() == []
    report = import_opml(document)
    assert (len(report.added), report.skipped, report.rejected) == (3, [], [])
    assert _views() == before

    again = import_opml(document)  # everything is already there: skipped, matched by URL, one line each
    assert (again.added, again.rejected) == ([], [])
    assert [line.reason for line in again.skipped] == [
        "already present as the feed 'Banks & <rates>'",
        "already present as the feed 'Markets wire'",
        "already present as the feed 'Plain'",
    ]
    assert _views() == before


def test_a_reader_export_imports_with_folders_as_tags_and_one_line_per_rejected_entry(db):
    add_feed("Already here", "HTTP://127.0.0.1:8123/top.rss#x")  # the same URL once normalised
    report = import_opml(READER_OPML)
    added = [(e.title, e.topics) for e in report.added]
    assert added == [("Markets wire", ("Markets",)), ("Bank news", ("Markets", "Banks", "Europe", "Rates"))]
    feeds = {f.name: f for f in list_feeds()}
    assert feeds["Bank news"].topics == ["Markets", "Banks", "Europe", "Rates"] and feeds["Markets wire"].topics == ["Markets"]
    assert "Intranet" not in feeds

    lines = report.lines()
    assert len(lines) == 5 and len(report.rejected) == 4 and len(report.skipped) == 1
    assert lines[0].startswith("line 11: 'Intranet' <http://10.1.2.3/internal.rss> rejected: This feed URL cannot be used:")
    assert "resolves to the private or local address 10.1.2.3, which Beacon does not fetch" in lines[0]
    assert lines[1] == "line 12: 'No address' rejected: the outline has no xmlUrl attribute (the feed's address)"
    assert lines[2] == "line 13: (untitled outline) <http://127.0.0.1:8123/untitled.rss> rejected: Please give the feed a name."
    assert lines[3].startswith("line 14: 'Gopher' <gopher://127.0.0.1/feed> rejected: This feed URL cannot be used:")
    assert "only http:// and https:// feed URLs are allowed" in lines[3]
    assert lines[4] == "line 15: 'Top level' <http://127.0.0.1:8123/top.rss> skipped: already present as the feed 'Already here'"
    assert report.summary() == "2 feeds added, 1 already present (skipped), 4 rejected." and report.level == "warning"
    imported = [e for e in list_events() if e["action"] == "feeds imported"]
    assert imported and imported[0]["detail"] == {"added": 2, "skipped": 1, "rejected": 4}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"Name,URL\nWire,http://127.0.0.1/wire.rss\n", "The file is not OPML: it is not XML"),
        (b"", "The OPML file is empty."),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "The file is not OPML: its root element is <rss>, not <opml>."),
        (b'<opml version="2.0"><head><title>x</title></head></opml>', "The OPML file has no <body> element"),
        (b'<opml version="2.0"><body><outline text="Folder"/></body></opml>', "The OPML file lists no feeds"),
        (b'<opml version="2.0">\n<body>\n<outline text="a" xmlUrl="http://127.0.0.1/a"\n</body></opml>',
         "The OPML file is not well-formed XML: not well-formed (invalid token) at line 4, column 0."),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>\n'
            b'<opml version="2.0"><body><outline text="&lol2;" xmlUrl="http://127.0.0.1/a"/></body></opml>',
            "The OPML file was refused because it declares XML entities (a DTD), which Beacon refuses for safety.",
        ),
        (b'<opml version="2.0"><body><outline text="x" xmlUrl="http://127.0.0.1/a"/>' + b"<outline>" * 150 + b"</outline>" * 150
         + b"</body></opml>", "The OPML file was refused because its elements are nested more than 100 deep"),
    ],
    ids=["csv", "empty", "rss", "no-body", "no-feeds", "not-well-formed", "dtd", "too-deep"],
)
def test_malformed_opml_is_refused_with_the_reason_and_adds_nothing(db, body, message):
    with pytest.raises(OpmlError) as refused:
        import_opml(body)
    assert str(refused.value).startswith(message)
    assert list_feeds() == []


def test_an_opml_file_over_the_size_cap_is_refused(db, monkeypatch):
    monkeypatch.setenv("BEACON_FEED_MAX_BYTES", "100")
    get_settings.cache_clear()
    expected = rf"The OPML file is {len(READER_OPML)} bytes, over the limit of 100 bytes \(BEACON_FEED_MAX_BYTES\)"
    with pytest.raises(OpmlError, match=expected):
        import_opml(READER_OPML)


def test_command_line_import_and_export(db, tmp_path, capsys):
    source = tmp_path / "reader.opml"
    source.write_bytes(READER_OPML)
    assert main(["feeds", "import-opml", str(source), "--interval", "30"]) == 1  # some entries were rejected
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 feeds added, 0 already present (skipped), 4 rejected."
    assert out[0].startswith("line 11: 'Intranet' <http://10.1.2.3/internal.rss> rejected:")
    assert {f.interval_minutes for f in list_feeds()} == {30}

    target = tmp_path / "out.opml"
    assert main(["feeds", "export-opml", "--output", str(target)]) == 0
    assert [e.url for e in read_opml(target.read_bytes())] == [f.url for f in list_feeds()]
    assert main(["feeds", "export-opml"]) == 0
    assert b"Markets wire" in capsys.readouterr().out.encode()

    assert main(["feeds", "import-opml", str(target)]) == 0  # all present: nothing rejected
    assert capsys.readouterr().out.splitlines()[-1] == "0 feeds added, 3 already present (skipped), 0 rejected."
    (tmp_path / "bad.opml").write_bytes(b"<html><body>hi</body></html>")
    assert main(["feeds", "import-opml", str(tmp_path / "bad.opml")]) == 1
    assert capsys.readouterr().err.strip() == "error: The file is not OPML: its root element is <html>, not <opml>."
