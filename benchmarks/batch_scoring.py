"""Batch scoring throughput and memory: core's streaming engine against a plain Hugging Face
``pipeline("text-classification")`` loop, on the same rows, model and CPU, in the same run.

    .venv/bin/python benchmarks/batch_scoring.py [--rows 100000] [--pipeline-rows 10000] [--million-seconds 120]

What it does (every measurement runs in its own subprocess, whose peak resident memory is read
with ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at its end):
1. builds a CSV of ``--rows`` rows (id, text, source) from the texts of ../shared/data
   (Financial PhraseBank and twitter_fin_sentiment, repeated to size) in a temporary folder;
2. core: ``core.scoring.batch.score_file`` (streaming read, chunks, length-sorted batches,
   bf16 where the CPU has native bf16, CSV written chunk by chunk) on all rows;
3. baseline: the shipped model in fp32 in ``pipeline("text-classification")``, called on the
   rows one list at a time the way a plain loop does (batch size 1); timed on the first
   ``--pipeline-rows`` rows to save time (rows/s does not depend on the row count);
4. label agreement between the two on the rows both scored;
5. memory for a 1,000,000-row file, twice: (a) real texts through the full engine, stopped
   after ``--million-seconds`` of scoring (the whole file is still parsed once by the row
   count; scoring memory is per chunk, so it plateaus after the first chunks); (b) the cheap
   path: 1,000,000 rows with empty texts streamed through the same engine end to end (read,
   status ``empty``, written), so the reading and writing of every row is covered.
Writes benchmarks/results/batch_scoring.json. Nothing is copied into the repository.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHARED = ROOT.parent / "shared" / "data"
SOURCES = [
    ("financial_phrasebank", SHARED / "financial_phrasebank" / "50agree.csv"),
    ("twitter_fin_sentiment", SHARED / "twitter_fin_sentiment" / "train.csv"),
]
MODEL_DIR = ROOT / "shipped_models" / "sentiment"
RESULTS = ROOT / "benchmarks" / "results" / "batch_scoring.json"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def source_texts() -> list[tuple[str, str]]:
    texts = []
    for name, path in SOURCES:
        with path.open(newline="", encoding="utf-8") as fh:
            texts.extend((name, row["text"]) for row in csv.DictReader(fh) if row["text"].strip())
    return texts


def build_csv(path: Path, rows: int, empty: bool = False, first_id: int = 0) -> None:
    texts = source_texts()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "source"])
        for i in range(first_id, first_id + rows):
            source, text = texts[i % len(texts)]
            writer.writerow([i, "" if empty else text, source])


def load_classifier(precision: str):  # noqa: ANN201 - TextClassifier
    from core.nlp.classifier import TextClassifier
    from core.nlp.store import load_model

    model, files = load_model(MODEL_DIR)
    return TextClassifier(model, files.labels, max_length=files.max_length, device="cpu", precision=precision, task="sentiment")


# ---------------------------------------------------------------- workers (run in subprocesses)


def worker_core(args: argparse.Namespace) -> dict:
    from core.scoring.batch import score_file
    from core.scoring.engine import TaskModel

    classifier = load_classifier(args.precision)
    classifier.predict(["warm up the kernels"] * 64)
    models = [TaskModel("sentiment", 0, classifier)]
    stop_at = time.perf_counter() + args.max_seconds if args.max_seconds else None
    done = {"records": 0}

    def progress(records: int, total: int | None) -> None:
        done["records"] = records
        if stop_at and time.perf_counter() > stop_at:
            raise TimeoutError  # memory has been measured long enough; stop scoring

    start = time.perf_counter()
    stopped_early = False
    try:
        result = score_file(Path(args.input), Path(args.output), ["sentiment"], "text", models=models, progress=progress)
        rows, seconds = result.rows, result.seconds
    except TimeoutError:
        stopped_early = True
        rows, seconds = done["records"], time.perf_counter() - start
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds, 1) if seconds else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "precision": str(classifier.dtype).replace("torch.", ""),
        "batch_size": classifier.batch_size,
        "stopped_early": stopped_early,
    }


def worker_pipeline(args: argparse.Namespace) -> dict:
    import torch
    from transformers import pipeline

    from core.nlp.base_model import load_tokenizer
    from core.nlp.device import use_all_cpu_cores
    from core.nlp.store import load_model

    use_all_cpu_cores()
    model, files = load_model(MODEL_DIR)
    pipe = pipeline("text-classification", model=model.to(torch.float32), tokenizer=load_tokenizer(), device=-1)
    with open(args.input, newline="", encoding="utf-8") as fh:
        texts = [row["text"] for _, row in zip(range(args.limit), csv.DictReader(fh))]
    pipe(texts[:16], truncation=True, max_length=files.max_length)
    start = time.perf_counter()
    labels = [r["label"] for r in pipe(texts, truncation=True, max_length=files.max_length)]
    seconds = time.perf_counter() - start
    Path(args.output).write_text("\n".join(labels))
    return {
        "rows": len(texts),
        "seconds": round(seconds, 2),
        "rows_per_s": round(len(texts) / seconds, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "precision": "float32",
        "batch_size": 1,
    }


def run_worker(kind: str, *extra: str) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, *extra]
    load_before = os.getloadavg()[0]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"error: the {kind} worker failed:\n{done.stderr[-3000:]}")
    # The machine may be shared: the 1-minute load average before and after says how busy it was.
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "load_avg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def agreement(core_csv: Path, pipeline_labels: Path) -> dict:
    theirs = pipeline_labels.read_text().splitlines()
    with core_csv.open(newline="", encoding="utf-8") as fh:
        ours = [row["label"] for _, row in zip(range(len(theirs)), csv.DictReader(fh))]
    same = sum(a == b for a, b in zip(ours, theirs))
    return {"rows": len(theirs), "agreement": round(same / len(theirs), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pipeline-rows", type=int, default=10_000)
    parser.add_argument("--million-rows", type=int, default=1_000_000)
    parser.add_argument("--million-seconds", type=float, default=120.0, help="scoring time for the real-text 1M-row run")
    parser.add_argument("--skip-million", action="store_true")
    parser.add_argument("--worker", choices=["core", "pipeline"], help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--max-seconds", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker_core(args) if args.worker == "core" else worker_pipeline(args)))
        return
    missing = [str(p) for _, p in SOURCES if not p.exists()]
    if missing:
        sys.exit(f"error: {', '.join(missing)} not found; the benchmark needs ../shared/data next to the repository")

    from core.nlp.device import machine

    results: dict = {
        "model": str(MODEL_DIR.relative_to(ROOT)),
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(), "cpu_bf16": machine().cpu_bf16},
        "data": [name for name, _ in SOURCES],
    }
    with tempfile.TemporaryDirectory(prefix="beacon-bench-") as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "rows.csv"
        build_csv(data, args.rows)
        print(f"built {args.rows:,} rows ({data.stat().st_size / 1e6:.1f} MB); scoring with core…", flush=True)
        core = run_worker("core", "--input", str(data), "--output", str(tmp_path / "core.csv"))
        print(f"core: {core['rows_per_s']} rows/s; pipeline on {args.pipeline_rows:,} rows…", flush=True)
        pipe = run_worker(
            "pipeline", "--input", str(data), "--output", str(tmp_path / "pipe.txt"), "--limit", str(args.pipeline_rows)
        )
        agree = agreement(tmp_path / "core.csv", tmp_path / "pipe.txt")
        results["cpu"] = {
            "rows": args.rows,
            "core": core,
            "pipeline": {**pipe, "note": f"timed on the first {pipe['rows']:,} rows of the same file"},
            "speedup": round(core["rows_per_s"] / pipe["rows_per_s"], 2),
            "label_agreement": agree,
        }
        (tmp_path / "core.csv").unlink()
        if not args.skip_million:
            million = tmp_path / "million.csv"
            build_csv(million, args.million_rows)
            print(f"1M rows, real texts, {args.million_seconds:.0f}s of scoring…", flush=True)
            real = run_worker(
                "core", "--input", str(million), "--output", str(tmp_path / "m.csv"), "--max-seconds", str(args.million_seconds)
            )
            build_csv(million, args.million_rows, empty=True)
            print("1M rows, empty texts, end to end…", flush=True)
            empty = run_worker("core", "--input", str(million), "--output", str(tmp_path / "m.csv"))
            results["million_rows_memory"] = {
                "rows_in_file": args.million_rows,
                "real_texts_stopped_after_seconds": {
                    **real,
                    "note": "whole file parsed once (row count), then scored until the time limit; memory is per chunk",
                },
                "empty_texts_end_to_end": {**empty, "note": "cheap path: every row read, marked empty and written; no inference"},
                "peak_rss_mb": max(real["peak_rss_mb"], empty["peak_rss_mb"]),
            }
    RESULTS.write_text(json.dumps(results, indent=2))
    c = results["cpu"]
    print(f"\n{'measure':<44}{'core':>12}{'pipeline':>12}")
    print(f"{'rows/s (CPU)':<44}{c['core']['rows_per_s']:>12}{c['pipeline']['rows_per_s']:>12}")
    print(f"{'peak memory MB':<44}{c['core']['peak_rss_mb']:>12}{c['pipeline']['peak_rss_mb']:>12}")
    print(f"{'precision':<44}{c['core']['precision']:>12}{c['pipeline']['precision']:>12}")
    print(f"{'rows timed':<44}{c['core']['rows']:>12}{c['pipeline']['rows']:>12}")
    print(f"{'speedup (x)':<44}{c['speedup']:>12}")
    print(f"{'label agreement':<44}{c['label_agreement']['agreement']:>12}")
    if "million_rows_memory" in results:
        m = results["million_rows_memory"]
        print(f"{'1M rows peak memory MB (real, time-limited)':<44}{m['real_texts_stopped_after_seconds']['peak_rss_mb']:>12}")
        print(f"{'1M rows peak memory MB (empty, end to end)':<44}{m['empty_texts_end_to_end']['peak_rss_mb']:>12}")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
