"""Model Studio's "Compress" action: a version distilled into the fast encoder in its own process (a training run of
method distil) into the chosen student, over an uploaded file of in-domain texts or the project's own texts; the
side-by-side result, and the student promoted like any version."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from core.__main__ import main
from core.nlp import registry
from core.nlp.defaults import SHARED_DATA
from core.nlp.distil import teacher_training_texts
from core.nlp.runs import TextsFile, get_run, list_runs, queue_distil_run, runs_dir
from core.scoring.reading import InputFileError
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, texts
from tests.integration.test_distil import UNLABELLED
from tests.unit.test_alert_detect import add_article, add_feed

COMPRESS = "Compress (distil into the fast encoder)"
SMALLEST = "Smallest and fastest (recommended): the fast encoder's first 3 of 6 layers"
NEWS = pd.DataFrame({"id": range(len(UNLABELLED)), "headline": UNLABELLED}).to_csv(index=False).encode()


def wait_for(run_id: int, seconds: float = 240):  # noqa: ANN201 - RunView
    deadline = time.monotonic() + seconds
    while not get_run(run_id).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    return get_run(run_id)


def test_compress_a_version_follow_the_run_and_promote_the_student(tiny_models):
    feed = add_feed()
    for text in UNLABELLED:  # the project's own texts: stored feed items
        add_article(feed, title=text)
    at = open_page("model_studio.py", "Versions")
    at = button(at, COMPRESS).click().run()
    assert_no_exception(at)
    assert any("Compression run 1 started: sentiment v1" in t for t in texts(at.success))
    assert get_run(1).params | {"int8": True} == {"from_version": 1, "int8": True, "student": "smallest", "method": "full",
                                                  "layers": 3, "texts": None}  # the default: 3 layers, the project's texts

    deadline = time.monotonic() + 240
    while not get_run(1).finished and time.monotonic() < deadline:
        time.sleep(0.5)
    run = get_run(1)
    assert run.status == "succeeded", run.error
    assert run.method == "distil" and run.model_version == 2 and run.row_count == len(UNLABELLED)
    at = button(at, "Follow run 1 under Runs").click().run()
    assert_no_exception(at)
    table = next(f.value for f in at.dataframe if "teacher v1" in f.value.columns)
    assert list(table.columns) == ["measure", "teacher v1", "student v2"]
    assert table["measure"].tolist() == ["Base encoder", "Method", "Precision", "Accuracy", "Macro-F1", "Texts/s", "Size (MB)"]
    assert table["student v2"].tolist()[0] == "fast"
    caption = next(c for c in shown_texts(at.caption) if "held-out validation rows" in c)
    assert f"labels on {len(UNLABELLED)} texts ({len(UNLABELLED)} from stored feed items" in caption
    assert "Kept in int8: " in caption or "Kept in fp32: in int8 only" in caption  # said once, in words
    settings = "Student: Smallest and fastest (full, 3 layers). Texts: the project's own texts for the task"
    assert settings in " ".join(shown_texts(at.caption))
    assert not registry.get_version("sentiment", 2).is_active
    assert {m.label: m.delta for m in at.metric}["Registered as"] == "not active yet"

    at = button(at, "Promote v2 to active").click().run()
    if registry.active_version("sentiment").version == 1:  # the student scored lower on the same rows: confirm
        at = button(at, "Yes, promote v2").click().run()
    assert_no_exception(at)
    assert registry.active_version("sentiment").version == 2
    at = switch_tab(at, "Versions")
    versions = next(f.value for f in at.dataframe if "data fingerprint" in f.value.columns)
    int8 = ", int8" if "Kept in int8: " in caption else ""
    assert versions.set_index("version").loc[2, "method"] == f"full, first 3 layers{int8}, compressed from v1"  # not just "full"
    from core.views.batch_scoring import version_choices

    assert version_choices("sentiment")[2].startswith(f"v2 · active · full, first 3 layers{int8}, compressed from v1, fast encoder")


def test_an_analyst_may_compress_but_not_promote(tiny_models):
    at = open_page("model_studio.py", "Versions", role="analyst")
    assert_no_exception(at)
    assert button(at, COMPRESS) is not None
    assert not [b for b in at.button if b.label in ("Roll back", "Promote v1")]
    assert any("needs the admin role" in c for c in texts(at.caption))


def test_compressing_without_enough_texts_is_refused_before_the_click_with_the_reason(tiny_models):
    at = open_page("model_studio.py", "Versions")
    assert_no_exception(at)
    error = " ".join(texts(at.error))
    assert "at least 50 are needed" in error and "0 from stored feed items" in error and "under Compress" in error
    assert button(at, COMPRESS).disabled
    with pytest.raises(ValueError, match="at least 50 are needed"):  # the same rule when queued another way
        queue_distil_run("sentiment", 1)
    assert list_runs() == []  # nothing queued, no failed run to clear
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_the_texts_and_time_a_compression_takes_are_said_before_it_starts(tiny_models):
    feed = add_feed()
    for text in UNLABELLED:
        add_article(feed, title=text)
    at = open_page("model_studio.py", "Versions")
    assert_no_exception(at)
    [plan] = [c for c in shown_texts(at.caption) if c.startswith("The student would learn from")]
    assert f"learn from {len(UNLABELLED)} texts ({len(UNLABELLED)} from stored feed items)" in plan
    assert "estimated time on the CPU (" in plan and ": about " in plan
    assert not button(at, COMPRESS).disabled

    at.file_uploader(key="studio_texts_upload").upload("news.csv", NEWS + b"999,One more headline about the lender\n", "text/csv")
    at = at.run()
    [plan] = [c for c in shown_texts(at.caption) if c.startswith("The student would learn from")]
    assert f"learn from {len(UNLABELLED) + 1} texts ({len(UNLABELLED) + 1} from news.csv (column headline))" in plan


def install_shipped_defaults() -> None:
    from core.auth.roles import Actor, acting_as
    from core.nlp.defaults import install_default_models

    with acting_as(Actor("setup", "admin")):
        install_default_models()


def test_a_shipped_default_without_its_datasets_cannot_be_compressed_and_the_page_says_why(db, tmp_path, monkeypatch):
    monkeypatch.setattr("core.nlp.defaults.SHARED_DATA", tmp_path / "no-datasets")
    install_shipped_defaults()  # installed without validation rows: they are rebuilt from the datasets, absent here
    at = open_page("model_studio.py", "Versions")
    assert_no_exception(at)
    assert at.selectbox(key="studio_versions_task").value == "sentiment"
    assert button(at, COMPRESS).disabled
    reason = " ".join(shown_texts(at.caption))
    assert "Sentiment v2 is a shipped default" in reason and "not on this machine" in reason
    with pytest.raises(ValueError, match="compress a version trained under Train"):
        queue_distil_run("sentiment", 2)
    assert list_runs() == []  # nothing queued


def test_a_shipped_default_built_from_project_texts_is_compared_on_the_rows_it_held_out(db, tmp_path, monkeypatch):
    monkeypatch.setattr("core.nlp.defaults.SHARED_DATA", tmp_path / "no-datasets")
    install_shipped_defaults()
    info = registry.active_version("customer_sentiment")  # trained on training_data/customer_messages.py only
    rows = registry.validation_rows(info)
    assert rows is not None and len(rows[0]) == info.metrics["validation"]["n"]  # the split train_classifier held out
    assert (registry.get_settings().model_dir / info.path / "validation.csv").exists()  # kept for next time
    training = teacher_training_texts(info)  # the student learns on the rest of the build's rows
    assert len(training) == info.metrics["train_rows"] - len(rows[0]) and not set(training) & set(rows[0])
    at = open_page("model_studio.py", "Versions")
    at.selectbox(key="studio_versions_task").set_value("customer_sentiment")
    at = at.run()
    assert_no_exception(at)
    assert not button(at, COMPRESS).disabled
    assert not any("shipped default" in c for c in shown_texts(at.caption))


def test_rows_rebuilt_from_other_sources_are_not_used(db):
    from core.nlp.defaults import shipped_split

    params = {"validation_share": 0.15, "seed": 13}
    assert shipped_split("customer_sentiment", "0" * 64, params) is None  # the sources changed since the build
    assert shipped_split("no-such-task", "0" * 64, params) is None


def test_the_chosen_student_learns_from_the_uploaded_file_kept_with_the_run(tiny_models):
    at = open_page("model_studio.py", "Versions")
    at.radio(key="studio_student").set_value("quick")
    at.file_uploader(key="studio_texts_upload").upload("news.csv", NEWS, "text/csv")
    at = at.run()
    assert_no_exception(at)
    assert any(option.startswith(SMALLEST) for option in at.radio(key="studio_student").options)
    assert at.selectbox(key="studio_texts_column").value == "headline"  # suggested: the longest texts
    at = button(at, COMPRESS).click().run()
    assert_no_exception(at)
    run = get_run(1)
    assert (run.params["student"], run.params["method"], run.params["layers"]) == ("quick", "head", None)
    assert run.params["texts"] == {"file": "news.csv", "column": "headline"}
    assert [p.name for p in runs_dir().glob("run-1-texts-*")] == ["run-1-texts-news.csv"]  # the run's own copy
    assert not list((runs_dir() / "uploads").iterdir())  # taken from the upload kept for the page

    run = wait_for(1, 420)
    assert run.status == "succeeded", run.error
    assert run.result["distilled"]["sources"] == {"news.csv (column headline)": len(UNLABELLED), "the teacher's training texts": 0}
    at = switch_tab(at, "Runs")
    assert_no_exception(at)
    table = next(f.value for f in at.dataframe if "teacher v1" in f.value.columns)
    assert table["student v2"].tolist()[:2] == ["fast", "head"]
    captions = " ".join(shown_texts(at.caption))
    assert f"({len(UNLABELLED)} from news.csv (column headline)" in captions
    assert "Student: Quick (head). Texts: the file news.csv (column headline)" in captions


def test_a_column_without_texts_is_refused_with_the_file_and_column_and_nothing_is_queued(tiny_models):
    at = open_page("model_studio.py", "Versions")
    at.file_uploader(key="studio_texts_upload").upload("news.csv", NEWS, "text/csv")
    at = at.run()
    at.selectbox(key="studio_texts_column").set_value("id")
    at = at.run()
    assert_no_exception(at)
    assert "news.csv: column 'id' holds no texts (only blanks or numbers); choose the column that holds the texts" in shown_texts(at.error)
    assert button(at, COMPRESS).disabled
    assert list_runs() == []


def test_the_student_and_the_texts_file_stay_after_a_visit_to_another_tab(tiny_models):
    at = open_page("model_studio.py", "Versions")
    at.radio(key="studio_student").set_value("quick")
    at.file_uploader(key="studio_texts_upload").upload("news.csv", NEWS, "text/csv")
    at = at.run()
    at.selectbox(key="studio_texts_column").set_value("id")
    at = switch_tab(switch_tab(at.run(), "Runs"), "Versions")
    assert_no_exception(at)
    assert "Still using news.csv, uploaded earlier; upload another file to replace it." in shown_texts(at.caption)
    assert at.radio(key="studio_student").value == "quick" and at.selectbox(key="studio_texts_column").value == "id"
    assert "news.csv: column 'id' holds no texts (only blanks or numbers); choose the column that holds the texts" in shown_texts(at.error)


def test_an_unreadable_file_is_named_and_cannot_be_compressed_on(tiny_models):
    at = open_page("model_studio.py", "Versions")
    at.file_uploader(key="studio_texts_upload").upload("news.csv", b"\x89PNG\r\n\x1a\n\x00\x00binary", "text/csv")
    at = at.run()
    assert_no_exception(at)
    [error] = shown_texts(at.error)
    assert error.startswith("news.csv is a PNG image, not a text table (CSV); nothing was read.")
    assert button(at, COMPRESS).disabled
    assert list_runs() == []


def test_a_missing_column_is_refused_before_anything_is_queued(tiny_models, tmp_path):
    path = tmp_path / "upload.csv"
    path.write_bytes(NEWS)
    with pytest.raises(InputFileError, match=r"news\.csv: no column named 'text'; columns are: id, headline;"):
        queue_distil_run("sentiment", 1, texts=TextsFile(path, "news.csv", "text"))
    assert list_runs() == [] and not list(runs_dir().glob("run-*"))


def test_cli_refuses_a_column_without_texts_with_the_same_reader(tiny_models, tmp_path, capsys):
    path = tmp_path / "texts.csv"
    path.write_bytes(NEWS)
    code = main(["models", "distil", "--task", "sentiment", "--from-version", "1", "--unlabelled", str(path), "--text-column", "id"])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}: column 'id' holds no texts (only blanks or numbers); use --text-column" in err
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


@pytest.mark.skipif(not (SHARED_DATA / "twitter_fin_sentiment" / "train.csv").is_file(), reason="needs ../shared/data")
def test_the_shipped_sentiment_model_is_compared_on_its_validation_split_when_the_datasets_are_here(db):
    install_shipped_defaults()
    for info in registry.list_versions("sentiment"):  # v1 (fast) and v2 (accurate) held out the same 2,406 rows
        rows = registry.validation_rows(info)
        assert rows is not None and len(rows[0]) == info.metrics["validation"]["n"]
    at = open_page("model_studio.py", "Versions")
    assert_no_exception(at)
    assert not button(at, COMPRESS).disabled
