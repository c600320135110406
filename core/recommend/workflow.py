"""What the Recommendations page, the CLI and the worker do, step by step (no streamlit here)."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from core.downloads import safe_csv
from core.recommend import store
from core.recommend.data import ITEM_FIELDS, DataCheck, Dataset, check_data, read_table
from core.recommend.embeddings import item_embeddings
from core.recommend.evaluate import EvalConfig, EvalResult, Progress, evaluate
from core.recommend.models import MODEL_LABELS
from core.recommend.service import Recommender
from core.settings import get_settings

log = logging.getLogger("beacon.recommend")
COLUMN_NAMES = {  # result keys -> the words on the page
    "name": "model", "ndcg@10": "NDCG@10", "recall@10": "Recall@10", "recall@20": "Recall@20", "hit_rate@10": "Hit rate@10",
    "coverage@10": "Catalogue coverage@10", "cold_recall@20": "Cold-start Recall@20", "ndcg@10_vs_popularity": "NDCG@10 vs popularity",
    "fit_s": "fit (s)", "eval_s": "evaluate (s)",
}
CHART_METRICS = ("NDCG@10", "Recall@10", "Recall@20", "Hit rate@10", "Catalogue coverage@10", "Cold-start Recall@20")


def check_files(interactions: pd.DataFrame, items: pd.DataFrame, interaction_mapping: dict, item_mapping: dict,
                interactions_name: str, items_name: str) -> DataCheck:
    clean = {k: (v or None) for k, v in interaction_mapping.items()}, {k: (v or None) for k, v in item_mapping.items()}
    return check_data(interactions, items, clean[0], clean[1], interactions_name, items_name)


def evaluate_version(dataset_id: int, cfg: EvalConfig, progress: Progress | None = None) -> int:
    """Evaluate every model on a dataset version and store the result (with protocol, seed and version); returns its id."""
    say = progress or (lambda _stage: None)
    ds = store.load_dataset(dataset_id)
    say("embedding the item texts")
    result = evaluate(ds, item_embeddings(ds.texts()), cfg, progress)
    say("storing the results")
    return store.save_evaluation(dataset_id, result)


def results_table(rows: list[dict], k: int = 10) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    names = {key.replace("@10", f"@{k}"): label.replace("@10", f"@{k}") for key, label in COLUMN_NAMES.items()}
    frame = frame[[c for c in names if c in frame.columns]].rename(columns=names)
    return frame.round(4)


def chart_frame(rows: list[dict], k: int = 10) -> pd.DataFrame:
    table = results_table(rows, k)
    metrics = [m.replace("@10", f"@{k}") if "Recall@20" not in m else m for m in CHART_METRICS]
    return table.melt(id_vars="model", value_vars=[m for m in metrics if m in table.columns], var_name="metric", value_name="value")


def protocol_statement(meta: dict) -> str:
    """The evaluation set-up in words, shown next to every result."""
    split = meta["protocol_text"] + (f", {meta['test_ratio']:.0%} held out" if meta.get("test_ratio") else "")
    return (f"Dataset v{meta['dataset_version']} · {split} · split seed {meta['seed']} · {meta['test_users']} users with "
            f"{meta['test_interactions']} held-out interactions · ranked over {meta['ranking']}.")


def cold_statement(meta: dict) -> str:
    return (f"Cold start: {meta['cold_protocol']}. Random ranking would reach Recall@20 = {meta['cold_random_recall@20']:.3f} "
            f"over {meta['cold_users']} users.")


def fit_recommender(dataset_id: int, text_weight: float | None = None) -> Recommender:
    """The hybrid fitted on all interactions of a version; uses the text weight of its latest evaluation when there is one."""
    ds = store.load_dataset(dataset_id)
    if text_weight is None:
        evaluations = store.list_evaluations(dataset_id)
        text_weight = evaluations[0].meta.get("text_weight") if evaluations else None
    return Recommender(ds, item_embeddings(ds.texts()), 0.2 if text_weight is None else max(text_weight, 0.05))


def export_csv(recommender: Recommender, n: int = 20) -> bytes:
    return safe_csv(recommender.export_all(n))


def load_files(interactions: Path, items: Path) -> tuple[DataCheck, dict]:
    """Read and check two files with suggested column mappings (CLI)."""
    from core.recommend.data import suggest_mapping

    inter, cat = read_table(interactions), read_table(items)
    mapping = {"interactions": suggest_mapping(inter, "interactions"), "items": suggest_mapping(cat, "items")}
    return check_data(inter, cat, mapping["interactions"], mapping["items"], interactions.name, items.name), mapping


def dataset_from_check(check: DataCheck) -> Dataset:
    return Dataset.from_frames(check.interactions, check.items)


def nightly_refit_export() -> list[Path]:
    """Worker job: refit every dataset version marked for it and write its top-N CSV under the data folder."""
    written = []
    for info in store.nightly_datasets():
        try:
            recommender = fit_recommender(info.id)
            path = get_settings().data_dir / "recommend" / "exports" / f"dataset_{info.id}_top{info.export_k}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(export_csv(recommender, info.export_k))
            tmp.replace(path)  # a crash mid-write leaves the previous export intact
            store.mark_exported(info.id)
            written.append(path)
        except Exception:  # one broken version must not stop the others
            log.exception("nightly recommendation export of dataset v%s failed", info.id)
    return written


__all__ = ["ITEM_FIELDS", "MODEL_LABELS", "EvalResult"]
