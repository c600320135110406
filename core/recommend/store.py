"""Dataset versions and evaluation results: who may save them, the audit entries, and the cleaned tables on disk
under the data folder. The rows are read and written by ``core.repositories.recommend_data``."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd

from core.auth import record, require
from core.recommend.data import DataCheck, Dataset
from core.recommend.evaluate import EvalResult
from core.repositories import recommend_data
from core.repositories.recommend_data import (
    DatasetInfo,
    StoredEvaluation,
    get_dataset,
    list_datasets,
    list_evaluations,
    mark_exported,
    nightly_datasets,
)
from core.settings import get_settings


def _fingerprint(check: DataCheck, mapping: dict) -> str:
    """Every cleaned cell of both tables, their column names and the column mapping: equal only for the same data."""
    digest = hashlib.sha256(json.dumps(mapping, sort_keys=True, default=str).encode())
    for frame in (check.interactions, check.items):
        digest.update(json.dumps(list(map(str, frame.columns))).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).values.tobytes())
    return digest.hexdigest()


def _table_writer(check: DataCheck):  # noqa: ANN202 - a callback for recommend_data.add_dataset
    def write(dataset_id: int) -> str:
        folder = Path("recommend") / "datasets" / str(dataset_id)
        target = get_settings().data_dir / folder
        target.mkdir(parents=True, exist_ok=True)
        try:
            check.interactions.to_csv(target / "interactions.csv.gz", index=False)
            check.items.to_csv(target / "items.csv.gz", index=False)
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return str(folder)

    return write


def save_dataset(check: DataCheck, name: str, interactions_file: str, items_file: str, mapping: dict) -> DatasetInfo:
    """Store a checked upload as a new dataset version; refuse one whose check found errors. The same data (cells and
    column mapping) saved before is not stored twice: its version comes back with ``already_saved``."""
    created_by = require("analyst", "upload recommendation data").username
    if not check.ok or check.interactions is None or check.items is None:
        raise ValueError("the data check found errors; fix them before saving: " + "; ".join(check.messages("error")))
    fingerprint = _fingerprint(check, mapping)
    if (same := recommend_data.find_dataset(fingerprint)) is not None:
        return replace(same, already_saved=True)
    values = {
        "name": name.strip() or interactions_file, "interactions_file": interactions_file, "items_file": items_file,
        "fingerprint": fingerprint, "mapping": mapping, "stats": dict(check.stats),
        "issues": [[i.level, i.message] for i in check.issues], "created_by": created_by,
    }  # fmt: skip
    info = recommend_data.add_dataset(values, _table_writer(check))
    record("recommendation data uploaded", info.name, detail={"dataset": info.id, "files": [interactions_file, items_file]})
    return info


def load_dataset(dataset_id: int) -> Dataset:
    folder = get_settings().data_dir / get_dataset(dataset_id).folder
    read = {"dtype": {"user": str, "item": str}, "keep_default_na": False, "na_values": {"timestamp": [""], "rating": [""]}}
    interactions = pd.read_csv(folder / "interactions.csv.gz", **read)
    items = pd.read_csv(folder / "items.csv.gz", dtype=str, keep_default_na=False)
    return Dataset.from_frames(interactions, items, version=dataset_id)


def export_path(dataset_id: int, k: int) -> Path:
    """Where the nightly export of a dataset version's top ``k`` per user is written."""
    return get_settings().data_dir / "recommend" / "exports" / f"dataset_{dataset_id}_top{k}.csv"


def delete_dataset(dataset_id: int) -> DatasetInfo:
    """Delete a dataset version (admins): its cleaned tables, evaluations and nightly export file. ValueError when
    there is no such version or a job is still working on it."""
    require("admin", "delete recommendation data")
    info = recommend_data.delete_dataset(dataset_id)
    data_dir = get_settings().data_dir
    if info.folder:
        shutil.rmtree(data_dir / info.folder, ignore_errors=True)
    for export in export_path(dataset_id, 0).parent.glob(f"dataset_{dataset_id}_top*.csv"):
        export.unlink(missing_ok=True)
    record("recommendation data deleted", info.name, detail={"dataset": dataset_id})
    return info


def set_nightly_export(dataset_id: int, enabled: bool, k: int = 20) -> None:
    require("analyst", "schedule exports")
    recommend_data.set_nightly_export(dataset_id, enabled, k)  # an unknown version raises before anything is audited
    record("nightly export " + ("on" if enabled else "off"), f"dataset {dataset_id}", detail={"k": k})


def save_evaluation(dataset_id: int, result: EvalResult) -> int:
    created_by = require("analyst", "evaluate recommenders").username
    return recommend_data.add_evaluation(dataset_id, result.rows, result.meta, created_by)


__all__ = [
    "DatasetInfo", "StoredEvaluation", "delete_dataset", "export_path", "get_dataset", "list_datasets", "list_evaluations",
    "load_dataset", "mark_exported", "nightly_datasets", "save_dataset", "save_evaluation", "set_nightly_export",
]  # fmt: skip
