"""``python -m core digest preview``: prints the digest due at a moment, sends nothing; an unknown name fails in one line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.__main__ import main
from tests.integration.test_digest_send import DUE, seed_items, sends, subscribe


def test_preview_prints_the_digest_and_sends_nothing(db, capsys):
    seed_items()
    subscribe()
    assert main(["digest", "preview", "--subscription", "Morning", "--at", (DUE + timedelta(hours=2)).isoformat()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[Beacon] Daily digest Morning: all items (3 stories, 67% negative)")
    assert "Stories: 3 (+1 since the previous digest)" in out and "Acme <b>plunges</b>" in out
    trend = out[out.index("Trend, one row per digest period (named by the day it is due):"):].splitlines()
    assert trend[1].split() == ["due", "stories", "negative"] and trend[-3].split() == [f"{DUE:%Y-%m-%d}", "3", "67%"]
    assert sends() == []


def test_preview_of_an_unknown_subscription_names_the_known_ones(db, capsys):
    subscribe()
    assert main(["digest", "preview", "--subscription", "Evening"]) == 1
    assert capsys.readouterr().err.strip() == "error: there is no digest subscription named 'Evening' (known: 'Morning')"


def test_preview_with_a_bad_moment_is_refused(db, capsys):
    subscribe()
    with pytest.raises(SystemExit) as exited:
        main(["digest", "preview", "--subscription", "Morning", "--at", "yesterday"])
    assert exited.value.code == 2
    assert "not an ISO date and time" in capsys.readouterr().err


def test_preview_next_shows_the_digest_still_to_come_with_what_is_published_so_far(db, capsys):
    seed_items()
    subscribe()
    before_send = (DUE - timedelta(hours=1)).isoformat()  # the 3 newest items are out, the digest holding them is not
    assert main(["digest", "preview", "--subscription", "Morning", "--at", before_send]) == 0
    assert capsys.readouterr().out.startswith("[Beacon] Daily digest Morning: all items (2 stories")  # the one due: yesterday's
    assert main(["digest", "preview", "--subscription", "Morning", "--at", before_send, "--next"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[Beacon] Daily digest Morning: all items (3 stories") and "(due 2024-06-03)" in out
    assert sends() == []
