"""How well "What goes unanswered" groups escalated questions by meaning, at several merge distances: sets of
Banking77 *training* questions (their intent is the truth of which questions belong together) are grouped with the
product's own code (``core.support.tickets.meaning_groups`` on the fast encoder), and each grouping is scored by
pairs of questions: precision (two questions grouped together share an intent), recall (two questions of one intent
are grouped together), and F0.5, which weighs precision twice: a group that mixes two topics hides one of them behind
the other's suggested question (a walk found PayPal questions under "Do you sell gift cards?"), while a topic split in
two groups is only listed twice.

    .venv/bin/python benchmarks/unanswered_groups.py [--trials 30]

Needs ../shared/data/banking77/train.csv; reads it in place. Writes benchmarks/results/unanswered_groups.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
from itertools import combinations
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
OUT = ROOT / "benchmarks" / "results" / "unanswered_groups.json"
sys.path.insert(0, str(ROOT))

DISTANCES = (0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def question_sets(frame, trials: int, seed: int = 7) -> list[list[tuple[str, str]]]:
    """``trials`` sets as a Log tab sees them: 3 to 12 topics, 1 to 8 questions each."""
    rng = random.Random(seed)
    by_intent = {label: list(group["text"]) for label, group in frame.groupby("label")}
    sets = []
    for _ in range(trials):
        chosen = rng.sample(sorted(by_intent), rng.randint(3, 12))
        sets.append([(text, label) for label in chosen for text in rng.sample(by_intent[label], rng.randint(1, 8))])
    return sets


def pair_scores(groups, truth) -> tuple[int, int, int]:
    """(pairs grouped together sharing an intent, pairs grouped together, pairs sharing an intent)."""
    together = same = both = 0
    for i, j in combinations(range(len(truth)), 2):
        g, t = groups[i] == groups[j], truth[i] == truth[j]
        together += g
        same += t
        both += g and t
    return both, together, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"error: {DATA} not found; this benchmark needs ../shared/data next to the repository")
    import pandas as pd

    from core.nlp.sentence_encoder import get_sentence_encoder, normalise
    from core.support.tickets import CLUSTER_DISTANCE, meaning_groups

    sets = question_sets(pd.read_csv(DATA), args.trials)
    encoder = get_sentence_encoder()
    vectors = [normalise(encoder.pooled([text for text, _ in qs])) for qs in sets]
    rows = []
    for distance in DISTANCES:
        both = together = same = 0
        for qs, vec in zip(sets, vectors, strict=True):
            b, t, s = pair_scores(meaning_groups(vec, distance), [label for _, label in qs])
            both, together, same = both + b, together + t, same + s
        p, r = both / max(1, together), both / max(1, same)
        f05, f1 = 1.25 * p * r / max(1e-9, 0.25 * p + r), 2 * p * r / max(1e-9, p + r)
        rows.append({"distance": distance, "pair_precision": round(p, 3), "pair_recall": round(r, 3), "f0.5": round(f05, 3),
                     "f1": round(f1, 3)})  # fmt: skip
    best = max(rows, key=lambda row: row["f0.5"])
    print(f"{'distance':>8}  {'precision':>9}  {'recall':>6}  {'F0.5':>5}  {'F1':>5}")
    for row in rows:
        mark = "  <- product" if row["distance"] == CLUSTER_DISTANCE else ""
        print(f"{row['distance']:>8}  {row['pair_precision']:>9}  {row['pair_recall']:>6}  {row['f0.5']:>5}  {row['f1']:>5}{mark}")
    print(f"best F0.5 at distance {best['distance']}; the product uses {CLUSTER_DISTANCE}")
    OUT.write_text(json.dumps({
        "data": "banking77 train.csv (intents as the truth of which questions belong together)",
        "trials": args.trials, "questions": sum(len(qs) for qs in sets), "encoder": "fast (all-MiniLM-L6-v2)",
        "product_distance": CLUSTER_DISTANCE, "best_distance_by_f0.5": best["distance"], "rows": rows,
        "host": platform.processor() or platform.machine(),
    }, indent=2) + "\n")  # fmt: skip
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
