"""The Batch scoring page (AppTest): upload -> preview -> run in a background process -> result; bad files; interrupted runs."""

from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.scoring import runs
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import ScoringRun, utcnow
from core.views.app import SENTIMENT_COLORS
from tests.app import helpers
from tests.app.helpers import assert_no_exception, lower_case_titles, texts
from tests.unit.test_scoring_content import png_bytes

CSV = (
    b"ticket;date;comment\n"
    b"1;2024-01-02;Operating profit rose sharply to a record, thanks! mail me at ann@example.com\n"
    b"2;2024-01-03;The company swung to a large loss and cut jobs\n"
    b"3;2024-01-04;\n"
    b"4;2024-01-05;Shares soared after strong results\n"
    b"5;2024-01-06;too;many\n"
)


def open_batch_page(**query: str) -> AppTest:
    at = AppTest.from_file(str(helpers.ROOT / "streamlit_app.py"), default_timeout=60)
    if hasattr(helpers, "sign_in_as"):  # accounts enabled: sign in as a user allowed to score
        at = helpers.sign_in_as(at, "admin")
    at.switch_page("pages/batch_scoring.py")
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def wait_until_finished(run_id: int, timeout: float = 180) -> runs.RunView:
    deadline = time.monotonic() + timeout
    while not (run := runs.get_run(run_id)).finished:
        assert time.monotonic() < deadline, (runs.run_dir(run_id) / "process.log").read_text()
        time.sleep(0.2)
    return run


def test_upload_preview_run_and_result(tiny_models):
    at = open_batch_page()
    assert_no_exception(at)
    assert texts(at.title) == ["Batch scoring"]
    uploader = at.file_uploader[0]
    assert "up to 200 MB" in uploader.label  # the limit is stated
    uploader.upload("tickets.csv", CSV, "text/csv")
    at.run()
    assert_no_exception(at)
    assert any("CSV, UTF-8, semicolon-separated, 3 columns" in c for c in texts(at.caption))
    assert list(at.dataframe[0].value.columns) == ["ticket", "date", "comment"]
    ragged = "Line 6 cannot be read as a row: 4 fields, the header has 3 (check quotes and the delimiter). It is not scored"
    assert any(w.startswith(ragged) for w in texts(at.warning))  # the ragged row is reported in the preview, with why
    assert helpers.widget(at.selectbox, "Text column").value == "comment"  # longest texts suggested
    estimate = [c for c in texts(at.caption) if "here on the CPU (" in c]
    assert len(estimate) == 1 and estimate[0].startswith("5 rows · about ")  # 5 records: 4 good, 1 ragged
    assert helpers.widget(at.multiselect, "Tasks (scored in one pass)").value == ["sentiment"]
    helpers.widget(at.multiselect, "Tasks (scored in one pass)").set_value(["sentiment", "topic"])
    at.checkbox[0].check()
    helpers.button(at, "Start scoring").click()
    at.run()
    assert_no_exception(at)
    run_id = int(at.query_params["run"][0] if isinstance(at.query_params["run"], list) else at.query_params["run"])
    run = wait_until_finished(run_id)  # scored by `python -m core score-run`, outside the script
    assert run.status == "succeeded" and run.created_by != ""
    at.run()
    assert_no_exception(at)
    assert any("complete" in c and "sentiment v1, topic v1" in c and "masked" in c for c in texts(at.caption))
    assert [m.value for m in at.metric] == ["3", "1", "1"]  # scored, empty, not parsed
    assert len(at.get("plotly_chart")) == 2  # one class chart per task
    sentiment_chart, topic_chart = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    bars = {t["name"]: t["marker"]["color"] for t in sentiment_chart["data"]}
    assert bars and bars == {label: SENTIMENT_COLORS[label] for label in bars}  # red, grey, green as on every page
    assert len(topic_chart["data"]) == 1  # other classes: one series in the default colour
    assert sentiment_chart["layout"]["yaxis"]["dtick"] == topic_chart["layout"]["yaxis"]["dtick"] == 1  # 3 rows: no 0.5 row
    assert not lower_case_titles(at)
    table = [f.value for f in at.dataframe if "sentiment_label" in f.value.columns][0]
    scored = [c for c in table.columns if c.startswith(("sentiment_", "topic_"))]
    assert scored[:4] == ["sentiment_label", "sentiment_confidence", "topic_label", "topic_confidence"]  # labels first
    assert all("_prob_" in c for c in scored[4:]) and len(scored) > 4  # then each task's probabilities
    assert list(table["ticket"]) == ["1", "2", "3", "4"] and list(table["status"]) == ["ok", "ok", "empty", "ok"]
    assert "[EMAIL]" in table.loc[0, "comment"] and "ann@example.com" not in table.loc[0, "comment"]
    labels = helpers.download_labels(at)
    assert labels == ["Download CSV (Excel-safe)", "Download Parquet", "Error report (1 row not parsed)"]
    helpers.widget(at.toggle, "Lowest confidence first").set_value(True)
    at.run()
    lowest = [f.value for f in at.dataframe if "sentiment_label" in f.value.columns][0]
    assert len(lowest) == 3 and lowest["sentiment_confidence"].is_monotonic_increasing  # empty text has no confidence
    past = [f.value for f in at.dataframe if "models" in f.value.columns][0]
    assert list(past["run"]) == [run_id] and past.loc[0, "models"] == "sentiment v1, topic v1"


