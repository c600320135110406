"""Model Studio's "Compress" action: a version distilled into the fast encoder in its own process (a training run of
method distil), the side-by-side result, and the student promoted like any version."""

from __future__ import annotations

import time

from core.nlp import registry
from core.nlp.runs import get_run, list_runs
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, texts
from tests.integration.test_distil import UNLABELLED
from tests.unit.test_alert_detect import add_article, add_feed

COMPRESS = "Compress (distil into the fast encoder)"


def test_compress_a_version_follow_the_run_and_promote_the_student(tiny_models):
    feed = add_feed()
    for text in UNLABELLED:  # the project's own texts: stored feed items
        add_article(feed, title=text)
    at = open_page("model_studio.py", "Versions")
    at = button(at, COMPRESS).click().run()
    assert_no_exception(at)
    assert any("Compression run 1 started: sentiment v1" in t for t in texts(at.success))

    deadline = time.monotonic() + 240
    while not get_run(1).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    run = get_run(1)
    assert run.status == "succeeded", run.error
    assert run.method == "distil" and run.model_version == 2 and run.row_count == len(UNLABELLED)
    at = switch_tab(at, "Runs")
    assert_no_exception(at)
    table = next(f.value for f in at.dataframe if "teacher v1" in f.value.columns)
    assert list(table.columns) == ["measure", "teacher v1", "student v2"]
    assert table["measure"].tolist() == ["Base encoder", "Method", "Precision", "Accuracy", "Macro-F1", "Texts/s", "Size (MB)"]
    assert table["student v2"].tolist()[0] == "fast"
    caption = next(c for c in shown_texts(at.caption) if "held-out validation rows" in c)
    assert f"labels on {len(UNLABELLED)} texts ({len(UNLABELLED)} from stored feed items" in caption and "int8:" in caption
    assert not registry.get_version("sentiment", 2).is_active
    assert {m.label: m.delta for m in at.metric}["Registered as"] == "not active yet"

    at = button(at, "Promote v2 to active").click().run()
    if registry.active_version("sentiment").version == 1:  # the student scored lower on the same rows: confirm
        at = button(at, "Yes, promote v2").click().run()
    assert_no_exception(at)
    assert registry.active_version("sentiment").version == 2


def test_an_analyst_may_compress_but_not_promote(tiny_models):
    at = open_page("model_studio.py", "Versions", role="analyst")
    assert_no_exception(at)
    assert button(at, COMPRESS) is not None
    assert not [b for b in at.button if b.label in ("Roll back", "Promote v1")]
    assert any("needs the admin role" in c for c in texts(at.caption))


def test_compressing_without_enough_texts_fails_the_run_with_the_reason(tiny_models):
    at = open_page("model_studio.py", "Versions")
    at = button(at, COMPRESS).click().run()
    deadline = time.monotonic() + 120
    while not get_run(1).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    assert get_run(1).status == "failed" and "at least 50 are needed" in get_run(1).error
    at = switch_tab(at, "Runs")
    assert_no_exception(at)
    assert any("The run failed: DistilDataError: only" in t for t in shown_texts(at.error))
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_compressing_a_shipped_default_says_what_to_compress_instead(db):
    from core.auth.roles import Actor, acting_as
    from core.nlp.defaults import install_default_models

    with acting_as(Actor("setup", "admin")):
        install_default_models()  # shipped versions keep no validation rows: nothing to compare a student on
    at = open_page("model_studio.py", "Versions")
    at = button(at, COMPRESS).click().run()
    assert_no_exception(at)
    error = " ".join(texts(at.error))
    assert "has no stored validation rows" in error and "compress a version trained under Train" in error
    assert list_runs() == []  # nothing queued
