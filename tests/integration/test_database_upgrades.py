"""Database upgrades (schema migrations). On SQLite an upgrade is all or nothing: a start cut off midway leaves the
database as it was (before, a table rebuild's CREATE TABLE committed on its own and every later start failed on the
leftover table); table rebuilds keep the rows that refer to the rebuilt table (before, ON DELETE CASCADE deleted them
when the old table was dropped); a start on an up-to-date database does not wait for the worker's write lock. On
SQLite and PostgreSQL, several processes starting on a new database at once all come up (before, all but one could
fail on a table another had made)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from core.alerts import delete_alert_rule
from core.recommend import service, store
from core.recommend.data import load_files
from core.recommend.evaluate import EvalConfig
from core.storage import get_engine
from core.storage.migrate import upgrade_database
from tests.integration.test_link_numbers import fire, save
from tests.integration.test_recommend_cli_store import files  # noqa: F401 - a fixture
from tests.support.migrations import downgrade_before

ROOT = Path(__file__).resolve().parents[2]

CRASH_MIDWAY = """
import os
from sqlalchemy import Engine, event
from core.storage.migrate import upgrade_database


@event.listens_for(Engine, "before_cursor_execute")
def crash(conn, cursor, statement, *args):
    if "_alembic_tmp_rec_datasets RENAME" in statement:
        os._exit(3)  # the process dies with alerts rebuilt and rec_datasets dropped, before its copy takes its place


