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
from core.nlp.base_model import base_encoder
from core.nlp.classifier import TextClassifier
from core.nlp.datacheck import data_fingerprint
from core.nlp.evaluation import classification_report
from core.nlp.store import copy_model_folder, load_model, save_model, verify_model_files
from core.nlp.training import TrainingParams, TrainingResult, stratified_split, train_classifier
from core.settings import REPO_ROOT

SHIPPED_DIR = REPO_ROOT / "shipped_models"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


class DefaultModelDataMissing(FileNotFoundError):
    """A dataset a default model is built or measured from is not there; nothing is trained on less."""


def read_labelled_csv(path: Path, text_column: str = "text", label_column: str = "label") -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row[text_column], row[label_column]) for row in csv.DictReader(fh) if row[text_column].strip()]


def _source(data_dir: Path, *parts: str) -> list[tuple[str, str]]:
    """The rows of a source dataset; ``DefaultModelDataMissing`` (one line, naming the file) when it is absent."""
    path = data_dir.joinpath(*parts)
    if not path.is_file():
        raise DefaultModelDataMissing(
            f"{path} is missing: the default models are built and measured from it (see shipped_models/README.md); "
            "put the dataset there or pass --data-dir"
        )
    return read_labelled_csv(path)


def _sentiment_rows(data_dir: Path) -> list[tuple[str, str]]:
    from training_data.financial_news_sentences import financial_news_sentences

    return financial_news_sentences() + _twitter_sentiment_rows(data_dir)


def _twitter_sentiment_rows(data_dir: Path) -> list[tuple[str, str]]:
    return _source(data_dir, "twitter_fin_sentiment", "train.csv")  # MIT licence


def _topic_rows(data_dir: Path) -> list[tuple[str, str]]:
    return _source(data_dir, "twitter_fin_topic", "train.csv")  # MIT licence


def _intent_rows(data_dir: Path) -> list[tuple[str, str]]:
    return _source(data_dir, "banking77", "train.csv")  # CC BY 4.0


def _customer_sentiment_rows(data_dir: Path) -> list[tuple[str, str]]:  # noqa: ARG001 - written by the project, no dataset
    from training_data.customer_messages import customer_messages

    return customer_messages()


CUSTOMER_TONE_LABELS = REPO_ROOT / "benchmarks" / "labels" / "customer_sentiment_sample.csv"


def customer_tone_sample(data_dir: Path) -> list[tuple[str, str]]:
    """300 Banking77 test messages with the customer's tone labelled by hand (benchmarks/labels/README.md); the
    texts are read from the dataset, the repository holds only row numbers and labels."""
    texts = [t for t, _ in _source(data_dir, "banking77", "test.csv")]
    with CUSTOMER_TONE_LABELS.open(newline="", encoding="utf-8") as fh:
        return [(texts[int(row["row"])], row["label"]) for row in csv.DictReader(fh)]


TestSource = str | Callable[[Path], list[tuple[str, str]]]  # a labelled CSV under the data folder, or a loader


def _test_set_rows(data_dir: Path, source: TestSource) -> list[tuple[str, str]]:
    """A held-out test set: a labelled CSV under the data folder, or a function of the data folder."""
    return source(data_dir) if callable(source) else _source(data_dir, *source.split("/"))


@dataclass(frozen=True)
class DefaultModelSpec:
    task: str
    rows: Callable[[Path], list[tuple[str, str]]]
    params: TrainingParams
    sources: str
    test_sets: tuple[tuple[str, TestSource], ...] = ()  # (name in metrics.json "evaluation", file under the data folder or a loader)


# LoRA adapters (peft; attention and feed-forward projections, head saved alongside), built and
# measured as recorded in shipped_models/README.md. On a 2-core CPU a build takes 35-60 minutes per
# task on the fast encoder, about 50 on the accurate one; on a GPU about a minute. Sentiment sits on the
# accurate encoder (its targets are not reachable on the fast one); topic and intent on the fast one.
DEFAULT_MODELS = {
    "sentiment": DefaultModelSpec(
        "sentiment",
        _sentiment_rows,
        TrainingParams(method="lora", base="accurate", epochs=4, learning_rate=1e-3, batch_size=32, lora_rank=8, max_length=96),
        "project-authored financial news sentences (training_data/) + twitter_fin_sentiment train (MIT)",
        (
            ("phrasebank_allagree_test", "financial_phrasebank/allagree_test.csv"),  # measured only, never trained on
            ("phrasebank_50agree_test", "financial_phrasebank/50agree_test.csv"),
        ),
    ),
    "topic": DefaultModelSpec(
        "topic",
        _topic_rows,
        TrainingParams(method="lora", epochs=3, learning_rate=1e-3, batch_size=32, lora_rank=8, max_length=96, validation_share=0.1),
        "twitter_fin_topic train (MIT)",
        (("twitter_fin_topic_valid", "twitter_fin_topic/valid.csv"),),
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
        (("banking77_test", "banking77/test.csv"),),
    ),
    # The customer's tone on the Customer service page: LoRA on the fast encoder, chosen over a head on the retrieval
    # pass's vectors (free on the ask path) by the hand-written dev set (benchmarks/labels/customer_sentiment_dev.csv).
    "customer_sentiment": DefaultModelSpec(
        "customer_sentiment",
        _customer_sentiment_rows,
        TrainingParams(method="lora", base="fast", epochs=4, learning_rate=1e-3, batch_size=32, lora_rank=8, max_length=128),
        "project-authored customer-support messages (training_data/customer_messages.py)",
        (("banking77_test_tone_sample", customer_tone_sample),),  # measured only, never trained on
    ),
}


