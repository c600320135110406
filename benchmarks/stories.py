"""Stories: pairwise precision and recall of grouping items into stories (core.stories), and the time to
group 100,000 items incrementally.

    .venv/bin/python benchmarks/stories.py      # tunes thresholds on validation, reports test once; writes results/stories.json

Methods, side by side in one run: ``encoder`` (what the worker does: same link, word Jaccard, or cosine of the
fast sentence encoder's vectors of headline + summary lead; both thresholds chosen on validation by F1) and
``word_overlap`` (the previous method: same link or word Jaccard only; its threshold also chosen on validation).

Labelled sample: every dated item of the top-level captures in ../shared/data/feeds; gold story groups in
benchmarks/labels/stories_groups.csv (items not listed there are stories of their own; see the README
there). Validation = the 2019-07 CNBC and 2026-08 Reuters captures (used to choose the threshold); test =
the other captures (2026-03 CNBC/NYT/Google News/Seeking Alpha, WSJ, Forbes, SEC), read once.
Baseline in the same run: exact match of the normalised title (what a plain de-duplication would do).
Timing: 100,000 synthetic items made from the sample's real titles, each title republished by 1-5 feeds with
a publisher suffix or prefix, tracking parameters and a shifted time, spread over 60 days, fed one by one.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.feeds.parse import parse_feed  # noqa: E402
from core.stories.cluster import (  # noqa: E402
    DEFAULT_COSINE,
    DEFAULT_COSINE_PER_DAY,
    DEFAULT_SHARED_WORDS,
    DEFAULT_THRESHOLD,
    DEFAULT_WINDOW_HOURS,
    ItemText,
    StoryIndex,
)
from core.stories.embeddings import encoder_embed, story_text  # noqa: E402
from core.stories.normalise import normalise_title  # noqa: E402

FEEDS = ROOT.parent / "shared" / "data" / "feeds"
LABELS = ROOT / "benchmarks" / "labels" / "stories_groups.csv"
OUT = ROOT / "benchmarks" / "results" / "stories.json"
VALIDATION_FEEDS = ("cnbc_finance_2019-07_a", "cnbc_finance_2019-07_b", "reuters_republished_2026-08")
THRESHOLDS = [round(0.25 + 0.05 * i, 2) for i in range(13)]
COSINES = [round(0.5 + 0.025 * i, 3) for i in range(17)]
PER_DAY = [0.0, 0.05, 0.1, 0.15, 0.2, 0.3]
JACCARDS = [0.4, 0.5, 0.6]
SHARED = [1, 2, 3]


def load_sample(split: str) -> tuple[list[ItemText], list[str]]:
    """The split's items in time order and their gold story ids."""
    gold: dict[tuple[str, int], str] = {}
    with LABELS.open(newline="") as f:
        for row in csv.DictReader(f):
            gold[(row["feed"], int(row["entry"]))] = row["story"]
    items, stories = [], []
    for path in sorted(FEEDS.glob("*.xml")):
        feed = path.stem
        if (feed in VALIDATION_FEEDS) != (split == "validation"):
            continue
        try:
            parsed = parse_feed(path.read_bytes(), f"https://{feed}.example/")
        except Exception:  # not a feed (the sitemap): nothing to group
            continue
        for n, entry in enumerate(parsed):
            if entry.published_at is None:
                continue
            items.append(ItemText(entry.title, entry.summary, entry.link, entry.published_at, feed))
            stories.append(gold.get((feed, n), f"{feed}#{n}"))
    order = sorted(range(len(items)), key=lambda i: items[i].published_at)
    return [items[i] for i in order], [stories[i] for i in order]


def group(items: list[ItemText], threshold: float, cosine: float | None = None, per_day: float = 0.0, shared: int = 1) -> list[int]:
    index = StoryIndex(threshold=threshold, cosine=cosine, cosine_per_day=per_day, shared_words=shared)
    return [index.assign(item, n) for n, item in enumerate(items)]


def embedded(items: list[ItemText]) -> list[ItemText]:
    vectors = encoder_embed([story_text(i.title, i.summary) for i in items])
    return [replace(item, vector=vector) for item, vector in zip(items, vectors, strict=True)]


def exact_title(items: list[ItemText]) -> list[str]:
    return [normalise_title(item.title) or f"#{n}" for n, item in enumerate(items)]


def pairwise(predicted: list, gold: list) -> dict:
    """Pairwise precision/recall: a pair of items is positive when both are in one story."""
    def pairs(labels: list) -> set[tuple[int, int]]:
        members = defaultdict(list)
        for n, label in enumerate(labels):
            members[label].append(n)
        return {pair for group_ in members.values() for pair in itertools.combinations(group_, 2)}

    got, want = pairs(predicted), pairs(gold)
    hit = len(got & want)
    precision = hit / len(got) if got else 1.0
    recall = hit / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3),
            "predicted_pairs": len(got), "gold_pairs": len(want), "correct_pairs": hit, "items": len(gold),
            "precision_95": interval(hit, len(got)), "recall_95": interval(hit, len(want))}



