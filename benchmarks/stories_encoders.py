"""Stories on the accurate encoder? Validation only: the grouping settings of benchmarks/stories.py tuned on the
validation split once with each base encoder's vectors (fast all-MiniLM-L6-v2, accurate all-mpnet-base-v2), with the
embedding speed of each. The test split is not read (the worker's encoder and settings were chosen before).

    .venv/bin/python benchmarks/stories_encoders.py   # writes results/stories_encoders.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.stories import FEEDS, JACCARDS, PER_DAY, SHARED, choose, group, load_sample, pairwise  # noqa: E402
from core.nlp.sentence_encoder import get_sentence_encoder  # noqa: E402
from core.stories.embeddings import story_text  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "stories_encoders.json"
COSINES = [round(0.4 + 0.025 * i, 3) for i in range(25)]  # wider than stories.py: mpnet's cosines run higher


def tuned(encoder: str, items: list, gold: list) -> dict:
    texts = [story_text(i.title, i.summary) for i in items]
    model = get_sentence_encoder(encoder)
    model.encode(texts[:8])  # load first
    started = time.perf_counter()
    vectors = model.encode(texts)
    seconds = time.perf_counter() - started
    embedded = [replace(item, vector=vector) for item, vector in zip(items, vectors, strict=True)]
    grid = [(j, c, d, w) for j in JACCARDS for c in COSINES for d in PER_DAY for w in SHARED]
    results = {setting: pairwise(group(embedded, *setting), gold) for setting in grid}
    best = choose(results)
    return {"settings": dict(zip(("jaccard", "cosine", "cosine_per_day", "shared_title_words"), best, strict=True)),
            "validation": results[best], "texts_per_second": round(len(texts) / seconds, 1)}


def main() -> None:
    if not FEEDS.is_dir():
        sys.exit(f"{FEEDS} is missing: the benchmark needs the shared feed captures")
    items, gold = load_sample("validation")
    result = {name: tuned(name, items, gold) for name in ("fast", "accurate")}
    fast, accurate = result["fast"], result["accurate"]
    result["accurate_over_fast"] = {"f1_gain": round(accurate["validation"]["f1"] - fast["validation"]["f1"], 3),
                                    "embedding_speed_ratio": round(accurate["texts_per_second"] / fast["texts_per_second"], 3)}
    result["environment"] = {"cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)}
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'encoder':<10}{'precision':>10}{'recall':>8}{'F1':>7}{'texts/s':>9}  settings (validation, 26 gold pairs)")
    for name in ("fast", "accurate"):
        row = result[name]
        v = row["validation"]
        print(f"{name:<10}{v['precision']:>10.3f}{v['recall']:>8.3f}{v['f1']:>7.3f}{row['texts_per_second']:>9}  {row['settings']}")


if __name__ == "__main__":
    main()
