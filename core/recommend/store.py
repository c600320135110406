"""Dataset versions and evaluation results in the database; cleaned tables on disk under the data folder."""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from core.auth import record, require
from core.recommend.data import DataCheck, Dataset
from core.recommend.evaluate import EvalResult
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import RecDataset, RecEvaluation, utcnow


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    interactions_file: str
    items_file: str
    stats: dict
    nightly_export: bool
    export_k: int
    last_export_at: datetime | None
    created_at: datetime

    @property
    def label(self) -> str:
        return f"v{self.id} · {self.name} · {self.stats.get('usable interactions', '?')} interactions · {self.created_at:%Y-%m-%d %H:%M}"


def _info(row: RecDataset) -> DatasetInfo:
    return DatasetInfo(row.id, row.name, row.interactions_file, row.items_file, dict(row.stats or {}), row.nightly_export,
                       row.export_k, row.last_export_at, row.created_at)


def _fingerprint(check: DataCheck) -> str:
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(check.interactions[["user", "item"]], index=False).values.tobytes())
    digest.update(pd.util.hash_pandas_object(check.items[["item", "title"]], index=False).values.tobytes())
    return digest.hexdigest()


def save_dataset(check: DataCheck, name: str, interactions_file: str, items_file: str, mapping: dict) -> DatasetInfo:
    """Store a checked upload as a new dataset version; refuse one whose check found errors."""
    created_by = require("analyst", "upload recommendation data").username
    if not check.ok or check.interactions is None or check.items is None:
        raise ValueError("the data check found errors; fix them before saving: " + "; ".join(check.messages("error")))
    with session_scope() as session:
        row = RecDataset(
            name=name.strip() or interactions_file, interactions_file=interactions_file, items_file=items_file, folder="",
            fingerprint=_fingerprint(check), mapping=mapping, stats=dict(check.stats),
            issues=[[i.level, i.message] for i in check.issues], created_by=created_by,
        )
        session.add(row)
        session.flush()
        folder = Path("recommend") / "datasets" / str(row.id)
        target = get_settings().data_dir / folder
        target.mkdir(parents=True, exist_ok=True)
        try:
            check.interactions.to_csv(target / "interactions.csv.gz", index=False)
            check.items.to_csv(target / "items.csv.gz", index=False)
        except OSError:
            shutil.rmtree(target, ignore_errors=True)
            raise
        row.folder = str(folder)
        info = _info(row)
    record("recommendation data uploaded", info.name, detail={"dataset": info.id, "files": [interactions_file, items_file]})
    return info


def list_datasets() -> list[DatasetInfo]:
    with session_scope() as session:
        return [_info(r) for r in session.scalars(select(RecDataset).order_by(RecDataset.id.desc()))]


def get_dataset(dataset_id: int) -> DatasetInfo:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise ValueError(f"there is no dataset version {dataset_id}")
        return _info(row)


def load_dataset(dataset_id: int) -> Dataset:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise ValueError(f"there is no dataset version {dataset_id}")
        folder = get_settings().data_dir / row.folder
    read = {"dtype": {"user": str, "item": str}, "keep_default_na": False, "na_values": {"timestamp": [""], "rating": [""]}}
    interactions = pd.read_csv(folder / "interactions.csv.gz", **read)
    items = pd.read_csv(folder / "items.csv.gz", dtype=str, keep_default_na=False)
    return Dataset.from_frames(interactions, items, version=dataset_id)


def set_nightly_export(dataset_id: int, enabled: bool, k: int = 20) -> None:
    require("analyst", "schedule exports")
    record("nightly export " + ("on" if enabled else "off"), f"dataset {dataset_id}", detail={"k": k})
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise ValueError(f"there is no dataset version {dataset_id}")
        row.nightly_export, row.export_k = enabled, k


def mark_exported(dataset_id: int) -> None:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is not None:
            row.last_export_at = utcnow()


def nightly_datasets() -> list[DatasetInfo]:
    with session_scope() as session:
        return [_info(r) for r in session.scalars(select(RecDataset).where(RecDataset.nightly_export.is_(True)))]


def save_evaluation(dataset_id: int, result: EvalResult) -> int:
    created_by = require("analyst", "evaluate recommenders").username
    meta = result.meta
    with session_scope() as session:
        row = RecEvaluation(dataset_id=dataset_id, protocol=meta["protocol"], seed=meta["seed"], test_ratio=meta.get("test_ratio"),
                            k=meta["k"], results=result.rows, meta=meta, created_by=created_by)
        session.add(row)
        session.flush()
        return row.id


@dataclass(frozen=True)
class StoredEvaluation:
    id: int
    dataset_id: int
    protocol: str
    seed: int
    test_ratio: float | None
    k: int
    results: list
    meta: dict
    created_at: datetime


def list_evaluations(dataset_id: int) -> list[StoredEvaluation]:
    with session_scope() as session:
        rows = session.scalars(select(RecEvaluation).where(RecEvaluation.dataset_id == dataset_id).order_by(RecEvaluation.id.desc()))
        return [StoredEvaluation(r.id, r.dataset_id, r.protocol, r.seed, r.test_ratio, r.k, list(r.results), dict(r.meta), r.created_at)
                for r in rows]