SUFFIXES = [" - Reuters", " | Yahoo Finance", " - MarketWatch", " - Investing.com", " | Morningstar", ""]


def republished(items: list[ItemText], count: int, seed: int = 18) -> list[ItemText]:
    """``count`` items: real titles republished by several feeds with different suffixes, links and times."""
    rng = random.Random(seed)
    out: list[ItemText] = []
    start = min(i.published_at for i in items)
    story = 0
    while len(out) < count:
        base = items[story % len(items)]
        at = start + timedelta(minutes=rng.randrange(60 * 24 * 60))
        tag = f" ({story // len(items)})" if story >= len(items) else ""
        for copy in range(rng.randint(1, 5)):
            title = base.title + tag + rng.choice(SUFFIXES)
            link = f"https://news{copy}.example/{story}?utm_source=feed{copy}&utm_medium=rss"
            out.append(ItemText(title, base.summary, link, at + timedelta(minutes=rng.randrange(600)), f"feed{copy}"))
        story += 1
    out = out[:count]
    out.sort(key=lambda i: i.published_at)
    return out


def time_incremental(items: list[ItemText], threshold: float, cosine: float | None = None, per_day: float = 0.0,
                     shared: int = 1) -> dict:
    index = StoryIndex(threshold=threshold, cosine=cosine, cosine_per_day=per_day, shared_words=shared)
    started = time.perf_counter()
    keys = {index.assign(item, n) for n, item in enumerate(items)}
    seconds = time.perf_counter() - started
    return {"items": len(items), "seconds": round(seconds, 2), "items_per_second": round(len(items) / seconds), "stories": len(keys)}


def with_vectors(items: list[ItemText], sample: list[ItemText], seed: int = 18) -> list[ItemText]:
    """The synthetic items with the real vectors of the titles they copy; each re-use of a title in a later round
    (the ' (n)' tag) gets its own vector (the real one mixed with a random direction), so rounds are other stories."""
    rng = np.random.default_rng(seed)
    real = {item.title: item.vector for item in sample}
    rounds: dict[tuple[str, str], np.ndarray] = {}
    out = []
    for item in items:
        base, _, tag = item.title.partition(" (")
        base = next((t for t in (item.title, base) if t in real), None)
        if base is None:
            base = next(t for t in real if item.title.startswith(t))
        key = (base, tag.split(")")[0])
        if key not in rounds:
            mixed = real[base] + (rng.standard_normal(len(real[base])).astype(np.float32) * 0.06 if key[1] else 0)
            rounds[key] = (mixed / np.linalg.norm(mixed)).astype(np.float32)
        out.append(replace(item, vector=rounds[key]))
    return out


def time_embedding(items: list[ItemText], count: int = 2000) -> dict:
    """Embedding cost per item (the worker embeds every new item once): ``count`` distinct texts in one call."""
    texts = list(dict.fromkeys(story_text(i.title, i.summary) for i in items))[:count]
    encoder_embed(texts[:8])  # load the encoder first
    started = time.perf_counter()
    encoder_embed(texts)
    seconds = time.perf_counter() - started
    return {"texts": len(texts), "seconds": round(seconds, 2), "items_per_second": round(len(texts) / seconds, 1)}


def interval(hits: int, total: int) -> list[float]:
    """95% Wilson interval of a proportion (pairs are not independent: read it as a rough width)."""
    if not total:
        return [0.0, 1.0]
    z, p = 1.96, hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return [round(max(0.0, centre - half), 3), round(min(1.0, centre + half), 3)]


# The test split was read twice for the encoder method (honestly recorded): the first run had no shared-words rule
# (equivalent to shared_title_words 1). The rule was added afterwards because the project's worker-cycle test grouped
# two fictional headlines about one company ("Acme shares plunged after a profit warning" / "Acme sales fell ..."),
# and its value was chosen on validation like the others; the test errors were never listed or read.
EARLIER_TEST_READING = {"settings": {"jaccard": 0.4, "cosine": 0.6, "cosine_per_day": 0.2, "shared_title_words": 1},
                        "precision": 0.375, "recall": 0.545, "f1": 0.444, "predicted_pairs": 16, "gold_pairs": 11, "correct_pairs": 6}


def choose(results: dict) -> object:
    """The setting with the best validation F1 (ties: the stricter one)."""
    return max(results, key=lambda k: (results[k]["f1"], k))