@pytest.mark.parametrize(
    ("name", "content", "level", "message"),
    [
        ("empty.csv", b"", "error", "empty.csv: the file is empty"),
        ("big.csv", b"id,text\n" + b"1,lorem ipsum dolor\n" * 1000, "error", "over the upload limit of 0.01 MB (BEACON_UPLOAD_MAX_MB)"),
        ("broken.xlsx", b"PK\x03\x04garbage", "error", "broken.xlsx: not a readable .xlsx workbook"),
        ("photo.csv", png_bytes(), "error", "photo.csv is a PNG image, not a text table (CSV); nothing was read."),
        ("header.csv", b"id,text\n", "error", "header.csv: the file has a header row (id, text) but no data rows below it"),
    ],
)
def test_bad_files_say_what_is_wrong_without_crashing(tiny_models, monkeypatch, name, content, level, message):
    monkeypatch.setenv("BEACON_UPLOAD_MAX_MB", "0.01")
    get_settings.cache_clear()
    at = open_batch_page()
    assert "up to 0.01 MB" in at.file_uploader[0].label
    at.file_uploader[0].upload(name, content, "text/csv")
    at.run()
    assert_no_exception(at)
    assert any(message in m for m in texts(getattr(at, level))), texts(getattr(at, level))
    assert not [b for b in at.button if b.label == "Start scoring"]


def test_latin1_file_is_read_and_its_encoding_shown(tiny_models):
    at = open_batch_page()
    at.file_uploader[0].upload("latin.csv", "id\ttext\n1\tGewinn für Köln\n".encode("latin-1"), "text/csv")
    at.run()
    assert_no_exception(at)
    assert any("Windows-1252 (Latin-1), tab-separated, 2 columns" in c for c in texts(at.caption))
    assert at.dataframe[0].value.loc[0, "text"] == "Gewinn für Köln"


def test_a_run_whose_process_died_is_shown_interrupted_with_resume(tiny_models, tmp_path, monkeypatch):
    path = runs.save_upload("in.csv", b"id,text\n1,Profit rose\n2,Shares fell\n")
    run_id = runs.create_run(path, "in.csv", "text", ["sentiment"])
    with session_scope() as session:  # a process that claimed the run and then died long ago
        row = session.get(ScoringRun, run_id)
        row.status, row.total_rows, row.heartbeat_at = "running", 2, utcnow().replace(year=2020)
    started: list[int] = []
    monkeypatch.setattr(runs, "start_run", started.append)
    at = open_batch_page(run=str(run_id))
    assert_no_exception(at)
    assert any("interrupted" in w and "Resume to continue" in w for w in texts(at.warning))
    assert not any("complete" in c for c in texts(at.caption))
    helpers.button(at, "Resume").click()
    at.run()
    assert_no_exception(at)
    assert started == [run_id] and runs.get_run(run_id).status == "queued"


def start_through_the_page(at: AppTest, name: str, content: bytes) -> int:
    uploader = at.file_uploader[0]
    uploader.upload(name, content, "text/csv")
    at.run()
    helpers.button(at, "Start scoring").click()
    at.run()
    assert_no_exception(at)
    return runs.list_runs()[0].id  # the run just created


def open_run_id(at: AppTest) -> int:
    raw = at.query_params["run"]
    return int(raw[0] if isinstance(raw, list) else raw)


