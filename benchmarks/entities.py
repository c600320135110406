"""Company tagging: precision, recall and F1 of core's tagger (gazetteer) against the hand-listed tagger it
replaced, on the labelled sample of feed items in benchmarks/labels/entities_sample.csv and the second validation
draw in entities_dev2.csv (see the README there).

    .venv/bin/python benchmarks/entities.py                 # the test half; writes benchmarks/results/entities.json
    .venv/bin/python benchmarks/entities.py --split validation --show   # tuning: the validation half, with its errors

The item texts are read from ../shared/data/feeds at run time (the labels file holds only feed file, guid
and gold tickers). Both taggers' outputs and the gold tickers are compared as company keys
(core.sentiment.entities.canonical_company: "UL" and "UNA.AS" are one company).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import entities_hand_list as hand  # noqa: E402
from core.feeds.parse import parse_feed  # noqa: E402
from core.sentiment.entities import CompanyDirectory, canonical_company, find_companies  # noqa: E402
from core.sentiment.gazetteer import gazetteer  # noqa: E402
from core.sentiment.score_items import article_text  # noqa: E402

FEEDS = ROOT.parent / "shared" / "data" / "feeds"
LABELS = ROOT / "benchmarks" / "labels" / "entities_sample.csv"
# A second validation draw (60 more items, none of the first sample's), labelled by the same rule: the first
# validation half was used up tuning the aliases, so the wider company source was judged on this one too.
MORE_LABELS = ROOT / "benchmarks" / "labels" / "entities_dev2.csv"
OUT = ROOT / "benchmarks" / "results" / "entities.json"
TARGETS = {"precision": 0.90, "recall": 0.80}


def load_items(split: str, feeds: Path = FEEDS) -> list[tuple[str, str, set[str]]]:
    """(id, the text the scorer reads, gold company keys) for the labelled items of ``split``."""
    texts: dict[tuple[str, str], str] = {}
    rows = []
    for labels in (LABELS, MORE_LABELS):
        with labels.open(newline="") as f:
            rows += [r for r in csv.DictReader(f) if split in ("all", r["split"])]
    for name in sorted({r["feed_file"] for r in rows}):
        for item in parse_feed((feeds / name).read_bytes(), f"file://{name}"):
            texts.setdefault((name, item.guid), article_text(item.title, item.summary))
    missing = [r["n"] for r in rows if (r["feed_file"], r["guid"]) not in texts]
    if missing:
        raise SystemExit(f"{len(missing)} labelled items are not in {feeds} (rows n={', '.join(missing[:5])}...)")
    return [
        (f"{r['feed_file']}#{r['n']}", texts[(r["feed_file"], r["guid"])], {canonical_company(t) for t in r["gold_tickers"].split()})
        for r in rows
    ]


def score(items: list[tuple[str, str, set[str]]], tag) -> dict:
    tp = fp = fn = 0
    errors = []
    for item_id, text, gold in items:
        predicted = {canonical_company(c) for c in tag(text)}
        tp += len(predicted & gold)
        fp += len(predicted - gold)
        fn += len(gold - predicted)
        if predicted != gold:
            errors.append({"id": item_id, "false_positives": sorted(predicted - gold), "missed": sorted(gold - predicted)})
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "true_positives": tp,
        "false_positives": fp,
        "missed": fn,
        "items_with_a_company": sum(1 for _, text, _ in items if tag(text)),
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["validation", "test", "all"], default="test")
    parser.add_argument("--show", action="store_true", help="print each item the gazetteer tagger gets wrong")
    args = parser.parse_args()

    started = time.perf_counter()
    gazetteer()
    build_s = time.perf_counter() - started
    items = load_items(args.split)
    directory, old_directory = CompanyDirectory(), hand.CompanyDirectory()
    old_pattern = old_directory.pattern()
    taggers = {
        "gazetteer": lambda text: find_companies(text, directory),
        "hand_list_baseline": lambda text: hand.find_companies(text, old_directory, old_pattern),
    }
    results = {name: score(items, tag) for name, tag in taggers.items()}
    texts = [text for _, text, _ in items] * 20
    started = time.perf_counter()
    for text in texts:
        find_companies(text, directory)
    per_item_us = (time.perf_counter() - started) / len(texts) * 1e6

    report = {
        "split": args.split,
        "items": len(items),
        "gold_mentions": sum(len(gold) for _, _, gold in items),
        "items_with_gold_company": sum(1 for _, _, gold in items if gold),
        "targets": TARGETS,
        "meets_targets": all(results["gazetteer"][k] >= v for k, v in TARGETS.items()),
        **results,
        "speed": {"gazetteer_build_s": round(build_s, 3), "tag_per_item_us": round(per_item_us, 1)},
        "gazetteer_size": {"names": len(gazetteer().names), "companies": len(gazetteer().keys)},
        "labels": [str(p.relative_to(ROOT)) for p in (LABELS, MORE_LABELS)],
        "python": platform.python_version(),
    }
    if args.split == "test":  # the tuning half too, for context (the targets are judged on the test half)
        tuning = load_items("validation")
        report["validation_half"] = {
            name: {k: v for k, v in score(tuning, tag).items() if k in ("precision", "recall", "f1")} for name, tag in taggers.items()
        }
        OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"company tagging ({args.split} split): {len(items)} items, {report['gold_mentions']} gold mentions")
    print(f"{'tagger':<22}{'precision':>10}{'recall':>10}{'F1':>10}{'TP':>6}{'FP':>6}{'FN':>6}")
    for name, r in results.items():
        print(
            f"{name:<22}{r['precision']:>10}{r['recall']:>10}{r['f1']:>10}{r['true_positives']:>6}{r['false_positives']:>6}{r['missed']:>6}"
        )
    print(f"targets precision >= {TARGETS['precision']}, recall >= {TARGETS['recall']}: {'met' if report['meets_targets'] else 'NOT met'}")
    print(f"gazetteer built in {build_s:.3f}s, {per_item_us:.0f} us per item")
    if args.show:
        text_of = {item_id: text for item_id, text, _ in items}
        for e in results["gazetteer"]["errors"]:
            print(f"- {e['id']}: FP {e['false_positives']} missed {e['missed']}\n    {text_of[e['id']][:200]}")


if __name__ == "__main__":
    main()