def main() -> None:
    if not FEEDS.is_dir():
        sys.exit(f"{FEEDS} is missing: the benchmark needs the shared feed captures")
    val_items, val_gold = load_sample("validation")
    val_items = embedded(val_items)
    words = {t: pairwise(group(val_items, t), val_gold) for t in THRESHOLDS}
    word_t = choose(words)
    grid = [(j, c, d, w) for j in JACCARDS for c in COSINES for d in PER_DAY for w in SHARED]
    tuning = {setting: pairwise(group(val_items, *setting), val_gold) for setting in grid}
    jac, cos, per_day, shared = choose(tuning)
    # the test split is read once, with the settings fixed above
    test_items, test_gold = load_sample("test")
    test_items = embedded(test_items)
    result = {
        "target": "grouping precision and recall >= 0.90 each on the labelled sample (test split)",
        "encoder": {
            "settings": {"jaccard": jac, "cosine": cos, "cosine_per_day": per_day, "shared_title_words": shared,
                         "window_hours": DEFAULT_WINDOW_HOURS, "encoder": "fast (all-MiniLM-L6-v2)",
                         "in_core": {"jaccard": DEFAULT_THRESHOLD, "cosine": DEFAULT_COSINE, "cosine_per_day": DEFAULT_COSINE_PER_DAY,
                                     "shared_title_words": DEFAULT_SHARED_WORDS}},
            "validation": tuning[(jac, cos, per_day, shared)],
            "test": pairwise(group(test_items, jac, cos, per_day, shared), test_gold),
            "validation_by_setting": {f"jaccard {j} cosine {c} per day {d} shared words {w}": tuning[(j, c, d, w)] for j, c, d, w in grid},
        },
        "word_overlap_baseline": {
            "settings": {"jaccard": word_t},
            "validation": words[word_t],
            "test": pairwise(group(test_items, word_t), test_gold),
            "validation_by_threshold": {str(t): words[t] for t in THRESHOLDS},
        },
        "exact_title_baseline": {"validation": pairwise(exact_title(val_items), val_gold),
                                 "test": pairwise(exact_title(test_items), test_gold)},
    }
    result["encoder"]["earlier_test_reading"] = EARLIER_TEST_READING
    test_result = result["encoder"]["test"]
    result["target_met"] = test_result["precision"] >= 0.9 and test_result["recall"] >= 0.9
    syndicated = with_vectors(republished(test_items, 2 * len(test_items), seed=7), test_items)
    originals = [i.link.split("?")[0].rsplit("/", 1)[1] for i in syndicated]
    result["syndicated_test_titles"] = pairwise(group(syndicated, jac, cos, per_day, shared), originals)
    result["syndicated_test_titles"]["how"] = (
        "the test items' titles, each republished by 1-5 synthetic feeds (suffix, tracking link, time shift); gold = the original item")
    synthetic = republished(test_items + val_items, 100_000)
    embedding = time_embedding(synthetic)
    grouping = time_incremental(with_vectors(synthetic, test_items + val_items), jac, cos, per_day, shared)
    word_grouping = time_incremental(synthetic, word_t)
    per_item = 1 / embedding["items_per_second"] + 1 / grouping["items_per_second"]
    result["incremental_100k"] = {
        "grouping_with_vectors": grouping,
        "word_overlap_baseline": word_grouping,
        "embedding": embedding,
        "worker_items_per_second": round(1 / per_item, 1),
        "worker_seconds_for_100k": round(100_000 * per_item),
        "how": ("100,000 synthetic items (real titles republished with suffixes, tracking links, shifted times, over 60 days) fed "
                "one by one; grouping timed with precomputed vectors (the real titles' vectors; each later round of a title "
                "gets a perturbed copy); embedding timed on 2,000 distinct texts in one call; worker = embedding + grouping "
                "per item (every item is embedded once, vectors cached in the worker process)"),
    }
    result["environment"] = {"cpu_count": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2),
                             "note": "2 shared CPU cores; five other engineers were running tests at the same time"}
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"encoder: jaccard {jac}, cosine {cos} + {per_day}/day, {shared} shared title words; "
          f"word overlap: jaccard {word_t} (chosen on validation by F1)")
    print(f"{'method / sample':<34}{'precision':>10}{'recall':>8}{'F1':>7}{'gold pairs':>12}")
    rows = [("encoder, validation", result["encoder"]["validation"]), ("encoder, test", result["encoder"]["test"]),
            ("word overlap, validation", result["word_overlap_baseline"]["validation"]),
            ("word overlap, test", result["word_overlap_baseline"]["test"]),
            ("exact title, test", result["exact_title_baseline"]["test"]),
            ("encoder, test titles syndicated", result["syndicated_test_titles"])]
    for name, row in rows:
        print(f"{name:<34}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>7.3f}{row['gold_pairs']:>12}")
    run = result["incremental_100k"]
    grouped = run["grouping_with_vectors"]
    print(f"100,000 items: grouping {grouped['seconds']} s ({grouped['items_per_second']} items/s; "
          f"word overlap {run['word_overlap_baseline']['seconds']} s), embedding {run['embedding']['items_per_second']} items/s, "
          f"worker {run['worker_items_per_second']} items/s")


if __name__ == "__main__":
    main()