def past_runs_table(at: AppTest):
    return [f.value for f in at.dataframe if "models" in f.value.columns][0]


def test_a_second_upload_opens_its_own_run_and_past_runs_are_current(tiny_models):
    at = open_batch_page()
    first = start_through_the_page(at, "first.csv", CSV)
    wait_until_finished(first)
    at.run()
    assert any(f"Run {first}: first.csv" in s for s in texts(at.subheader))
    second = start_through_the_page(at, "second.csv", b"id,text\n1,Shares soared after strong results\n")
    assert second != first and open_run_id(at) == second  # the new run opens itself
    assert any(f"Run {second}: second.csv" in s for s in texts(at.subheader)), texts(at.subheader)  # not back to run 1
    assert not any(f"Run {first}:" in s for s in texts(at.subheader))
    assert at.selectbox(key="scoring_open").value == second
    assert at.file_uploader[0].value is None  # the form is empty again for the next file
    wait_until_finished(second)
    at.run()
    assert_no_exception(at)
    assert any(f"Run {second}: second.csv" in s for s in texts(at.subheader))
    past = past_runs_table(at)
    assert dict(zip(past["run"], past["status"])) == {first: "complete", second: "complete"}
    assert dict(zip(past["run"], past["rows"])) == {first: 4, second: 1}
    [shown] = [f for f in at.dataframe if "models" in f.value.columns]
    columns = json.loads(shown.proto.columns)
    assert columns["rows"]["type_config"]["format"] == columns["not parsed"]["type_config"]["format"] == "localized"  # 2,000
    at.selectbox(key="scoring_open").set_value(first)  # opening another run still works
    at.run()
    assert any(f"Run {first}: first.csv" in s for s in texts(at.subheader))


def queue_run(rows: int = 2) -> int:
    lines = "".join(f"{i},Profit rose {i}\n" for i in range(rows))
    return runs.create_run(runs.save_upload("in.csv", f"id,text\n{lines}".encode()), "in.csv", "text", ["sentiment"])


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_an_active_run_says_what_it_is_doing(tiny_models):
    run_id = queue_run()
    at = open_batch_page(run=str(run_id))
    assert_no_exception(at)
    assert any(t.startswith("Starting the scoring process…") for t in progress_texts(at)), progress_texts(at)
    with session_scope() as session:  # the process has claimed it, counted 3,000 rows and is loading the model
        row = session.get(ScoringRun, run_id)
        row.status, row.stage, row.total_rows, row.started_at, row.heartbeat_at = "running", runs.LOADING, 3000, utcnow(), utcnow()
    at.run()
    assert_no_exception(at)
    assert any("running · loading the model" in c for c in texts(at.caption)), texts(at.caption)  # not "queued"
    assert any(t.startswith("Loading the model… · 3,000 rows to score") for t in progress_texts(at)), progress_texts(at)
    past = past_runs_table(at)
    assert past.loc[0, "status"] == "running · loading the model"


def test_viewers_see_runs_and_downloads_but_no_forms_or_actions(tiny_models):
    done = queue_run()
    runs.execute_run(done)
    active = queue_run()
    at = helpers.sign_in_as(AppTest.from_file(str(helpers.ROOT / "streamlit_app.py"), default_timeout=60), "viewer")
    at.switch_page("pages/batch_scoring.py")
    at.query_params["run"] = str(active)
    at.run()
    assert_no_exception(at)
    assert not at.file_uploader and not [b for b in at.button if b.label in ("Start scoring", "Cancel this run")]
    assert any("needs the analyst role" in i for i in texts(at.info))
    assert any(t.startswith("Starting the scoring process…") for t in progress_texts(at))  # progress is still shown
    with session_scope() as session:  # its process claimed it and died: interrupted, resumable, but not by a viewer
        row = session.get(ScoringRun, active)
        row.status, row.heartbeat_at = "running", utcnow().replace(year=2020)
    at.run()
    assert any("interrupted" in w for w in texts(at.warning)) and not [b for b in at.button if b.label == "Resume"]
    at.selectbox(key="scoring_open").set_value(done)
    at.run()
    assert_no_exception(at)
    assert helpers.download_labels(at) == ["Download CSV (Excel-safe)", "Download Parquet"]


