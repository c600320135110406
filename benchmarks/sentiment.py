"""Shipped sentiment model: accuracy on Financial PhraseBank and scoring throughput of core's
path against a plain Hugging Face pipeline on the same texts and model, in the same run; beside it, the model it
replaced (``--replaced-dir``, the earlier default on the fast encoder): its accuracy and core texts/s on the same texts.

    .venv/bin/python benchmarks/sentiment.py [--model-dir DIR] [--replaced-dir shipped_models/sentiment-fast] [--n 2000]

Writes benchmarks/results/sentiment.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.nlp.base_model import tokenizer_for  # noqa: E402
from core.nlp.classifier import TextClassifier  # noqa: E402
from core.nlp.defaults import read_labelled_csv  # noqa: E402
from core.nlp.evaluation import classification_report  # noqa: E402
from core.nlp.store import load_model  # noqa: E402

PHRASEBANK = ROOT.parent / "shared" / "data" / "financial_phrasebank"


def accuracy(classifier: TextClassifier, path: Path) -> dict:
    rows = read_labelled_csv(path)
    preds = [p.label for p in classifier.predict([t for t, _ in rows])]
    report = classification_report([lab for _, lab in rows], preds, classifier.labels)
    return {"n": report["n"], "accuracy": round(report["accuracy"], 4), "macro_f1": round(report["macro_f1"], 4)}


def throughput(texts: list[str], model_dir: Path) -> dict:
    from transformers import pipeline

    model, info = load_model(model_dir)
    core_clf = TextClassifier(copy.deepcopy(model), info.labels, max_length=info.max_length, device="cpu")
    pipe = pipeline("text-classification", model=copy.deepcopy(model), tokenizer=tokenizer_for(info.base), device=-1)
    core_clf.predict(texts[:64])
    pipe(texts[:16], truncation=True, max_length=info.max_length)
    start = time.perf_counter()
    core_labels = [p.label for p in core_clf.predict(texts)]
    core_s = time.perf_counter() - start
    start = time.perf_counter()
    pipe_labels = [r["label"] for r in pipe(texts, truncation=True, max_length=info.max_length)]
    pipe_s = time.perf_counter() - start
    # A second, stronger baseline: the same pipeline told to batch (it pads but does not sort by length).
    start = time.perf_counter()
    pipe(texts, truncation=True, max_length=info.max_length, batch_size=64)
    pipe_batched_s = time.perf_counter() - start
    agreement = sum(a == b for a, b in zip(core_labels, pipe_labels)) / len(texts)
    return {
        "texts": len(texts),
        "core_texts_per_s": round(len(texts) / core_s, 1),
        "pipeline_texts_per_s": round(len(texts) / pipe_s, 1),
        "pipeline_batch64_texts_per_s": round(len(texts) / pipe_batched_s, 1),
        "speedup": round(pipe_s / core_s, 2),
        "speedup_vs_batch64": round(pipe_batched_s / core_s, 2),
        "label_agreement": round(agreement, 4),
        "core_precision": str(core_clf.dtype).replace("torch.", ""),
    }


def replaced(model_dir: Path, texts: list[str]) -> dict:
    """The model the default replaced: accuracy on both splits and core's texts/s on the same texts."""
    model, info = load_model(model_dir)
    classifier = TextClassifier(model, info.labels, max_length=info.max_length, device="cpu")
    out = {"model": str(model_dir.relative_to(ROOT)), "base": info.base,
           "phrasebank_allagree_test": accuracy(classifier, PHRASEBANK / "allagree_test.csv"),
           "phrasebank_50agree_test": accuracy(classifier, PHRASEBANK / "50agree_test.csv")}
    classifier.predict(texts[:64])
    start = time.perf_counter()
    classifier.predict(texts)
    out["core_texts_per_s"] = round(len(texts) / (time.perf_counter() - start), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", default=str(ROOT / "shipped_models" / "sentiment"))
    parser.add_argument("--replaced-dir", default=str(ROOT / "shipped_models" / "sentiment-fast"), help="'' to skip")
    parser.add_argument("--n", type=int, default=2000, help="texts for the throughput comparison")
    args = parser.parse_args()
    if not PHRASEBANK.exists():
        sys.exit(f"error: {PHRASEBANK} not found (the benchmark needs ../shared/data)")
    model, info = load_model(Path(args.model_dir))
    classifier = TextClassifier(model, info.labels, max_length=info.max_length)
    results = {
        "model": str(Path(args.model_dir).relative_to(ROOT)),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "device": str(classifier.device)},
        "phrasebank_allagree_test": accuracy(classifier, PHRASEBANK / "allagree_test.csv"),
        "phrasebank_50agree_test": accuracy(classifier, PHRASEBANK / "50agree_test.csv"),
    }
    texts = [t for t, _ in read_labelled_csv(PHRASEBANK / "50agree_test.csv")]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    results["base"] = info.base
    results["throughput_cpu"] = throughput(texts, Path(args.model_dir))
    if args.replaced_dir:
        results["replaced"] = replaced(Path(args.replaced_dir), texts)
    out = ROOT / "benchmarks" / "results" / "sentiment.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"{'measure':<32}{'value':>12}")
    for split in ("phrasebank_allagree_test", "phrasebank_50agree_test"):
        print(f"{split + ' accuracy':<32}{results[split]['accuracy']:>12}")
        print(f"{split + ' macro-F1':<32}{results[split]['macro_f1']:>12}")
    t = results["throughput_cpu"]
    print(f"{'core texts/s':<32}{t['core_texts_per_s']:>12}")
    print(f"{'pipeline texts/s':<32}{t['pipeline_texts_per_s']:>12}")
    print(f"{'pipeline (batch 64) texts/s':<32}{t['pipeline_batch64_texts_per_s']:>12}")
    print(f"{'speedup vs pipeline (x)':<32}{t['speedup']:>12}")
    print(f"{'speedup vs batch-64 (x)':<32}{t['speedup_vs_batch64']:>12}")
    print(f"{'label agreement':<32}{t['label_agreement']:>12}")
    if "replaced" in results:
        r = results["replaced"]
        print(f"replaced ({r['model']}, {r['base']}): all-agree {r['phrasebank_allagree_test']['accuracy']}, "
              f"50-agree {r['phrasebank_50agree_test']['accuracy']}, core texts/s {r['core_texts_per_s']} "
              f"(this model: {t['core_texts_per_s'] / r['core_texts_per_s']:.2f}x its speed)")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
