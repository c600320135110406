"""`python -m core config apply FILE`: whole-file checks before any write, idempotent by name."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from core.__main__ import main
from core.alerts import list_alert_rules
from core.feeds import list_feeds
from core.watchlists import list_watchlists

REPO_ROOT = Path(__file__).resolve().parents[2]

GOOD = """
feeds:
  - name: Markets
    url: http://127.0.0.1:9/markets.rss
    topics: [markets]
    interval_minutes: 30
watchlists:
  - name: Big tech
    companies: [Apple, Microsoft]
    tickers: [AAPL, MSFT]
    keywords: [antitrust]
alert_rules:
  - name: Big tech negative spike
    scope_type: watchlist
    scope_value: Big tech
    window_hours: 24
    min_items: 5
    mode: spike
    threshold: 2.0
    baseline_days: 7
    cooldown_hours: 12
    recipients: [risk-team@example.com]
"""


def _apply(path: Path) -> subprocess.CompletedProcess:
    """The command as a user runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "core", "config", "apply", str(path)], cwd=REPO_ROOT, capture_output=True, text=True
    )


def _apply_here(path: Path, capsys: pytest.CaptureFixture) -> subprocess.CompletedProcess:
    """The same entry point in this process (no interpreter start-up per case)."""
    capsys.readouterr()
    code = main(["config", "apply", str(path)])
    out = capsys.readouterr()
    return subprocess.CompletedProcess([], code, out.out, out.err)


def _stored() -> tuple:
    feeds = sorted((f.name, f.url, tuple(f.topics), f.interval_minutes) for f in list_feeds())
    watchlists = sorted((w["name"], tuple(w["companies"]), tuple(w["tickers"])) for w in list_watchlists())
    rules = sorted((r["name"], r["scope_type"], r["scope_value"], r["threshold"]) for r in list_alert_rules())
    return feeds, watchlists, rules


def test_apply_creates_entries_and_a_second_apply_changes_nothing(db, tmp_path: Path):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD)
    first = _apply(config)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "applied 1 feed, 1 watchlist, 1 alert rule"
    after_first = _stored()
    assert after_first[0] == [("Markets", "http://127.0.0.1:9/markets.rss", ("markets",), 30)]
    assert after_first[1] == [("Big tech", ("Apple", "Microsoft"), ("AAPL", "MSFT"))]
    assert after_first[2] == [("Big tech negative spike", "watchlist", "Big tech", 2.0)]
    assert _apply(config).returncode == 0
    assert _stored() == after_first


def test_apply_updates_an_entry_matched_by_name(db, tmp_path: Path, capsys):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD)
    assert _apply_here(config, capsys).returncode == 0
    config.write_text(GOOD.replace("interval_minutes: 30", "interval_minutes: 60"))
    assert _apply_here(config, capsys).returncode == 0
    assert [f.interval_minutes for f in list_feeds()] == [60]


def test_names_written_with_other_capitals_or_spaces_update_the_stored_entries(db, tmp_path: Path, capsys):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD)
    assert _apply_here(config, capsys).returncode == 0
    retyped = GOOD.replace("- name: Big tech\n", "- name: big  tech\n").replace("Microsoft]", "Microsoft, Nvidia]")
    retyped = retyped.replace("- name: Big tech negative spike", "- name: BIG TECH negative spike")
    config.write_text(retyped.replace("threshold: 2.0", "threshold: 3.0"))
    assert _apply_here(config, capsys).returncode == 0
    feeds, watchlists, rules = _stored()
    assert watchlists == [("Big tech", ("Apple", "Microsoft", "Nvidia"), ("AAPL", "MSFT"))]  # one, as first spelt
    assert rules == [("Big tech negative spike", "watchlist", "Big tech", 3.0)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("    interval_minutes: 30\n", "    interval_minutes: 30\n    colour: red\n"), "feeds entry 2: unknown key 'colour'"),
        (("url: http://127.0.0.1:9/markets.rss", "url: ftp://example.com/feed.xml"),
         "feeds entry 2 (Markets): This feed URL cannot be used"),
        (("url: http://127.0.0.1:9/markets.rss", "url: not a url"), "This feed URL cannot be used"),
        (("interval_minutes: 30", "interval_minutes: 0"), "feeds entry 2 (Markets): The fetch interval must be a whole number"),
        (("url: http://127.0.0.1:9/markets.rss", "url: http://127.0.0.1:9/extra.rss"),
         "feeds entry 2 (Markets): the feed 'Extra' of this file has the same URL"),
        (("tickers: [AAPL, MSFT]", "tickers: [AAPL, TOO-LONG-TICKER]"),
         "watchlists entry 1 (Big tech): 'TOO-LONG-TICKER' is not a ticker"),  # found before any feed is written
        (("feeds:", "fedes:"), "unknown section 'fedes'"),
        (("mode: spike", "mode: sometimes"), "alert_rules entry 1 (Big tech negative spike)"),
        (("min_items: 5", "min_items: five"), "'min_items' has the wrong type: it must be a whole number, not 'five'"),
    ],
)
def test_a_bad_file_gets_a_one_line_error_and_changes_nothing(db, tmp_path: Path, capsys, change, message):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD)
    assert _apply_here(config, capsys).returncode == 0
    before = _stored()
    old, new = change
    assert old in GOOD
    # A new feed ahead of the broken entry proves the check runs before anything is written.
    bad = GOOD.replace(old, new).replace("feeds:\n", "feeds:\n  - {name: Extra, url: 'http://127.0.0.1:9/extra.rss'}\n", 1)
    config.write_text(bad)
    result = _apply_here(config, capsys)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: ")
    assert _stored() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"feeds: [\n", "not valid YAML at line 2, column 1: "),
        (b"feeds:\n  - name: A\n    url: http://127.0.0.1:9/a.rss\n   topics: [a]\n", "not valid YAML at line 4, column 4: "),
        ("feeds:\n  - name: B\xf6rse\n".encode("latin-1"), "not valid UTF-8"),
        (b"- just\n- a list\n", "expected a mapping"),
    ],
)
def test_unreadable_files_are_named(db, tmp_path: Path, capsys, content: bytes, message: str):
    config = tmp_path / "beacon.yaml"
    config.write_bytes(content)
    result = _apply_here(config, capsys)
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _stored() == ([], [], [])


def test_the_command_exits_non_zero_with_one_line_on_a_bad_file(db, tmp_path: Path):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD.replace("    topics: [markets]\n", "    topics: [markets]\n    colour: red\n"))
    result = _apply(config)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "unknown key 'colour'" in result.stderr
    assert _stored() == ([], [], [])


def test_a_feed_whose_url_another_stored_feed_has_is_refused_before_anything_is_written(db, tmp_path: Path, capsys):
    config = tmp_path / "beacon.yaml"
    config.write_text(GOOD)
    assert _apply_here(config, capsys).returncode == 0
    before = _stored()
    renamed = GOOD.replace("  - name: Markets\n", "  - name: Markets wire\n").replace("keywords: [antitrust]", "keywords: [fines]")
    config.write_text(renamed.replace("feeds:\n", "feeds:\n  - {name: Extra, url: 'http://127.0.0.1:9/extra.rss'}\n", 1))
    result = _apply_here(config, capsys)
    assert result.returncode != 0
    assert "feeds entry 2 (Markets wire): The feed 'Markets' already uses this URL." in result.stderr
    assert _stored() == before  # not the Extra feed ahead of it, not the watchlist after it
