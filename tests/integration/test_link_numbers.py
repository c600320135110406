"""An alert's number and a recommendation dataset version's number are never given to another after the newest
is deleted: an alert email's ?alert=12 link keeps opening that alert (or says it is gone), and "dataset version 3"
keeps naming one upload (SQLite reused the newest deleted number before migration 0024)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text

from core.alerts import delete_alert_rule, detect_alerts
from core.recommend import service, store
from core.recommend.data import load_files
from core.recommend.evaluate import EvalConfig
from core.storage import get_engine
from tests.integration.test_recommend_cli_store import files  # noqa: F401 - a fixture
from tests.unit.test_alert_detect import NOW, add_article, add_feed, rule


def fire(name: str) -> int:
    feed = add_feed(name)
    for _ in range(3):
        add_article(feed, "negative")
    rule(name, scope_type="feed", scope_value=name)
    [alert_id] = detect_alerts(NOW)
    return alert_id


def test_an_alert_deleted_with_its_rule_leaves_its_number_unused(db):
    first = fire("Wire")
    assert delete_alert_rule("Wire") is True  # its alerts go with it
    assert fire("Desk") == first + 1


def save(check, mapping, note: str) -> int:  # noqa: ANN001
    items = check.items.copy()
    items.loc[items.index[0], "description"] += note  # other data: a new version
    return store.save_dataset(replace(check, items=items), "shop", "r.csv", "i.csv", mapping).id


def test_the_newest_dataset_version_deleted_leaves_its_number_unused(db, files):  # noqa: F811
    check, mapping = load_files(*files)
    first = save(check, mapping, " one")
    store.delete_dataset(first)
    assert save(check, mapping, " two") == first + 1


def test_the_migration_keeps_alerts_datasets_and_their_evaluations(db, files):  # noqa: F811
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import downgrade_before, schema_differences

    assert schema_differences("alerts", "rec_datasets") == []
    if get_engine().dialect.name != "sqlite":
        pytest.skip("PostgreSQL's sequences never reused a number; the migration leaves them alone")
    downgrade_before(db, "_alert_and_dataset_numbers_never_reused.py")
    alerts = [fire("Wire"), fire("Desk")]
    check, mapping = load_files(*files)
    datasets = [save(check, mapping, " one"), save(check, mapping, " two")]
    evaluation = service.evaluate_version(datasets[1], EvalConfig(protocol="last", seed=3, k=5))
    with get_engine().connect() as conn:
        assert "AUTOINCREMENT" not in conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'alerts'")).scalar()
    upgrade_database()

    assert [e.id for e in store.list_evaluations(datasets[1])] == [evaluation]  # not cascaded away by the rebuild
    assert [d.id for d in store.list_datasets()] == datasets[::-1]
    store.delete_dataset(datasets[1])
    assert save(check, mapping, " three") == datasets[1] + 1
    assert delete_alert_rule("Desk") is True
    assert fire("Newsroom") == alerts[1] + 1

