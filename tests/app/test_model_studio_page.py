"""Model Studio page: upload -> data check -> train in its own process -> result -> promote."""

from __future__ import annotations

import time

from core.nlp import registry
from core.nlp.runs import get_run, list_runs
from tests.app.helpers import assert_no_exception, button, open_page, switch_tab, texts, widget
from tests.integration.test_training_runs import labelled


def upload(at, content: bytes, name: str = "labelled.csv"):
    at.file_uploader(key="studio_upload").set_value((name, content, "text/csv"))
    return at.run()


def test_without_a_file_the_page_explains_what_to_upload(tiny_models):
    at = open_page("model_studio.py", "Train")
    assert_no_exception(at)
    assert any("Upload a CSV with one example per row" in t for t in texts(at.info))


def test_the_data_check_names_each_problem_and_blocks_training(tiny_models):
    at = open_page("model_studio.py", "Train")
    rows = "text,label\n" + "".join(f"good {i},pos\nbad {i},neg\n" for i in range(6)) + "rare one,odd\n,pos\ngood 1,pos\n"
    at = upload(at, rows.encode())
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rows in file"] == "15" and metrics["Usable rows"] == "13" and metrics["Dropped rows"] == "2"
    assert any("class 'odd' has 1 usable example; at least 5 are needed" in t for t in texts(at.error))
    assert any("2 of 15 rows will be dropped (1 empty text, 1 duplicate text)" in t for t in texts(at.warning))
    assert button(at, "Start training").disabled


def test_a_file_that_is_not_a_table_is_reported(tiny_models):
    at = upload(open_page("model_studio.py", "Train"), b"   ")
    assert_no_exception(at)
    assert any("the file is empty" in t for t in texts(at.error))


def test_train_follow_and_promote(tiny_models):
    at = open_page("model_studio.py", "Train")
    at = upload(at, labelled().to_csv(index=False).encode())
    assert widget(at.selectbox, "Text column").value == "text"
    assert widget(at.selectbox, "Label column").value == "label"
    assert widget(at.selectbox, "Task").value == "sentiment"
    assert any("Device: **CPU" in c.value for c in at.caption)
    assert not button(at, "Start training").disabled
    at = button(at, "Start training").click().run()
    assert_no_exception(at)
    assert any("Training run 1 started" in t for t in texts(at.success))

    deadline = time.monotonic() + 120
    while not get_run(1).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    assert get_run(1).status == "succeeded", get_run(1).error
    at = switch_tab(at, "Runs")
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Registered as"] == "v2"
    assert "Accuracy (validation)" in metrics and "Macro-F1 (validation)" in metrics
    assert [m.delta for m in at.metric if m.label == "Macro-F1 (validation)"][0].endswith("vs active v1")
    at = button(at, "Promote v2 to active").click().run()
    assert_no_exception(at)
    assert registry.active_version("sentiment").version == 2
    assert any("sentiment v2 is now active" in t for t in texts(at.success))
    assert [r.status for r in list_runs()] == ["succeeded"]


def test_versions_tab_promotes_and_rolls_back(tiny_models, tiny_trained):
    registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="ana")
    at = open_page("model_studio.py", "Versions")
    assert_no_exception(at)
    versions = [f.value for f in at.dataframe if "data fingerprint" in f.value.columns][0]
    assert versions["version"].tolist() == [2, 1]
    widget(at.selectbox, "Version").set_value(2)
    at = button(at, "Promote").click().run()
    assert registry.active_version("sentiment").version == 2
    at = button(at, "Roll back").click().run()
    assert_no_exception(at)
    assert registry.active_version("sentiment").version == 1
    assert any("Rolled back: sentiment v1 is active again" in t for t in texts(at.success))
