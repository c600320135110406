"""Customer sentiment: the shipped ``customer_sentiment`` model against the financial-news ``sentiment`` models that
stood in for it on the Customer service page, on 300 real customer messages whose tone was labelled by hand
(``benchmarks/labels/customer_sentiment_sample.csv``, Banking77 test rows; see the README there), in one run.

    .venv/bin/python benchmarks/customer_sentiment.py              # writes the JSON
    .venv/bin/python benchmarks/customer_sentiment.py /tmp/candidate   # also a candidate folder; writes nothing

Needs ``../shared/data/banking77`` (read in place). Writes benchmarks/results/customer_sentiment.json. The sample
holds negative and neutral messages only: what matters on a support desk is finding the upset customers without
calling plain questions negative, so the table gives negative precision and recall and the share of neutral
messages called negative or positive.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from core.nlp.classifier import TextClassifier  # noqa: E402
from core.nlp.defaults import SHARED_DATA, customer_tone_sample  # noqa: E402
from core.nlp.evaluation import classification_report  # noqa: E402
from core.nlp.store import load_model  # noqa: E402
from core.support.decision import Policy  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "customer_sentiment.json"
DEV = ROOT / "benchmarks" / "labels" / "customer_sentiment_dev.csv"
MARKS_DEV = ROOT / "benchmarks" / "labels" / "customer_sentiment_marks_dev.csv"  # every message has a "!"
NEGATIVE_ESCALATION = Policy().negative_threshold  # P(negative) at which the support desk hands a customer to a person
MODELS = {
    "customer_sentiment (shipped, LoRA on fast)": ROOT / "shipped_models" / "customer_sentiment",
    "sentiment (financial news, accurate; stood in before)": ROOT / "shipped_models" / "sentiment",
    "sentiment-fast (financial news, fast)": ROOT / "shipped_models" / "sentiment-fast",
}


def read_dev(path: Path = DEV) -> list[tuple[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [(row["text"], row["label"]) for row in csv.DictReader(fh)]


def scores(classifier: TextClassifier, rows: list[tuple[str, str]]) -> dict:
    """Accuracy, macro-F1 (classes present), negative P/R/F1, and what happens to the neutral messages: called
    negative, called positive, or so negative (P >= the support desk's escalation threshold) that they are escalated."""
    texts, truth = [t for t, _ in rows], [lab for _, lab in rows]
    probabilities = np.asarray(classifier.predict_proba(texts))
    predicted = [classifier.labels[i] for i in probabilities.argmax(axis=1)]
    report = classification_report(truth, predicted, classifier.labels)
    neutral = [i for i, lab in enumerate(truth) if lab == "neutral"]
    p_negative = probabilities[:, classifier.labels.index("negative")]
    return {
        "n": report["n"],
        "accuracy": round(report["accuracy"], 4),
        "macro_f1_present_classes": round(report["macro_f1"], 4),
        "per_class_f1": {k: round(v["f1"], 4) for k, v in report["per_class"].items() if v["support"]},
        "negative": {k: round(v, 4) if isinstance(v, float) else v for k, v in report["per_class"]["negative"].items()},
        "neutral_called_negative": round(sum(predicted[i] == "negative" for i in neutral) / len(neutral), 4),
        "neutral_called_positive": round(sum(predicted[i] == "positive" for i in neutral) / len(neutral), 4),
        "neutral_escalated_as_very_negative": round(sum(p_negative[i] >= NEGATIVE_ESCALATION for i in neutral) / len(neutral), 4),
    }


def measure(folder: Path, sample: list[tuple[str, str]], dev: list[tuple[str, str]], marks: list[tuple[str, str]]) -> dict:
    model, files = load_model(folder)
    classifier = TextClassifier(model, files.labels, max_length=files.max_length, device="cpu")
    texts = [t for t, _ in sample]
    classifier.predict(texts[:16])  # warm-up
    start = time.perf_counter()
    classifier.predict(texts)
    seconds = time.perf_counter() - start
    return {
        "method": files.method,
        "base": files.base,
        "dev": scores(classifier, dev),
        "marks_dev": scores(classifier, marks),
        "banking77_sample": scores(classifier, sample),
        "texts_per_s_own_pass": round(len(texts) / seconds, 1),
    }


def main() -> int:
    rows, dev, marks = customer_tone_sample(SHARED_DATA), read_dev(), read_dev(MARKS_DEV)
    models = {**MODELS, **{f"candidate {p}": Path(p) for p in sys.argv[1:]}}  # extra folders: candidates, not written
    results = {name: measure(folder, rows, dev, marks) for name, folder in models.items() if (folder / "manifest.json").exists()}
    counts = {lab: sum(1 for _, x in rows if x == lab) for lab in ("negative", "neutral", "positive")}
    out = {
        "sample": "benchmarks/labels/customer_sentiment_sample.csv: 300 Banking77 test messages, tone labelled by hand",
        "dev": "benchmarks/labels/customer_sentiment_dev.csv: 57 hand-written messages (choosing between candidates)",
        "marks_dev": "benchmarks/labels/customer_sentiment_marks_dev.csv: 30 hand-written messages, each with a '!'",
        "escalation_threshold": NEGATIVE_ESCALATION,
        "labels": counts,
        "models": results,
        "note": "the shipped customer_sentiment head reads the retrieval pass's vectors on the ask path "
        "(core.support.retrieval.score_task), so it adds no encoder pass there; texts/s is its own pass here",
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if len(sys.argv) == 1:
        OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"Banking77 tone sample: {counts}; dev: {len(dev)} messages; marks dev: {len(marks)}")
    print(f"{'model':<56}{'set':>8}{'macroF1':>9}{'neg P':>8}{'neg R':>8}{'neu->neg':>10}{'neu esc':>9}")
    for name, r in results.items():
        for key, label in (("dev", "dev"), ("marks_dev", "marks"), ("banking77_sample", "sample")):
            x, n = r[key], r[key]["negative"]
            print(f"{name:<56}{label:>8}{x['macro_f1_present_classes']:>9.3f}{n['precision']:>8.3f}{n['recall']:>8.3f}"
                  f"{x['neutral_called_negative']:>10.3f}{x['neutral_escalated_as_very_negative']:>9.3f}")  # fmt: skip
    if len(sys.argv) == 1:
        print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
