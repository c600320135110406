"""Customer sentiment: the shipped ``customer_sentiment`` model against the financial-news ``sentiment`` models that
stood in for it on the Customer service page, on 300 real customer messages whose tone was labelled by hand
(``benchmarks/labels/customer_sentiment_sample.csv``, Banking77 test rows; see the README there), in one run.

    .venv/bin/python benchmarks/customer_sentiment.py

Needs ``../shared/data/banking77`` (read in place). Writes benchmarks/results/customer_sentiment.json. The sample
holds negative and neutral messages only: what matters on a support desk is finding the upset customers without
calling plain questions negative, so the table gives negative precision and recall and the share of neutral
messages called negative or positive.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.nlp.classifier import TextClassifier  # noqa: E402
from core.nlp.defaults import SHARED_DATA, _customer_tone_sample  # noqa: E402
from core.nlp.evaluation import classification_report  # noqa: E402
from core.nlp.store import load_model  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "customer_sentiment.json"
MODELS = {
    "customer_sentiment (shipped, head on fast)": ROOT / "shipped_models" / "customer_sentiment",
    "sentiment (financial news, accurate; stood in before)": ROOT / "shipped_models" / "sentiment",
    "sentiment-fast (financial news, fast)": ROOT / "shipped_models" / "sentiment-fast",
}


def measure(folder: Path, rows: list[tuple[str, str]]) -> dict:
    model, files = load_model(folder)
    classifier = TextClassifier(model, files.labels, max_length=files.max_length, device="cpu")
    texts, truth = [t for t, _ in rows], [lab for _, lab in rows]
    classifier.predict(texts[:16])  # warm-up
    start = time.perf_counter()
    predicted = [p.label for p in classifier.predict(texts)]
    seconds = time.perf_counter() - start
    report = classification_report(truth, predicted, files.labels)
    negative = report["per_class"]["negative"]
    neutral = [p for t, p in zip(truth, predicted) if t == "neutral"]
    return {
        "n": report["n"],
        "accuracy": round(report["accuracy"], 4),
        "macro_f1_present_classes": round(report["macro_f1"], 4),
        "negative": {k: round(v, 4) if isinstance(v, float) else v for k, v in negative.items()},
        "neutral_called_negative": round(neutral.count("negative") / len(neutral), 4),
        "neutral_called_positive": round(neutral.count("positive") / len(neutral), 4),
        "texts_per_s_own_pass": round(len(texts) / seconds, 1),
        "method": files.method,
        "base": files.base,
    }


def main() -> int:
    rows = _customer_tone_sample(SHARED_DATA)
    results = {name: measure(folder, rows) for name, folder in MODELS.items() if (folder / "manifest.json").exists()}
    counts = {lab: sum(1 for _, x in rows if x == lab) for lab in ("negative", "neutral", "positive")}
    out = {
        "sample": "benchmarks/labels/customer_sentiment_sample.csv: 300 Banking77 test messages, tone labelled by hand",
        "labels": counts,
        "models": results,
        "note": "the shipped customer_sentiment head reads the retrieval pass's vectors on the ask path "
        "(core.support.retrieval.score_task), so it adds no encoder pass there; texts/s is its own pass here",
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(f"customer tone sample: {counts}")
    print(f"{'model':<56}{'acc':>7}{'neg P':>8}{'neg R':>8}{'neg F1':>8}{'neu->neg':>10}{'neu->pos':>10}")
    for name, r in results.items():
        n = r["negative"]
        print(f"{name:<56}{r['accuracy']:>7.3f}{n['precision']:>8.3f}{n['recall']:>8.3f}{n['f1']:>8.3f}"
              f"{r['neutral_called_negative']:>10.3f}{r['neutral_called_positive']:>10.3f}")  # fmt: skip
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
