"""Batch scoring at scale: the Ray engine (Ray Data, an actor pool of scorers on a local Ray with 2 CPU workers)
against the local engine, on the same file, model and machine, in the same run.

    .venv/bin/python benchmarks/scale_scoring.py [--rows 1000000] [--workers 2] [--segments 10] [--local-every 1]

1. builds a CSV of ``--rows`` rows (id, text, source) from the texts of ../shared/data (Financial PhraseBank and
   twitter_fin_sentiment, repeated to size) in a temporary folder, with a temporary database holding the shipped
   sentiment model as the active version (``core.nlp.defaults.install_default_models``);
2. local engine: ``core.scoring.batch.score_file`` on all rows (model loaded first, as a run does);
3. Ray engine: ``core.scoring.ray_engine.score_with_ray`` on a local Ray with ``--workers`` CPUs, one actor each;
   timed for the whole job (actor start and model loading included) and in steady state (from the first finished
   part to the last, the rate a long job runs at);
4. label agreement row by row (joined on id), rows/s per worker, and a projection of cluster throughput.
With ``--segments N`` the rows are split into N files scored alternately (local then Ray, Ray then local, ...) and the
totals summed, so a change in the machine's load during a long run falls on both engines alike; Ray is started once
and each segment is a whole Ray job (its actors start and load the model again), so per-job overhead is counted N times.
With ``--local-every K`` the local engine scores only every K-th segment (its rows/s and the label agreement come
from that sample; the Ray engine still scores every row), as the crawl benchmark compares with a sequential sample.
Writes benchmarks/results/scale_scoring.json with the load average (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Ray starts its workers at nice 15 (its default `worker_niceness`): on a shared machine they would get a smaller
# share of the CPU than the local engine's process at nice 0 and the ratio would measure the scheduler, not Ray.
os.environ.setdefault("RAY_worker_niceness", "0")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.batch_scoring import SHARED, SOURCES, build_csv  # noqa: E402 - the same texts and file as the local benchmark

RESULTS = ROOT / "benchmarks" / "results" / "scale_scoring.json"
PROJECTED_WORKERS = (2, 8, 16, 32, 64, 128)


def run_local(src: Path, out: Path) -> dict:
    from core.nlp.registry import active_classifier
    from core.scoring.batch import score_file

    started = time.perf_counter()
    active_classifier("sentiment").predict(["warm up the kernels"] * 64)
    load_s = time.perf_counter() - started
    result = score_file(src, out, ["sentiment"], "text")
    return {"rows": result.rows, "seconds": round(result.seconds, 2), "model_load_s": round(load_s, 2),
            "rows_per_s": round(result.rows / result.seconds, 1), "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip


def run_ray(src: Path, out: Path, workers: int) -> dict:
    from core.scoring.ray_engine import score_with_ray

    marks: list[tuple[float, int]] = []
    started = time.perf_counter()
    summary = score_with_ray(str(src), out, ["sentiment"], "text", progress=lambda done, total: marks.append((time.perf_counter(), done)))
    wall = time.perf_counter() - started
    first = next((t, done) for t, done in marks if done > 0)
    steady_s = marks[-1][0] - first[0]
    steady = (summary.rows - first[1]) / steady_s if steady_s > 0 and summary.rows > first[1] else None
    return {"rows": summary.rows, "workers": summary.workers, "worker_resource": summary.worker_resource, "parts": summary.parts,
            "seconds": round(wall, 2), "rows_per_s": round(summary.rows / wall, 1), "first_part_after_s": round(first[0] - started, 2),
            "steady_rows_per_s": round(steady, 1) if steady else None, "load_avg_1m": round(os.getloadavg()[0], 2)}  # fmt: skip


def _total(runs) -> dict:  # noqa: ANN001 - the per-segment results of one engine
    runs = list(runs)
    rows, seconds = sum(r["rows"] for r in runs), sum(r["seconds"] for r in runs)
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds, 1),
            "load_avg_1m": [r["load_avg_1m"] for r in runs]}  # fmt: skip


def _per_worker_basis(ray_result: dict, segments: int) -> str:
    if ray_result["steady_rows_per_s"]:
        return "steady"
    if segments > 1:  # each segment's steady rate is in its own entry; the total keeps every start-up in
        return f"whole job: all {segments} segments, each starting its actors and loading the model again"
    return "whole job (actor start and model load included; too few parts for a steady rate)"


def agreement(local_out: Path, ray_out: Path) -> dict:
    import pyarrow.parquet as pq

    local = pq.read_table(local_out, columns=["id", "label"]).to_pandas().set_index("id")
    remote = pq.read_table(ray_out, columns=["id", "label"]).to_pandas().set_index("id")
    joined = local.join(remote, rsuffix="_ray", how="inner")
    same = int((joined["label"] == joined["label_ray"]).sum())
    return {"rows_compared": len(joined), "identical_labels": same, "identical_share": round(same / len(joined), 5)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--segments", type=int, default=10, help="files scored alternately by the two engines")
    parser.add_argument("--local-every", type=int, default=1, help="the local engine scores every K-th segment (a sample)")
    args = parser.parse_args()
    if not all(p.exists() for _, p in SOURCES):
        sys.exit(f"needs {SHARED} (financial_phrasebank, twitter_fin_sentiment)")
    with tempfile.TemporaryDirectory(prefix="beacon-scale-") as tmp:
        folder = Path(tmp)
        os.environ["BEACON_DATA_DIR"] = str(folder)
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'beacon.db'}"
        from core.auth.roles import Actor, acting_as
        from core.nlp.defaults import install_default_models
        from core.storage import upgrade_database

        upgrade_database()
        with acting_as(Actor("benchmark", "admin")):
            install_default_models()
        load_before = [round(x, 2) for x in os.getloadavg()]
        import ray

        ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
        segments, agreements = [], []
        for n in range(args.segments):
            src = folder / f"rows-{n}.csv"
            build_csv(src, args.rows // args.segments, first_id=n * (args.rows // args.segments))
            order = (("local", "ray") if n % 2 == 0 else ("ray", "local")) if n % args.local_every == 0 else ("ray",)
            done = {}
            for engine in order:
                if engine == "local":
                    done["local"] = run_local(src, folder / f"local-{n}.parquet")
                else:
                    done["ray"] = run_ray(src, folder / f"ray-{n}", args.workers)
            if "local" in done:
                agreements.append(agreement(folder / f"local-{n}.parquet", folder / f"ray-{n}"))
                (folder / f"local-{n}.parquet").unlink()
            segments.append({"segment": n, "order": list(order), **done})
            local_rate = done["local"]["rows_per_s"] if "local" in done else "-"
            print(f"segment {n + 1}/{args.segments}: local {local_rate} rows/s, ray {done['ray']['rows_per_s']} rows/s", flush=True)
            src.unlink()
            shutil.rmtree(folder / f"ray-{n}")
        ray.shutdown()
    local = {**_total(s["local"] for s in segments if "local" in s), "segments": sum("local" in s for s in segments)}
    ray_result = {**_total(s["ray"] for s in segments), "workers": segments[0]["ray"]["workers"],
                  "worker_resource": segments[0]["ray"]["worker_resource"], "parts": sum(s["ray"]["parts"] for s in segments),
                  "steady_rows_per_s": None}  # fmt: skip
    compared = sum(a["rows_compared"] for a in agreements)
    same_rows = sum(a["identical_labels"] for a in agreements)
    same = {"rows_compared": compared, "identical_labels": same_rows, "identical_share": round(same_rows / compared, 5)}
    per_worker = (ray_result["steady_rows_per_s"] or ray_result["rows_per_s"]) / ray_result["workers"]
    result = {
        "rows_run": args.rows,
        "note": (f"run at {args.rows:,} rows (the target is 1,000,000; --rows sets it)" if args.rows != 1_000_000 else "1,000,000 rows")
        + f"; Ray scored every row in {args.segments} segments, the local engine {local['rows']:,} (every {args.local_every}. segment)",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "load_avg_before": load_before,
        "segments": segments,
        "local": local,
        "ray": ray_result,
        "ratio_ray_to_local": round(ray_result["rows_per_s"] / local["rows_per_s"], 3),
        "ratio_ray_to_local_steady": round(ray_result["steady_rows_per_s"] / local["rows_per_s"], 3)
        if ray_result["steady_rows_per_s"]
        else None,
        "per_worker_basis": _per_worker_basis(ray_result, args.segments),
        "labels": same,
        "rows_per_s_per_worker": round(per_worker, 1),
        "projected_rows_per_s": {str(n): round(per_worker * n) for n in PROJECTED_WORKERS},
        "projection_note": "projected, not measured: rows/s per CPU worker here (per_worker_basis) times the workers, "
        "assuming the same CPUs, "
        "no other load and shared storage that keeps up; GPU workers are not measured here",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'engine':<8}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'steady rows/s':>15}")
    print(f"{'local':<8}{local['rows']:>10,}{local['seconds']:>10}{local['rows_per_s']:>10}{'':>15}")
    print(
        f"{'ray':<8}{ray_result['rows']:>10,}{ray_result['seconds']:>10}{ray_result['rows_per_s']:>10}{ray_result['steady_rows_per_s']!s:>15}"
    )
    print(f"ray/local {result['ratio_ray_to_local']} (steady {result['ratio_ray_to_local_steady']}), identical labels "
          f"{same['identical_share']:.2%}, {per_worker:.0f} rows/s per worker -> {RESULTS}")  # fmt: skip


if __name__ == "__main__":
    main()
