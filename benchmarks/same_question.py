"""When is a customer's question the FAQ's own question? ``core.support.decision.SAME_QUESTION`` is the cosine
similarity (the fast encoder the knowledge base searches with) at and above which the intent model no longer counts:
the entry is the team's answer to that question. This measures the rule on Banking77 *training* questions: every pair
of questions at or above each similarity, and how many of those pairs share an intent (the truth of whether one
answer serves both). Exact repeats (the same text, compared without case and surrounding spaces) are counted apart.

    .venv/bin/python benchmarks/same_question.py

Needs ../shared/data/banking77/train.csv; reads it in place. Writes benchmarks/results/same_question.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "banking77" / "train.csv"
OUT = ROOT / "benchmarks" / "results" / "same_question.json"
sys.path.insert(0, str(ROOT))

SIMILARITIES = (0.95, 0.97, 0.98, 0.99, 0.995)
SHOWN = 5  # pairs of different intents listed per similarity


def close_pairs(vectors, floor: float, chunk: int = 1000) -> list[tuple[int, int, float]]:
    """(i, j, cosine) for every pair i < j of normalised ``vectors`` at or above ``floor``."""
    import numpy as np

    pairs = []
    for start in range(0, len(vectors), chunk):
        sims = vectors[start : start + chunk] @ vectors.T
        rows, cols = np.nonzero(sims >= floor)
        pairs += [(start + r, c, float(sims[r, c])) for r, c in zip(rows, cols, strict=True) if start + r < c]
    return pairs


def main() -> None:
    if not DATA.exists():
        sys.exit(f"error: {DATA} not found; this benchmark needs ../shared/data next to the repository")
    import pandas as pd

    from core.nlp.sentence_encoder import get_sentence_encoder, normalise
    from core.support.decision import SAME_QUESTION

    frame = pd.read_csv(DATA)
    texts, labels = frame["text"].astype(str).tolist(), frame["label"].tolist()
    vectors = normalise(get_sentence_encoder().pooled(texts))
    pairs = close_pairs(vectors, min(SIMILARITIES))
    key = [t.strip().casefold() for t in texts]
    rows = []
    for floor in SIMILARITIES:
        reworded = [(i, j, s) for i, j, s in pairs if s >= floor and key[i] != key[j]]
        repeats = [(i, j, s) for i, j, s in pairs if s >= floor and key[i] == key[j]]
        apart = [(i, j, s) for i, j, s in reworded if labels[i] != labels[j]]
        rows.append({
            "similarity_at_least": floor,
            "reworded_pairs": len(reworded), "reworded_same_intent": round(1 - len(apart) / len(reworded), 3) if reworded else None,
            "repeat_pairs": len(repeats), "repeats_same_intent": sum(labels[i] == labels[j] for i, j, _ in repeats),
            "different_intents": [{"a": texts[i], "b": texts[j], "intents": [labels[i], labels[j]], "similarity": round(s, 4)}
                                  for i, j, s in sorted(apart, key=lambda p: -p[2])[:SHOWN]],
        })  # fmt: skip
    print(f"{len(texts):,} Banking77 training questions; the product's SAME_QUESTION is {SAME_QUESTION}")
    print(f"{'cosine >=':>9}  {'reworded pairs':>14}  {'same intent':>11}  {'exact repeats':>13}  {'same intent':>11}")
    for row in rows:
        mark = "  <- product" if row["similarity_at_least"] == SAME_QUESTION else ""
        share = "-" if row["reworded_same_intent"] is None else f"{row['reworded_same_intent']:.3f}"
        print(f"{row['similarity_at_least']:>9}  {row['reworded_pairs']:>14}  {share:>11}  {row['repeat_pairs']:>13}  "
              f"{row['repeats_same_intent']:>11}{mark}")  # fmt: skip
    OUT.write_text(json.dumps({
        "data": "banking77 train.csv (intents as the truth of whether one answer serves both questions)",
        "questions": len(texts), "encoder": "fast (all-MiniLM-L6-v2), as the knowledge base searches",
        "product_same_question": SAME_QUESTION, "rows": rows, "host": platform.processor() or platform.machine(),
    }, indent=2, ensure_ascii=False) + "\n")  # fmt: skip
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