def training_rows(task: str, data_dir: Path = SHARED_DATA) -> list[tuple[str, str]]:
    """Every row a default model is trained on (``DefaultModelDataMissing`` when a source file is absent)."""
    return DEFAULT_MODELS[task].rows(data_dir)


def training_fingerprint(task: str, data_dir: Path = SHARED_DATA) -> str:
    """sha256 of the (text, label) rows ``task`` is built from (``core.nlp.datacheck.data_fingerprint``)."""
    rows = training_rows(task, data_dir)
    return data_fingerprint([t for t, _ in rows], [lab for _, lab in rows])


def shipped_split(
    task: str, fingerprint: str, params: dict, data_dir: Path | None = None
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]] | None:
    """(training, validation) rows of a shipped model of ``task``, rebuilt from its sources the way
    ``train_classifier`` split them (``params``: its recorded ``validation_share`` and ``seed``); None when a source is
    absent or the sources no longer give the rows it was trained on (``fingerprint``), so a model is never compared
    on other rows."""
    if task not in DEFAULT_MODELS or "validation_share" not in params:
        return None
    try:
        rows = training_rows(task, data_dir or SHARED_DATA)
    except DefaultModelDataMissing:
        return None
    labels = [lab for _, lab in rows]
    if data_fingerprint([t for t, _ in rows], labels) != fingerprint:
        return None
    train_idx, val_idx = stratified_split(labels, float(params["validation_share"]), int(params.get("seed", 13)))
    return [rows[i] for i in train_idx], [rows[i] for i in val_idx]


def library_versions() -> dict[str, str]:
    """The versions of the libraries that build and load the models (recorded with every rebuild)."""
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformers", "peft")}


def _scores(classifier: TextClassifier, rows: list[tuple[str, str]], labels: list[str]) -> dict:
    predicted = [p.label for p in classifier.predict([t for t, _ in rows])] if rows else []
    return classification_report([lab for _, lab in rows], predicted, labels)


PRECISION_NAMES = {"bfloat16": "bf16", "float32": "fp32"}  # metrics.json's "precision" -> BEACON_SCORING_PRECISION


def measure_default_model(task: str, folder: Path, data_dir: Path = SHARED_DATA, precision: str = "auto") -> dict:
    """Every quality number of a default model's metrics.json, measured on its saved files in the product's default
    precision (``auto``: bf16 on CPUs with native bf16, else fp32) or the one asked for (``bf16``/``fp32``, e.g. the
    recorded one on a host that would pick the other): the validation split ``train_classifier`` held out (the same
    rows, split the same way), per-class validation scores, for sentiment the tweets-only validation rows, and the
    held-out test sets."""
    spec = DEFAULT_MODELS[task]
    rows = training_rows(task, data_dir)
    model, files = load_model(folder)
    classifier = TextClassifier(model, files.labels, max_length=files.max_length, device="cpu", precision=precision)
    params = spec.params.resolved()
    _, val_idx = stratified_split([lab for _, lab in rows], params.validation_share, params.seed)
    validation = _scores(classifier, [rows[i] for i in val_idx], files.labels)
    out = {
        "accuracy": validation["accuracy"],  # top level as in trained versions' metrics (validation split)
        "macro_f1": validation["macro_f1"],
        "validation": {k: validation[k] for k in ("accuracy", "macro_f1", "n")},
        "validation_per_class": validation.get("per_class", {}),
        "precision": str(classifier.dtype).removeprefix("torch."),
    }
    if task == "sentiment":
        twitter = {t for t, _ in _twitter_sentiment_rows(data_dir)}
        tweets = _scores(classifier, [rows[i] for i in val_idx if rows[i][0] in twitter], files.labels)
        out["validation_twitter"] = {k: tweets[k] for k in ("accuracy", "macro_f1", "n")}
    out["evaluation"] = {}
    for name, source in spec.test_sets:
        report = _scores(classifier, _test_set_rows(data_dir, source), files.labels)
        out["evaluation"][name] = {k: report[k] for k in ("accuracy", "macro_f1", "n")}
    return out


