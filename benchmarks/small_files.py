"""Fine-tuning a small labelled file: the automatic epochs (at least MIN_TRAINING_STEPS steps, early stopping after
PATIENCE_STEPS steps without gain) against the method's plain default epochs (and patience), with a head on the
frozen encoder beside them, through core's own training path.

    .venv/bin/python benchmarks/small_files.py [--rows 120,400] [--methods lora,full]

Data: ../shared/data/twitter_fin_sentiment/train.csv (MIT). For each size, that many rows are drawn (seed 7) as the
"user's file"; the scores are measured on 2,000 other rows of the same file (a validation carve, no test set), the
same rows for every configuration. Writes benchmarks/results/small_files.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from core.nlp.classifier import TextClassifier  # noqa: E402
from core.nlp.defaults import read_labelled_csv  # noqa: E402
from core.nlp.evaluation import classification_report  # noqa: E402
from core.nlp.training import DEFAULT_EPOCHS, MIN_TRAINING_STEPS, PATIENCE_STEPS, TrainingParams, train_classifier  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "twitter_fin_sentiment" / "train.csv"
RESULTS = ROOT / "benchmarks" / "results" / "small_files.json"
SEED = 7
MEASURED_ROWS = 2000


def score(result, texts: list[str], labels: list[str]) -> dict:  # noqa: ANN001 - TrainingResult
    classifier = TextClassifier(result.model, result.labels, max_length=result.params.max_length, device="cpu")
    predicted = [p.label for p in classifier.predict(texts)]
    report = classification_report(labels, predicted, result.labels)
    return {"accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4)}


def run_one(train: pd.DataFrame, measured: pd.DataFrame, params: TrainingParams) -> dict:
    started = time.perf_counter()
    result = train_classifier(train["text"].tolist(), train["label"].tolist(), params, device="cpu")
    seconds = time.perf_counter() - started
    scores = score(result, measured["text"].tolist(), measured["label"].tolist())
    return scores | {"epochs_given": result.params.epochs, "patience": result.params.patience, "epochs_run": len(result.history),
                     "train_s": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="120,400", help="sizes of the drawn file, comma-separated")
    parser.add_argument("--methods", default="lora,full", help="methods compared, comma-separated")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"{DATA} is missing: this benchmark needs ../shared/data")
    rows = pd.DataFrame(read_labelled_csv(DATA), columns=["text", "label"])
    frame = rows.sample(frac=1.0, random_state=SEED).reset_index(drop=True)
    measured = frame.iloc[:MEASURED_ROWS]
    rest = frame.iloc[MEASURED_ROWS:]
    results: dict = {}
    for rows in (int(r) for r in args.rows.split(",")):
        train = rest.iloc[:rows]
        entry = {"head (default)": run_one(train, measured, TrainingParams(method="head", seed=1))}
        for method in args.methods.split(","):
            entry[f"{method}, {DEFAULT_EPOCHS[method]} epochs (the plain default)"] = run_one(
                train, measured, TrainingParams(method=method, epochs=DEFAULT_EPOCHS[method], seed=1))
            entry[f"{method}, automatic epochs"] = run_one(train, measured, TrainingParams(method=method, seed=1))
            plain, automatic = (entry[f"{method}, {DEFAULT_EPOCHS[method]} epochs (the plain default)"],
                                entry[f"{method}, automatic epochs"])  # fmt: skip
            entry[f"{method}: macro-F1 ratio automatic / plain"] = round(automatic["macro_f1"] / max(plain["macro_f1"], 1e-9), 3)
            entry[f"{method}: time ratio automatic / plain"] = round(automatic["train_s"] / max(plain["train_s"], 1e-9), 2)
        results[f"{rows} rows"] = entry
        print(f"\n{rows} rows (scored on {MEASURED_ROWS} other rows)")
        print(f"{'configuration':44s} {'macro-F1':>9s} {'accuracy':>9s} {'epochs':>7s} {'run':>4s} {'train s':>8s}")
        for name, r in entry.items():
            if isinstance(r, dict):
                line = f"{r['macro_f1']:9.4f} {r['accuracy']:9.4f} {r['epochs_given']:7d} {r['epochs_run']:4d} {r['train_s']:8.1f}"
                print(f"{name:44s} {line}")
    RESULTS.write_text(json.dumps({
        "results": results, "min_training_steps": MIN_TRAINING_STEPS, "patience_steps": PATIENCE_STEPS,
        "data": "twitter_fin_sentiment/train.csv (MIT)",
        "drawn_with_seed": SEED, "scored_on": f"{MEASURED_ROWS} other rows of the same file (validation carve, no test set)",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "load_average": [round(x, 2) for x in os.getloadavg()], "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }, indent=2) + "\n")
    print(f"\nwritten {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
