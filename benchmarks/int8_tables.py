"""int8 with the embedding tables in 8 bits too, against int8 linear layers only: the same model, the same run.

    .venv/bin/python benchmarks/int8_tables.py [--texts 1000] [--repeats 3]

A compressed student kept in int8 (Model Studio's Compress) once quantised its linear layers only, so the fast
encoder's word table stayed fp32 (47 of its 90 MB) and an int8 student measured larger than its bf16 teacher
(53 against 45 MB in a walk). ``core.nlp.store.quantise_int8`` now stores the tables in 8 bits per row as well. This
builds both from the shipped topic model (fast encoder, LoRA merged), and measures the size as it runs, the share of
texts that keep their fp32 label, and texts/s (batches of 32, the two ways alternated so a busy machine slows both
alike). The texts are twitter_fin_topic validation tweets from ``../shared/data`` when present, else the project's
own news sentences. Writes benchmarks/results/int8_tables.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

RESULTS = Path(__file__).resolve().parent / "results" / "int8_tables.json"
TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_fin_topic" / "valid.csv"
MODEL = Path(__file__).resolve().parents[1] / "shipped_models" / "topic"


def texts_to_score(n: int) -> tuple[list[str], str]:
    if TWEETS.exists():
        return pd.read_csv(TWEETS)["text"].astype(str).tolist()[:n], "twitter_fin_topic valid"
    from training_data.financial_news_sentences import financial_news_sentences

    return [text for text, _ in financial_news_sentences(n_per_label=n // 3 + 1, seed=7)][:n], "project-authored news sentences"


def texts_per_second(classifier, texts: list[str]) -> float:  # noqa: ANN001 - TextClassifier
    classifier.predict_proba(texts[:32])  # warm-up
    started = time.perf_counter()
    classifier.predict_proba(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    from core.nlp.classifier import TextClassifier
    from core.nlp.distil import model_size_mb
    from core.nlp.store import load_model, quantise_int8

    torch.set_num_threads(os.cpu_count() or 1)
    texts, source = texts_to_score(args.texts)
    model, files = load_model(MODEL, quantised=False)
    fp32 = TextClassifier(model, files.labels, device="cpu", precision="fp32").predict_proba(texts).argmax(axis=1)
    ways = {"linear layers only": quantise_int8(model, embeddings=False), "linear layers and tables": quantise_int8(model)}
    classifiers = {name: TextClassifier(quantised, files.labels) for name, quantised in ways.items()}
    speeds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.repeats):
        for name, classifier in classifiers.items():
            speeds[name].append(texts_per_second(classifier, texts))
    rows = {
        name: {
            "size_mb": round(model_size_mb(ways[name]), 1),
            "same_label_as_fp32": round(float((classifiers[name].predict_proba(texts).argmax(axis=1) == fp32).mean()), 4),
            "texts_per_s_median": round(statistics.median(speeds[name]), 1),
            "texts_per_s_runs": [round(s, 1) for s in speeds[name]],
        }
        for name in ways
    }
    old, new = rows["linear layers only"], rows["linear layers and tables"]
    result = {
        "model": "shipped_models/topic (fast encoder, LoRA merged)",
        "fp32_size_mb": round(model_size_mb(model), 1),
        "texts": len(texts),
        "texts_from": source,
        "ways": rows,
        "size_ratio_tables_vs_linear_only": round(new["size_mb"] / old["size_mb"], 3),
        "speed_ratio_tables_vs_linear_only": round(new["texts_per_s_median"] / old["texts_per_s_median"], 3),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "torch": torch.__version__},
    }
    print(f"{'int8':<26} {'size MB':>8} {'same label as fp32':>19} {'texts/s':>8}")
    for name, row in rows.items():
        print(f"{name:<26} {row['size_mb']:>8} {row['same_label_as_fp32']:>19.2%} {row['texts_per_s_median']:>8}")
    print(f"fp32: {result['fp32_size_mb']} MB · size ratio {result['size_ratio_tables_vs_linear_only']} · speed ratio "
          f"{result['speed_ratio_tables_vs_linear_only']}")
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
