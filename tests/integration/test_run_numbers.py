"""A deleted run's number is never given to another run: the audit log's "run 7", a saved ?run=7 link and a model
version's "trained by run 7" keep naming the run they meant (SQLite reused the newest deleted number before 0023)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.nlp import runs as training
from core.scoring import runs as scoring
from core.storage import get_engine, session_scope
from core.storage.tables import ScoringRun, TrainingRun
from tests.integration.test_training_runs import queue


def _end(table: type, run_id: int) -> None:
    with session_scope() as session:
        session.get(table, run_id).status = "cancelled"


def _upload(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text("text\nshares fell\nshares rose\n")
    return path


def test_the_newest_training_run_deleted_leaves_its_number_unused(tiny_models):
    first = queue()
    _end(TrainingRun, first)
    training.delete_run(first)
    assert queue() == first + 1


def test_the_newest_scoring_run_deleted_leaves_its_number_unused(tiny_models, tmp_path):
    first = scoring.create_run(_upload(tmp_path), "in.csv", "text", ["sentiment"])
    _end(ScoringRun, first)
    scoring.delete_run(first)
    assert scoring.create_run(_upload(tmp_path), "in.csv", "text", ["sentiment"]) == first + 1


def test_the_migration_keeps_every_run_and_counts_on_from_the_highest(db, tiny_models, tmp_path):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import downgrade_before, schema_differences

    assert schema_differences("training_runs", "scoring_runs") == []
    if get_engine().dialect.name != "sqlite":
        return  # PostgreSQL's sequences never reused a number; the migration leaves them alone
    downgrade_before(db, "_run_numbers_never_reused.py")
    runs_before = [queue(), queue()]
    scoring_before = scoring.create_run(_upload(tmp_path), "in.csv", "text", ["sentiment"])
    with get_engine().connect() as conn:
        assert "AUTOINCREMENT" not in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'training_runs'")).scalar()
    upgrade_database()

    assert [r.id for r in training.list_runs()] == runs_before[::-1]
    assert scoring.get_run(scoring_before).file_name == "in.csv"
    _end(TrainingRun, runs_before[1])
    training.delete_run(runs_before[1])
    assert queue() == runs_before[1] + 1