def test_a_file_with_labels_shows_how_the_model_agrees_with_them(tiny_models):
    rows = "".join(f"{i},Shares soared after strong results {i},positive\n" for i in range(3))
    rows += "3,The company swung to a large loss and cut jobs,positive\n4,The company swung to a large loss and cut jobs,Negative\n"
    run_id = runs.create_run(runs.save_upload("labelled.csv", f"id,text,label\n{rows}".encode()), "labelled.csv", "text", ["sentiment"])
    runs.execute_run(run_id)
    at = open_batch_page(run=str(run_id))
    assert_no_exception(at)
    assert "**sentiment: against your labels**" in texts(at.markdown)
    said = [c for c in texts(at.caption) if "Your column 'label' holds the sentiment classes" in c]
    assert said and "the same label to 4 of 5 rows (80.0%)" in said[0]
    assert "Careful" not in said[0]  # the active version came without its training rows: nothing is claimed
    assert {m.label: m.value for m in at.metric}["Same label as your column"] == "80.0%"
    heat = json.loads(at.get("plotly_chart")[1].proto.spec)  # after the class chart
    assert heat["layout"]["title"]["text"] == "Your labels against the model's"
    assert (heat["layout"]["xaxis"]["title"]["text"], heat["layout"]["yaxis"]["title"]["text"]) == ("The model's label", "Your label")
    trace = heat["data"][0]
    z = np.frombuffer(base64.b64decode(trace["z"]["bdata"]), dtype=trace["z"]["dtype"]).reshape(len(trace["y"]), len(trace["x"]))
    assert z[trace["y"].index("positive"), trace["x"].index("negative")] == 1  # the row the file calls positive
    assert z[trace["y"].index("positive"), trace["x"].index("positive")] == 3 and z.sum() == 5
    review = [d for d in at.get("download_button") if d.proto.label.startswith("Download the 1 row where your label differs")]
    assert review and "trains a new version in Model Studio" in review[0].proto.help
    at.toggle(key=f"scoring_differs_{run_id}").set_value(True)
    at.run()
    assert_no_exception(at)
    table = [f.value for f in at.dataframe if "input_label" in f.value.columns][0]
    assert list(table["row"]) == [4] and list(table["label"]) == ["negative"] and list(table["input_label"]) == ["positive"]


def test_a_labelled_file_starts_with_the_tasks_its_labels_belong_to(tiny_models):
    at = open_batch_page()
    at.file_uploader[0].upload("plain.csv", b"id,text\n1,Shares soared after strong results\n", "text/csv")
    assert at.run().multiselect(key="scoring_tasks").value == ["sentiment"]  # no labels: the usual task
    topics = "".join(f"{i},Quarterly earnings beat estimates {i},{' earnings' if i % 2 else 'Fed | Central Banks'}\n" for i in range(6))
    at.file_uploader[0].upload("topics.csv", f"id,text,Topic\n{topics}".encode(), "text/csv")
    assert at.run().multiselect(key="scoring_tasks").value == ["topic"]  # the run compares the model with them
    both = "".join(f"{i},Quarterly earnings beat estimates {i},Earnings,{'-1' if i % 2 else '1'}\n" for i in range(6))
    at.file_uploader[0].upload("both.csv", f"id,text,topic,tone\n{both}".encode(), "text/csv")
    assert at.run().multiselect(key="scoring_tasks").value == ["topic", "sentiment"]
    at.multiselect(key="scoring_tasks").set_value(["sentiment"])
    at.file_uploader[0].upload("topics2.csv", f"id,text,Topic\n{topics}".encode(), "text/csv")
    assert at.run().multiselect(key="scoring_tasks").value == ["sentiment"]  # the user's own pick stays


def test_scoring_a_file_the_model_was_trained_on_says_the_agreement_is_optimistic(tiny_models):
    from core.nlp import registry
    from core.nlp.runs import execute_run
    from tests.integration.test_training_runs import labelled, queue

    trained = execute_run(queue(epochs=3))
    registry.promote("sentiment", trained.model_version)
    learned = len(labelled()) - trained.result["metrics"]["n"]  # its training split; the validation rows only scored it
    upload = runs.save_upload("labelled.csv", labelled().to_csv(index=False).encode())
    run_id = runs.create_run(upload, "labelled.csv", "text", ["sentiment"])
    runs.execute_run(run_id)
    [caption] = [c for c in texts(open_batch_page(run=str(run_id)).caption) if "holds the sentiment classes" in c]
    assert caption.endswith(f"Careful: {learned} of the compared rows were in sentiment v{trained.model_version}'s own "
                            "training data, so the agreement there is optimistic (the model has seen those rows).")