def build_default_model(
    task: str, data_dir: Path = SHARED_DATA, out_dir: Path = SHIPPED_DIR, device: str = "auto", progress=None
) -> TrainingResult:
    """Retrain a shipped model from its sources and write it to ``out_dir/<task>`` (replacing what was there) with its
    data fingerprint in the manifest and a ``metrics.json`` of how it was built (parameters, rows, device, library
    versions, history) and its measured quality (``measure_default_model``). A missing source stops the build."""
    spec = DEFAULT_MODELS[task]
    rows = training_rows(task, data_dir)
    texts, labels = [t for t, _ in rows], [lab for _, lab in rows]
    for _, source in spec.test_sets:  # fail before an hour of training, not after
        _test_set_rows(data_dir, source)
    result = train_classifier(texts, labels, spec.params, progress, device=device)
    peft_config = getattr(result.saveable, "peft_config", None)
    if peft_config:  # record the base model by name, not by the build machine's path
        name = base_encoder(spec.params.base).name
        for config in peft_config.values():
            config.base_model_name_or_path = name
        base = result.saveable.get_base_model()
        base.config._name_or_path = base.name_or_path = name
        result.saveable.half()  # adapter and head stored in fp16: half the size in the repository, loaded into fp32 as before
    building = out_dir / f".{task}.building"
    if building.exists():
        shutil.rmtree(building)
    fingerprint = data_fingerprint(texts, labels)
    save_model(result.saveable, building, task, spec.params.method, result.labels, spec.params.max_length, fingerprint)
    built = {
        "params": result.params.as_dict(),
        "train_rows": len(rows),
        "data_fingerprint": fingerprint,
        "sources": spec.sources,
        "device": result.device,
        "duration_s": round(result.duration_s, 1),
        "built_with": library_versions(),
        "history": result.history,
    }
    (building / "metrics.json").write_text(json.dumps(built | measure_default_model(task, building, data_dir), indent=1))
    target = out_dir / task
    if target.exists():
        shutil.rmtree(target)
    building.rename(target)
    return result


def remeasure_default_model(task: str, data_dir: Path = SHARED_DATA, shipped_dir: Path = SHIPPED_DIR) -> tuple[dict, dict]:
    """Measure a shipped model again and rewrite the quality numbers in its metrics.json (how it was built is kept);
    (previous, new) metrics. Stops with ``DefaultModelDataMissing`` when a dataset is absent."""
    folder = shipped_dir / task
    path = folder / "metrics.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    measured = measure_default_model(task, folder, data_dir)
    path.write_text(json.dumps(previous | measured, indent=1))
    return previous, measured


@requires("admin", "install the default models")
def install_default_models(shipped_dir: Path = SHIPPED_DIR) -> list[str]:
    """Register the shipped models of each task that has no version yet: the task's default (the folder named after
    the task) as the active version and, before it, any other folder of the task (``sentiment-fast``: the earlier
    default, on the fast encoder) as an inactive version a user can promote. Returns the tasks installed."""
    from core.nlp.registry import list_versions, register_version  # needs the database; imported lazily

    folders = [p for p in sorted(shipped_dir.iterdir()) if not p.name.startswith(".") and (p / "manifest.json").exists()]
    folders.sort(key=lambda p: p.name in DEFAULT_MODELS)  # stable: a task's other folders before its default
    verified = [(folder, verify_model_files(folder)) for folder in folders]
    empty = {files.task for _, files in verified if not list_versions(files.task)}
    for folder, files in verified:
        if files.task not in empty:
            continue
        built = _shipped_metrics(folder)
        register_version(
            lambda target, src=folder: copy_model_folder(src, target),
            files.task,
            files.method,
            files.labels,
            params={"max_length": files.max_length, "source": "shipped", "base": files.base},
            data_fingerprint=files.data_fingerprint,
            metrics=built,
            duration_s=built.get("duration_s", 0.0),  # the build's training time, as trained versions show theirs
            device=built.get("device", "cpu"),
            created_by="beacon (shipped default)",
            activate=folder.name == files.task,
            notes=_shipped_notes(folder, files.task),
        )
    return list(dict.fromkeys(files.task for _, files in verified if files.task in empty))


def _shipped_notes(folder: Path, task: str) -> str:
    sources = DEFAULT_MODELS[task].sources if task in DEFAULT_MODELS else ""
    if folder.name == task:
        return sources
    return f"earlier default kept beside the current one ({folder.name}); {sources}".rstrip("; ")


def _shipped_metrics(folder: Path) -> dict:
    path = folder / "metrics.json"
    return json.loads(path.read_text()) if path.exists() else {}