upgrade_database()
"""


def test_a_migration_cut_off_midway_leaves_the_database_as_it_was(db, files):  # noqa: F811
    if get_engine().dialect.name != "sqlite":
        pytest.skip("the rebuild runs on SQLite only")
    downgrade_before(db, "_alert_and_dataset_numbers_never_reused.py")
    alert = fire("Wire")
    check, mapping = load_files(*files)
    dataset = save(check, mapping, " one")
    evaluation = service.evaluate_version(dataset, EvalConfig(protocol="last", seed=3, k=5))
    get_engine().dispose()

    crashed = subprocess.run([sys.executable, "-c", CRASH_MIDWAY], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 3, crashed.stderr

    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0023"
        assert "AUTOINCREMENT" not in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'alerts'")).scalar()
    assert [e.id for e in store.list_evaluations(dataset)] == [evaluation]
    upgrade_database()  # the next start finishes the job
    assert [e.id for e in store.list_evaluations(dataset)] == [evaluation]
    assert [d.id for d in store.list_datasets()] == [dataset]
    assert delete_alert_rule("Wire") is True
    assert fire("Desk") == alert + 1


def test_several_processes_starting_on_a_new_database_at_once_all_come_up(db, tmp_path):
    """Several workers restarted together on a new release: one upgrades, the others wait and find it done."""
    from alembic.script import ScriptDirectory

    from core.storage import reset_engines
    from core.storage.migrate import alembic_config

    if get_engine().dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    else:
        url = db
        with get_engine().begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        reset_engines()
    start = [sys.executable, "-c", f"from core.storage.migrate import upgrade_database; upgrade_database({url!r})"]
    processes = [subprocess.Popen(start, cwd=ROOT, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    engine = create_engine(url)
    with engine.connect() as conn:
        assert [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))] == [
            ScriptDirectory.from_config(alembic_config(url)).get_current_head()]
    engine.dispose()


def test_a_start_on_an_up_to_date_database_does_not_wait_for_the_writer(db):
    import sqlite3

    if get_engine().dialect.name != "sqlite":
        pytest.skip("SQLite's write lock")
    writer = sqlite3.connect(db.split("///", 1)[1], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the worker in the middle of a write
    try:
        upgrade_database()  # waiting for the lock would fail here after the 30 s busy timeout
    finally:
        writer.execute("ROLLBACK")
        writer.close()


OLD_ROWS = [
    "INSERT INTO feeds (id, name, url, topics, enabled, interval_minutes, last_new_items, created_at) "
    "VALUES (1, 'Wire', 'http://127.0.0.1/feed', '[]', 1, 30, 0, '2026-01-01 00:00:00')",
    "INSERT INTO articles (id, feed_id, guid, title, summary, published_at, fetched_at, companies) "
    "VALUES (1, 1, 'g1', 'Acme falls', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '[\"Acme\"]')",
    "INSERT INTO company_mentions (article_id, company) VALUES (1, 'Acme')",
    "INSERT INTO label_corrections (article_id, field, new_label, text, created_by, created_at) "
    "VALUES (1, 'sentiment', 'negative', 'Acme falls', 'ann', '2026-01-01 00:00:00')",
    "INSERT INTO label_corrections (article_id, field, new_label, text, created_by, created_at) "  # already pointing
    "VALUES (99, 'topic', 'Markets', 'gone', 'ann', '2026-01-01 00:00:00')",  # nowhere: left as it was, not refused
]


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        got = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("articles", "company_mentions", "label_corrections")}
    engine.dispose()
    return got


def test_an_old_database_keeps_its_company_mentions_and_corrections_through_table_rebuilds(tmp_path):
    """0014 rebuilt `articles`; with foreign keys on, dropping the old table deleted every company mention and every
    reviewer correction (training data) that referred to it."""
    import sqlite3

    from alembic import command

    from core.storage.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    command.upgrade(alembic_config(url), "0013")
    old = sqlite3.connect(tmp_path / "old.sqlite")
    for statement in OLD_ROWS:
        old.execute(statement)
    old.commit()
    old.close()

    upgrade_database(url)
    assert counts(url) == {"articles": 1, "company_mentions": 1, "label_corrections": 2}
    with get_engine(url).begin() as conn:  # the connection that ran the upgrade enforces foreign keys again
        conn.execute(text("DELETE FROM articles WHERE id = 1"))
    assert counts(url) == {"articles": 0, "company_mentions": 0, "label_corrections": 1}


def test_mentions_lost_by_an_earlier_upgrade_are_restored_from_the_items(tmp_path):
    import sqlite3

    from alembic import command

    from core.storage.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'lost.sqlite'}"
    command.upgrade(alembic_config(url), "0024")
    old = sqlite3.connect(tmp_path / "lost.sqlite")
    old.execute(OLD_ROWS[0])
    item = ("INSERT INTO articles (id, feed_id, guid, title, summary, published_at, fetched_at, companies, scored_at) "
            "VALUES (?, 1, ?, 't', '', '2026-01-01 00:00:00', '2026-01-01 00:00:00', ?, ?)")
    old.execute(item, (1, "lost", '["Acme", "BETA"]', "2026-01-01 00:01:00"))  # its mentions went in the old upgrade
    old.execute(item, (2, "kept", '["Acme"]', "2026-01-01 00:01:00"))
    old.execute("INSERT INTO company_mentions (article_id, company) VALUES (2, 'Acme')")
    old.execute(item, (3, "unscored", '["Acme"]', None))  # not scored: its mentions are written when it is
    old.commit()
    old.close()

    upgrade_database(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        mentions = conn.execute(text("SELECT article_id, company FROM company_mentions ORDER BY article_id, company")).all()
    engine.dispose()
    assert [tuple(m) for m in mentions] == [(1, "Acme"), (1, "BETA"), (2, "Acme")]


def test_a_team_threshold_set_before_its_basis_was_kept_still_reads_as_picked_on_past_questions(tmp_path, monkeypatch):
    """Before 0027 a team threshold could only come from the Past questions tab: after the upgrade it must not read as
    set by hand (its count of questions was not kept)."""
    import sqlite3

    from alembic import command

    from core.settings import get_settings
    from core.storage import reset_engines
    from core.storage.migrate import alembic_config
    from core.support.kb import team_threshold

    url = f"sqlite:///{tmp_path / 'kb.sqlite'}"
    command.upgrade(alembic_config(url), "0026")
    old = sqlite3.connect(tmp_path / "kb.sqlite")
    old.execute("INSERT INTO support_kbs (id, name, created_at, team_threshold, team_threshold_by, team_threshold_at) "
                "VALUES (1, 'Shop', '2026-12-01 09:00:00', 0.48, 'ana', '2026-12-02 09:00:00')")  # fmt: skip
    old.commit()
    old.close()

    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        upgrade_database(url)
        team = team_threshold("Shop")
    finally:
        get_settings.cache_clear()
        reset_engines()
    assert (team.value, team.set_by, team.checked, team.by_hand) == (0.48, "ana", None, False)