def test_a_version_other_than_the_active_one_can_be_tried(tiny_models, tiny_trained):
    from core.nlp import registry

    at = open_batch_page()
    at.file_uploader[0].upload("one.csv", b"id,text\n1,Shares soared after strong results\n", "text/csv")
    at.run()
    assert not [s for s in at.selectbox if s.label == "Version of sentiment"]  # one version: nothing to choose
    registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="tests")  # v2, not active
    at.run()
    picker = helpers.widget(at.selectbox, "Version of sentiment")
    assert picker.value == 1 and picker.options[0].startswith("v1 · active · ")  # the active one by default
    picker.set_value(2)
    helpers.button(at.run(), "Start scoring").click()
    at.run()
    assert_no_exception(at)
    run = wait_until_finished(open_run_id(at))
    assert run.status == "succeeded" and run.model_versions == {"sentiment": 2}
    assert registry.active_version("sentiment").version == 1


def test_the_estimate_says_when_it_goes_by_past_runs_here(tiny_models):
    from core.scoring.estimate import MIN_ROWS

    def estimate_caption() -> str:
        at = open_batch_page()
        at.file_uploader[0].upload("tickets.csv", CSV, "text/csv")
        at.run()
        assert_no_exception(at)
        return next(c for c in texts(at.caption) if "here on the CPU (" in c)

    assert "going by" not in estimate_caption()  # nothing measured here yet
    lines = ["id,text"] + [f"{i},Shares of the lender fell after it cut its outlook (report {i})" for i in range(MIN_ROWS)]
    run_id = runs.create_run(runs.save_upload("past.csv", ("\n".join(lines) + "\n").encode()), "past.csv", "text", ["sentiment"])
    assert runs.execute_run(run_id).status == "succeeded"
    assert estimate_caption().endswith(", going by the last run")


def open_run_as(role: str, run_id: int) -> AppTest:
    at = helpers.sign_in_as(AppTest.from_file(str(helpers.ROOT / "streamlit_app.py"), default_timeout=60), role)
    at.switch_page("pages/batch_scoring.py")
    at.query_params["run"] = str(run_id)
    return at.run()


def test_an_analyst_deletes_their_finished_run_with_its_files(tiny_models):
    from core.auth import list_events

    done, other, active = queue_run(), queue_run(), queue_run()
    runs.execute_run(done)
    runs.execute_run(other)
    with session_scope() as session:
        session.get(ScoringRun, done).created_by = "test-analyst"
        session.get(ScoringRun, other).created_by = "someone-else"
    assert runs.run_dir(done).exists()

    assert not [b for b in open_run_as("analyst", other).button if b.label == "Delete this run…"]  # not theirs
    assert not [b for b in open_run_as("admin", active).button if b.label == "Delete this run…"]  # still queued
    assert [b for b in open_run_as("admin", other).button if b.label == "Delete this run…"]  # admins: any finished run

    at = open_run_as("analyst", done)
    at = helpers.button(at, "Delete this run…").click().run()
    [question] = [w for w in texts(at.warning) if w.startswith(f"Delete run {done} (in.csv)")]
    assert "uploaded file" in question and "cannot be undone" in question
    at = helpers.button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert f"Deleted run {done} (in.csv) with its file and results." in texts(at.success)
    assert "run" not in at.query_params and not any(s.startswith(f"Run {done}:") for s in (h.value for h in at.subheader))
    with pytest.raises(LookupError):
        runs.get_run(done)
    assert not runs.run_dir(done).exists() and runs.run_dir(other).exists()
    [event] = list_events(action="scoring run deleted")
    assert event["user"] == "test-analyst" and event["detail"]["run"] == done


def test_a_run_still_going_or_someone_elses_is_not_deleted(tiny_models):
    from core.auth import Actor, PermissionDenied, acting_as

    active = queue_run()
    with pytest.raises(ValueError, match="is queued: cancel it"):
        runs.delete_run(active)
    assert runs.get_run(active).status == "queued" and runs.run_dir(active).exists()
    with session_scope() as session:
        session.get(ScoringRun, active).status = "succeeded"
    with acting_as(Actor("not-the-owner", "analyst")), pytest.raises(PermissionDenied, match="only they or an admin"):
        runs.delete_run(active)
    assert runs.run_dir(active).exists()
