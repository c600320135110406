"""Recommenders on MovieLens small (../shared/data/movielens_small): popularity, item-kNN, EASE, item text (MiniLM
over title + genres + tags), item text tuned on behaviour and the hybrid, under two protocols:

* random: the protocol of Microsoft's `recommenders` benchmark: stratified random 75/25 split per user,
  top-10 over all items the user has not rated in training, binary relevance (every held-out rating counts);
* last: leave-last-out by timestamp.

Plus a cold-start test: 10% of the rated movies are held out of training entirely and ranked from text alone.
Prints a table and writes benchmarks/results/recommend.json.

    .venv/bin/python benchmarks/recommend.py [--protocols random,last] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "movielens_small"
OUT = ROOT / "benchmarks" / "results" / "recommend.json"


def load_movielens():  # noqa: ANN201
    import pandas as pd

    from core.recommend.data import Dataset, read_table

    ratings = read_table(DATA / "ratings.csv")
    movies = read_table(DATA / "movies.csv")
    tags = read_table(DATA / "tags.csv")
    per_movie = tags.groupby("movieId")["tag"].apply(lambda s: ", ".join(dict.fromkeys(t.strip() for t in s if t.strip())))
    items = pd.DataFrame({
        "item": movies["movieId"], "title": movies["title"], "description": "",
        "category": movies["genres"].replace("(no genres listed)", ""), "tags": movies["movieId"].map(per_movie).fillna(""),
    })
    inter = pd.DataFrame({"user": ratings["userId"], "item": ratings["movieId"], "timestamp": ratings["timestamp"].astype(float)})
    return Dataset.from_frames(inter, items)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocols", default="random,last")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not DATA.exists():
        print(f"error: {DATA} is absent; this benchmark needs ../shared/data/movielens_small (ratings.csv, movies.csv, tags.csv)",
              file=sys.stderr)
        return 2
    import torch

    from core.recommend.embeddings import item_embeddings
    from core.recommend.evaluate import EvalConfig, evaluate

    started = time.perf_counter()
    ds = load_movielens()
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    embeddings = item_embeddings(ds.texts())  # cached on disk per catalogue text after the first run
    embed_s = time.perf_counter() - started
    report = {
        "dataset": "MovieLens ml-latest-small (2018): 100,836 ratings, 610 users, 9,742 movies",
        "item_text": "title (with year) + genres + free-text tags, mean-pooled all-MiniLM-L6-v2, L2-normalised",
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "cpu_threads": torch.get_num_threads(),
                    "device": "cpu"},
        "load_seconds": round(load_s, 2), "embedding_seconds": round(embed_s, 2),
        "embedding_note": "item embeddings are computed once per catalogue text and cached under the data folder; "
                          "embedding_seconds is the cache read when it was already there",
        "protocols": {},
    }
    for protocol in [p.strip() for p in args.protocols.split(",") if p.strip()]:
        cfg = EvalConfig(protocol=protocol, test_ratio=0.25, seed=args.seed, k=10)
        started = time.perf_counter()
        result = evaluate(ds, embeddings, cfg)
        total = time.perf_counter() - started
        rows = result.rows
        best = max((r for r in rows if r["model"] != "popularity"), key=lambda r: r["ndcg@10"])
        classic = max((r for r in rows if r["model"] in ("ease", "itemknn")), key=lambda r: r["ndcg@10"])
        text_row = next(r for r in rows if r["model"] == "text")
        tuned_row = next(r for r in rows if r["model"] == "text_tuned")
        random_cold = result.meta["cold_random_recall@20"]
        report["protocols"][protocol] = {
            "meta": result.meta, "evaluation_seconds_all_models": round(total, 2),
            "models": {r["model"]: r for r in rows},
            "summary": {
                "best_model": best["model"], "best_ndcg@10_vs_popularity": best["ndcg@10_vs_popularity"],
                "best_beats_classic": best["ndcg@10"] > classic["ndcg@10"] if best is not classic else False,
                "best_classic": classic["model"],
                "text_cold_recall@20_vs_random": round(text_row["cold_recall@20"] / random_cold, 2) if random_cold else None,
                "tuned_text_cold_recall@20_vs_random": round(tuned_row["cold_recall@20"] / random_cold, 2) if random_cold else None,
                "tuned_vs_plain_text_cold_recall@20": round(tuned_row["cold_recall@20"] / text_row["cold_recall@20"], 3),
                "tuned_vs_plain_text_ndcg@10": round(tuned_row["ndcg@10"] / text_row["ndcg@10"], 3),
            },
        }
        print(f"\n{protocol}: {result.meta['protocol_text']}; seed {args.seed}; all models evaluated in {total:.1f} s")
        print(f"{'model':<26}{'NDCG@10':>9}{'R@10':>8}{'R@20':>8}{'HR@10':>8}{'cov@10':>8}{'coldR@20':>10}{'xPop':>7}"
              f"{'fit s':>8}{'eval s':>8}")
        for r in rows:
            print(f"{r['name']:<26}{r['ndcg@10']:>9.4f}{r['recall@10']:>8.4f}{r['recall@20']:>8.4f}{r['hit_rate@10']:>8.3f}"
                  f"{r['coverage@10']:>8.3f}{r['cold_recall@20'] or 0:>10.4f}{r['ndcg@10_vs_popularity']:>7.2f}{r['fit_s']:>8.2f}"
                  f"{r['eval_s']:>8.2f}")
        print(f"cold start: random Recall@20 = {random_cold:.4f}; hybrid text weight {result.meta['text_weight']}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
