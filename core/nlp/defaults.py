"""The default models Beacon ships, how they are built, and how they are installed on first start.

Shipped folders live in ``shipped_models/<task>/`` (small LoRA adapters, see its README for
provenance). ``install_default_models`` registers them as version 1 of each task when a task has
no version yet; ``build_default_model`` retrains one from its documented sources.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.auth import requires
from core.nlp.base_model import BASE_MODEL_NAME
from core.nlp.evaluation import classification_report
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

    return financial_news_sentences() + _twitter_sentiment_rows(data_dir)


def _twitter_sentiment_rows(data_dir: Path) -> list[tuple[str, str]]:
    twitter = data_dir / "twitter_fin_sentiment" / "train.csv"  # MIT licence
    return read_labelled_csv(twitter) if twitter.exists() else []


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


# LoRA adapters (peft; attention and feed-forward projections, head saved alongside), built and
# measured as recorded in shipped_models/README.md. On a 2-core CPU a build takes 35-60 minutes per
# task; on a GPU about a minute.
DEFAULT_MODELS = {
    "sentiment": DefaultModelSpec(
        "sentiment",
        _sentiment_rows,
        TrainingParams(method="lora", epochs=4, learning_rate=1e-3, batch_size=32, lora_rank=8, max_length=96),
        "project-authored financial news sentences (training_data/) + twitter_fin_sentiment train (MIT)",
    ),
    "topic": DefaultModelSpec(
        "topic",
        _topic_rows,
        TrainingParams(method="lora", epochs=3, learning_rate=1e-3, batch_size=32, lora_rank=8, max_length=96, validation_share=0.1),
        "twitter_fin_topic train (MIT)",
    ),
    "intent": DefaultModelSpec(
        "intent",
        _intent_rows,
        TrainingParams(
            method="lora",
            epochs=12,
            learning_rate=2e-3,
            batch_size=32,
            lora_rank=16,
            max_length=64,
            validation_share=0.05,
            patience=4,
        ),
        "banking77 train (CC BY 4.0, PolyAI)",
    ),
}


def build_default_model(
    task: str, data_dir: Path = SHARED_DATA, out_dir: Path = SHIPPED_DIR, device: str = "auto", progress=None
) -> TrainingResult:
    """Retrain a shipped model from its sources and write it to ``out_dir/<task>`` (replacing what was
    there) with a ``metrics.json`` of its validation scores, training parameters and device."""
    spec = DEFAULT_MODELS[task]
    rows = spec.rows(data_dir)
    result = train_classifier([t for t, _ in rows], [lab for _, lab in rows], spec.params, progress, device=device)
    peft_config = getattr(result.saveable, "peft_config", None)
    if peft_config:  # record the base model by name, not by the build machine's path
        for config in peft_config.values():
            config.base_model_name_or_path = BASE_MODEL_NAME
        base = result.saveable.get_base_model()
        base.config._name_or_path = base.name_or_path = BASE_MODEL_NAME
    building = out_dir / f".{task}.building"
    if building.exists():
        shutil.rmtree(building)
    save_model(result.saveable, building, task, spec.params.method, result.labels, spec.params.max_length)
    metrics = {  # top-level accuracy/macro_f1 as in trained versions' metrics (validation split)
        "accuracy": result.metrics["accuracy"],
        "macro_f1": result.metrics["macro_f1"],
        "validation": {k: result.metrics[k] for k in ("accuracy", "macro_f1", "n")},
        "validation_per_class": result.metrics.get("per_class", {}),
        "params": result.params.as_dict(),
        "train_rows": len(rows),
        "sources": spec.sources,
        "device": result.device,
        "duration_s": round(result.duration_s, 1),
        "history": result.history,
    }
    if task == "sentiment":
        twitter = {t for t, _ in _twitter_sentiment_rows(data_dir)}
        idx = [i for i, text in enumerate(result.val_texts) if text in twitter]
        if idx:
            report = classification_report([result.val_labels[i] for i in idx], [result.val_predictions[i] for i in idx], result.labels)
            metrics["validation_twitter"] = {k: report[k] for k in ("accuracy", "macro_f1", "n")}
    (building / "metrics.json").write_text(json.dumps(metrics, indent=1))
    target = out_dir / task
    if target.exists():
        shutil.rmtree(target)
    building.rename(target)
    return result


@requires("admin", "install the default models")
def install_default_models(shipped_dir: Path = SHIPPED_DIR) -> list[str]:
    """Register each shipped model as the first version of its task if the task has none yet."""
    from core.nlp.registry import list_versions, register_version  # needs the database; imported lazily

    installed = []
    folders = (p for p in shipped_dir.iterdir() if not p.name.startswith(".") and (p / "manifest.json").exists())
    for folder in sorted(folders):
        files = verify_model_files(folder)
        if list_versions(files.task):
            continue
        register_version(
            lambda target, src=folder: copy_model_folder(src, target),
            files.task,
            files.method,
            files.labels,
            params={"max_length": files.max_length, "source": "shipped", "base": files.base},
            data_fingerprint=files.data_fingerprint,
            metrics=_shipped_metrics(folder),
            created_by="beacon (shipped default)",
            activate=True,
            notes=DEFAULT_MODELS[files.task].sources if files.task in DEFAULT_MODELS else "",
        )
        installed.append(files.task)
    return installed


def _shipped_metrics(folder: Path) -> dict:
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}
