import csv
import subprocess
import sys
from pathlib import Path

import pytest

from core.nlp import registry
from core.nlp.device import loaded
from core.nlp.store import ModelFilesError
from core.settings import REPO_ROOT, get_settings


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO_ROOT, capture_output=True, text=True)


def test_first_registered_version_is_active_and_recorded(tiny_models):
    info = registry.active_version("sentiment")
    assert info.version == 1 and info.method == "head" and info.created_by == "tests"
    assert info.labels == ["negative", "neutral", "positive"]
    assert "macro_f1" in info.metrics and info.duration_s > 0


def test_promote_and_rollback(tiny_models, tiny_trained):
    registry.register_trained(tiny_trained["sentiment"], "sentiment", activate=True)
    assert registry.active_version("sentiment").version == 2
    assert registry.rollback("sentiment").version == 1
    assert registry.promote("sentiment", 2).version == 2
    with pytest.raises(LookupError, match="no version 9"):
        registry.promote("sentiment", 9)


def test_a_sentiment_version_without_the_labels_monitoring_reads_is_never_made_active(tiny_models, tiny_trained):
    from core.nlp.training import TrainingParams, train_classifier

    rows = [("shares soar on record profit", "bullish"), ("stock plunges after the loss", "bearish")] * 4
    market_view = train_classifier([t for t, _ in rows], [lab for _, lab in rows], TrainingParams(method="head", epochs=5))
    registry.register_trained(market_view, "sentiment")  # a version trained before the data check refused such labels
    with pytest.raises(ValueError, match="sentiment v2 cannot be made active: .* not among them: bearish, bullish"):
        registry.promote("sentiment", 2)
    assert registry.active_version("sentiment").version == 1
    assert registry.register_trained(market_view, "market view").is_active  # a task of the user's own takes any labels


def test_the_audit_log_names_a_rollback_as_a_rollback(tiny_models, tiny_trained):
    from core.auth import list_events

    registry.register_trained(tiny_trained["sentiment"], "sentiment", activate=True)
    registry.rollback("sentiment")
    registry.promote("sentiment", 2)
    events = [(e["action"], e["target"], e["detail"]) for e in list_events(action="") if e["action"].startswith("model ")]
    assert events == [("model promoted", "sentiment v2", {}), ("model rolled back", "sentiment v1", {"from_version": 2})]
    registered = {e["target"]: e["detail"]["active"] for e in list_events(action="version registered")}
    assert registered["sentiment v2"] is True  # a version that appears is in the log, however it was made
    assert registered["sentiment v1"] is True and registered["topic v1"] is True  # the first of a task: active, unasked


def test_the_audit_log_says_a_new_task_s_first_version_became_active(db, tiny_trained):
    from core.auth import list_events

    assert registry.register_trained(tiny_trained["topic"], "complaint_type", activate=False).is_active
    [event] = [e for e in list_events(action="version registered") if e["target"] == "complaint_type v1"]
    assert event["detail"]["active"] is True  # what happened, not what was asked


def test_active_classifier_follows_promotion_without_restart(tiny_models, tiny_trained):
    first = registry.active_classifier("sentiment")
    registry.register_trained(tiny_trained["sentiment"], "sentiment", activate=True)
    second = registry.active_classifier("sentiment")
    assert (first.version, second.version) == (1, 2)


def test_one_loaded_copy_serves_item_scoring_and_batch_scoring_within_the_bound(tiny_models, monkeypatch):
    from core.scoring.engine import load_task_models

    loaded.clear()
    assert load_task_models(["sentiment"])[0].classifier is registry.active_classifier("sentiment")
    monkeypatch.setenv("BEACON_MAX_LOADED_MODELS", "1")
    get_settings.cache_clear()
    registry.active_classifier("topic")
    assert len(loaded.keys()) == 1  # the sentiment model made room


def test_corrupt_model_file_gives_a_clear_error(tiny_models):
    folder = get_settings().model_dir / registry.active_version("topic").path
    (folder / "head.safetensors").write_bytes(b"garbage")
    loaded.clear()  # the loaded-models cache holds the sound copy
    with pytest.raises(ModelFilesError, match="corrupt"):
        registry.active_classifier("topic")


def test_cli_scores_a_csv_with_the_active_model(tiny_models, tmp_path: Path):
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,Profit rose to a record\n2,The company cut jobs after a loss\n")
    out = tmp_path / "out.csv"
    result = _cli("score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert {"label", "confidence", "prob_negative", "prob_neutral", "prob_positive"} <= set(rows[0])
    assert rows[0]["label"] == "positive" and rows[1]["label"] == "negative"
    total = sum(float(rows[0][f"prob_{c}"]) for c in ("negative", "neutral", "positive"))
    assert total == pytest.approx(1.0, abs=1e-4)


def test_cli_compares_a_label_column_of_the_file_with_the_model(tiny_models, tmp_path: Path):
    src, out = tmp_path / "labelled.csv", tmp_path / "out.csv"
    src.write_text("text,label\nProfit rose to a record,positive\nThe company cut jobs after a loss,Negative\n"
                   "Sales jumped to a record,negative\nThe board met on Tuesday,\n")  # fmt: skip
    result = _cli("score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out))
    assert result.returncode == 0, result.stderr
    labels = [row["label"] for row in csv.DictReader(out.open())]
    same = sum(given == model for given, model in zip(["positive", "negative", "negative"], labels))
    line = next(line for line in result.stdout.splitlines() if line.startswith("sentiment against column 'label'"))
    assert f"the same label on {same} of 3 rows ({same / 3:.1%})" in line
    assert line.endswith("; 1 not compared (no such label, or an empty text)")  # the row without a label


@pytest.mark.parametrize(
    ("content", "column", "message"),
    [
        (b"id,body\n1,hello\n", "text", "no column named 'text'"),
        (b"id,Headline\n1,hello\n", "headline", "no column named 'headline'; columns are: id, Headline (did you mean 'Headline'?)"),
        (b"", "text", "the file is empty"),
        ("text\nUnternehmensgew\xe4hr\n".encode("latin-1"), "text", "not valid UTF-8"),
    ],
)
def test_cli_score_bad_input_one_line_error(tiny_models, tmp_path: Path, content, column, message):
    src = tmp_path / "in.csv"
    src.write_bytes(content)
    out = tmp_path / "out.csv"
    result = _cli("score", "--task", "sentiment", "--input", str(src), "--text-column", column, "--output", str(out))
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_models_list_promote_rollback(tiny_models, tiny_trained):
    registry.register_trained(tiny_trained["sentiment"], "sentiment")
    listed = _cli("models", "list", "--task", "sentiment")
    assert listed.returncode == 0 and "v2" in listed.stdout and "* sentiment" in listed.stdout
    other = _cli("models", "list", "--task", "sentimnt")  # a typo is not "no versions yet; run setup"
    assert other.stdout.startswith("task 'sentimnt' has no versions; tasks with versions: ") and "sentiment" in other.stdout
    assert _cli("models", "promote", "--task", "sentiment", "--version", "2").returncode == 0
    assert registry.active_version("sentiment").version == 2
    assert _cli("models", "rollback", "--task", "sentiment").returncode == 0
    assert registry.active_version("sentiment").version == 1
