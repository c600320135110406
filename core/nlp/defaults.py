"""The default models Beacon ships, how they are built, and how they are installed on first start.

Shipped folders live in ``shipped_models/<task>/`` (small LoRA adapters, see its README for
provenance). ``install_default_models`` registers them as version 1 of each task when a task has
no version yet; ``build_default_model`` retrains one from its documented sources.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.nlp.store import copy_model_folder, save_model, verify_model_files
from core.nlp.training import TrainingParams, TrainingResult, train_classifier
from core.settings import REPO_ROOT

SHIPPED_DIR = REPO_ROOT / "shipped_models"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


def read_labelled_csv(path: Path, text_column: str = "text", label_column: str = "label") -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row[text_column], row[label_column]) for row in csv.DictReader(fh) if row[text_column].strip()]


def _sentiment_rows(data_dir: Path) -> list[tuple[str, str]]:
    from training_data.financial_news_sentences import financial_news_sentences

    rows = financial_news_sentences()
    twitter = data_dir / "twitter_fin_sentiment" / "train.csv"  # MIT licence
    if twitter.exists():
        rows += read_labelled_csv(twitter)
    return rows


def _topic_rows(data_dir: Path) -> list[tuple[str, str]]:
    return read_labelled_csv(data_dir / "twitter_fin_topic" / "train.csv")  # MIT licence


def _intent_rows(data_dir: Path) -> list[tuple[str, str]]:
    return read_labelled_csv(data_dir / "banking77" / "train.csv")  # CC BY 4.0


@dataclass(frozen=True)
class DefaultModelSpec:
    task: str
    rows: Callable[[Path], list[tuple[str, str]]]
    params: TrainingParams
    sources: str


DEFAULT_MODELS = {
    "sentiment": DefaultModelSpec(
        "sentiment",
        _sentiment_rows,
        TrainingParams(method="head", epochs=200, learning_rate=5e-3, batch_size=256, max_length=96, patience=15),
        "project-authored financial news sentences (training_data/) + twitter_fin_sentiment train (MIT)",
    ),
    "topic": DefaultModelSpec(
        "topic",
        _topic_rows,
        TrainingParams(method="head", epochs=200, learning_rate=5e-3, batch_size=256, max_length=96, patience=15),
        "twitter_fin_topic train (MIT)",
    ),
    "intent": DefaultModelSpec(
        "intent",
        _intent_rows,
        TrainingParams(method="head", epochs=200, learning_rate=5e-3, batch_size=256, max_length=64, patience=15),
        "banking77 train (CC BY 4.0, PolyAI)",
    ),
}


def build_default_model(
    task: str, data_dir: Path = SHARED_DATA, out_dir: Path = SHIPPED_DIR, device: str = "auto", progress=None
) -> TrainingResult:
    """Retrain a shipped model from its sources and write it to ``out_dir/<task>``."""
    spec = DEFAULT_MODELS[task]
    rows = spec.rows(data_dir)
    result = train_classifier([t for t, _ in rows], [lab for _, lab in rows], spec.params, progress, device=device)
    save_model(result.saveable, out_dir / task, task, spec.params.method, result.labels, spec.params.max_length)
    return result


def install_default_models(shipped_dir: Path = SHIPPED_DIR) -> list[str]:
    """Register each shipped model as the first version of its task if the task has none yet."""
    from core.nlp.registry import list_versions, register_version  # needs the database; imported lazily

    installed = []
    for folder in sorted(p for p in shipped_dir.iterdir() if (p / "manifest.json").exists()):
        files = verify_model_files(folder)
        if list_versions(files.task):
            continue
        register_version(
            lambda target, src=folder: copy_model_folder(src, target),
            files.task,
            files.method,
            files.labels,
            params={"max_length": files.max_length, "source": "shipped"},
            metrics=_shipped_metrics(folder),
            created_by="beacon (shipped default)",
            activate=True,
            notes=DEFAULT_MODELS[files.task].sources if files.task in DEFAULT_MODELS else "",
        )
        installed.append(files.task)
    return installed


def _shipped_metrics(folder: Path) -> dict:
    import json

    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}
