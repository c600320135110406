"""Recommendations end to end on a real database: dataset versions, stored evaluations, the CLI, the embedding
cache and the nightly export."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.__main__ import main
from core.recommend import embeddings, service, store
from core.recommend.data import load_files
from core.recommend.evaluate import EvalConfig
from tests.app.test_recommendations_page import ITEMS, interactions


@pytest.fixture
def files(tmp_path):
    inter, items = tmp_path / "ratings.csv", tmp_path / "items.csv"
    inter.write_text(interactions())
    items.write_text(ITEMS)
    return inter, items


def test_cli_evaluate_prints_the_comparison_and_stores_it(db, files, capsys):
    inter, items = files
    code = main(["recommend", "--interactions", str(inter), "--items", str(items), "--evaluate", "--protocol", "random",
                 "--test-ratio", "0.25", "--k", "5", "--save", "shop"])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert [m["model"] for m in report["models"]] == ["popularity", "itemknn", "ease", "text", "text_tuned", "hybrid"]
    assert {"ndcg@5", "recall@5", "recall@20", "hit_rate@5", "coverage@5", "cold_recall@20", "fit_s"} <= set(report["models"][0])
    assert report["setup"]["protocol"] == "random" and report["setup"]["seed"] == 42 and report["setup"]["test_ratio"] == 0.25
    assert report["setup"]["dataset_version"] == 1
    assert "1 row names an item that is not in the catalogue" in out.err and "saved as dataset version v1 (shop)" in out.err
    assert "embedding the item texts: 0 of 13" in out.err  # a large catalogue takes minutes: the command says how far it is
    stored = store.list_evaluations(1)
    assert len(stored) == 1 and stored[0].protocol == "random" and stored[0].results == report["models"]


def test_cli_export_writes_top_k_per_user_without_seen_items(beacon_env, files, tmp_path, capsys):
    inter, items = files
    target = tmp_path / "top.csv"
    assert main(["recommend", "--interactions", str(inter), "--items", str(items), "--export", str(target), "--k", "3"]) == 0
    top = pd.read_csv(target, dtype=str)
    assert list(top.columns) == ["user", "rank", "item", "title", "score", "reason"]
    assert top.groupby("user").size().eq(3).all() and top["user"].nunique() == 10
    seen = pd.read_csv(inter, dtype=str)
    pairs = set(zip(seen["customer"], seen["sku"]))
    assert not any((u, i) in pairs for u, i in zip(top["user"], top["item"]))
    assert top["reason"].str.len().gt(0).all()


def test_cli_reads_each_file_from_the_sheet_named_for_it(beacon_env, files, tmp_path, capsys):
    import csv
    import io

    from tests.unit.test_scoring_reading import workbook

    inter, items = files
    book = tmp_path / "catalogue.xlsx"
    rows = list(csv.reader(io.StringIO(ITEMS)))
    book.write_bytes(workbook(("Read me", [["Catalogue exported on Monday"]]), ("Items", rows)))
    target = tmp_path / "top.csv"
    base = ["recommend", "--interactions", str(inter), "--items", str(book), "--export", str(target), "--k", "3"]
    assert main(base) == 1
    assert "To read another sheet, add --items-sheet Items." in capsys.readouterr().err
    assert main([*base, "--items-sheet", "Items"]) == 0
    top = pd.read_csv(target, dtype=str)
    assert top["user"].nunique() == 10 and set(top["item"]) <= {row[0] for row in rows[1:]}
    assert main([*base, "--interactions-sheet", "Items"]) == 1
    assert "--interactions-sheet 'Items': ratings.csv is not an .xlsx workbook" in capsys.readouterr().err


def test_cli_reports_a_missing_column_in_one_line(beacon_env, tmp_path, capsys):
    inter, items = tmp_path / "r.csv", tmp_path / "i.csv"
    inter.write_text("who,what_time\n1,2\n")
    items.write_text(ITEMS)
    assert main(["recommend", "--interactions", str(inter), "--items", str(items), "--evaluate"]) == 1
    err = capsys.readouterr().err
    assert "error: r.csv: choose the column that holds the user" in err


def test_item_embeddings_are_computed_once_per_catalogue_text(beacon_env, monkeypatch):
    texts = ["Trail running shoe", "Wool winter hat"]
    first = embeddings.item_embeddings(texts)
    assert first.shape == (2, 384) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-4)
    assert len(list((beacon_env / "recommend" / "embeddings").glob("*.npy"))) == 1
    monkeypatch.setattr(embeddings, "embed_texts", lambda _texts: pytest.fail("recomputed a cached catalogue"))
    assert np.array_equal(embeddings.item_embeddings(texts), first)
    with pytest.raises(pytest.fail.Exception):
        embeddings.item_embeddings(texts + ["a new item"])  # a changed catalogue is a new version


def test_versions_evaluations_and_nightly_export(db, files):
    inter, items = files
    check, mapping = load_files(*files)
    first = store.save_dataset(check, "shop", inter.name, items.name, mapping)
    assert not first.already_saved
    again = store.save_dataset(check, "shop again", inter.name, items.name, mapping)  # the same files saved twice
    assert (again.id, again.name, again.already_saved) == (first.id, "shop", True)
    assert [d.id for d in store.list_datasets()] == [first.id]  # not stored twice
    changed = check.items.copy()
    changed.loc[changed.index[0], "description"] += " (new season)"  # one description changed: other data
    second = store.save_dataset(replace(check, items=changed), "shop again", inter.name, items.name, mapping)
    assert not second.already_saved and [d.id for d in store.list_datasets()] == [second.id, first.id]
    ds = store.load_dataset(first.id)
    assert ds.version == first.id and len(ds.user_idx) == 50 and ds.n_items == 13 and ds.has_timestamps
    eval_id = service.evaluate_version(first.id, EvalConfig(protocol="last", seed=3, k=5))
    stored = store.list_evaluations(first.id)[0]
    assert stored.id == eval_id and (stored.protocol, stored.seed, stored.meta["dataset_version"]) == ("last", 3, first.id)
    assert store.list_evaluations(second.id) == []
    assert service.nightly_refit_export() == []  # nothing asked for yet
    store.set_nightly_export(first.id, True, 4)
    written = service.nightly_refit_export()
    assert [p.name for p in written] == [f"dataset_{first.id}_top4.csv"]
    assert pd.read_csv(written[0]).groupby("user").size().max() == 4
    assert store.get_dataset(first.id).last_export_at is not None


def test_a_check_with_errors_cannot_be_saved(db):
    from core.recommend.data import check_data, read_table

    inter, cat = read_table(b"user,item\nu1,X\n"), read_table(ITEMS.encode())
    check = check_data(inter, cat, {"user": "user", "item": "item"}, {"item": "sku", "title": "name"})
    with pytest.raises(ValueError, match="no usable interactions"):
        store.save_dataset(check, "bad", "a.csv", "b.csv", {})
    assert store.list_datasets() == []


def test_the_worker_schedules_the_nightly_export(db, files):
    from jobs.scheduler import add_recommendations_job, build_scheduler, recommendations_job

    scheduler = build_scheduler(job=lambda: None)
    add_recommendations_job(scheduler)
    job = scheduler.get_job("recommendations")
    assert job is not None and "hour='2'" in str(job.trigger)
    check, mapping = load_files(*files)
    info = store.save_dataset(check, "shop", "r.csv", "i.csv", mapping)
    store.set_nightly_export(info.id, True, 2)
    recommendations_job()
    assert store.get_dataset(info.id).last_export_at is not None
