"""Reading a CSV to score: Beacon's reader (stray quotes cost one line) against Python's plain csv.reader, same file.

    .venv/bin/python benchmarks/reading.py [--rows 300000] [--repeats 5]

Since stop 46 ``core.scoring.reading`` hands the csv module its lines through ``_LineSource``, which keeps the lines
of the record being read so that a stray quote, which would otherwise swallow every line after it, costs its own
line only. That costs time on every line. This writes a CSV of ``--rows`` rows (id, a news-like text with commas
and quoted values, a label) and times, alternating so a busy machine slows all alike:

- ``plain csv.reader``: the lower bound (records counted, nothing checked);
- ``count_records``: what the Batch scoring page runs on an upload to say how many rows it has;
- ``iter_chunks``: every row read, checked against the header and split into chunks (what a run reads).

It also reads a file of plain texts (nothing quoted) with one stray quote on line 10 both ways and records how many
rows each gets.
Needs no data and no model. Writes benchmarks/results/reading.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.scoring.reading import count_records, inspect_input, iter_chunks  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "reading.json"
LABELS = ("negative", "neutral", "positive")


def write_file(path: Path, rows: int, stray_quote_line: int | None = None) -> None:
    """Rows with commas and quotes in the text; with ``stray_quote_line``, plain texts (nothing quoted, as many exports
    write) and one quote at the start of that line."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "text", "label"])
        for i in range(rows):
            text = f'Shares of Company {i % 977} rose {i % 13}.{i % 10}%, its CEO said "a strong quarter", analysts, {i}'
            if stray_quote_line:
                text = text.replace(",", "").replace('"', "")
            writer.writerow([i, text, LABELS[i % 3]])
    if stray_quote_line:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[stray_quote_line - 1] = '"' + lines[stray_quote_line - 1]
        path.write_text("".join(lines), encoding="utf-8")


def plain_rows(path: Path) -> int:
    """Rows of the header's width that Python's csv.reader yields (after an unreadable record it stops)."""
    rows = 0
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        width = len(next(reader))
        try:
            for fields in reader:
                rows += len(fields) == width
        except csv.Error:
            pass
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="beacon_reading_"))
    path, stray = folder / "rows.csv", folder / "stray.csv"
    write_file(path, args.rows)
    write_file(stray, args.rows, stray_quote_line=10)
    spec = inspect_input(path)
    ways = {
        "plain csv.reader": lambda: plain_rows(path),
        "count_records": lambda: count_records(spec),
        "iter_chunks": lambda: sum(len(c.rows) for c in iter_chunks(spec, 4096)),
    }
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {way: [] for way in ways}
    counts = {}
    for _ in range(args.repeats):
        for way, read in ways.items():
            start = time.perf_counter()
            counts[way] = read()
            times[way].append(round(time.perf_counter() - start, 3))
    best = {way: min(values) for way, values in times.items()}
    stray_spec = inspect_input(stray)
    good = sum(len(c.rows) for c in iter_chunks(stray_spec, 4096))
    bad = [b.line for c in iter_chunks(stray_spec, 4096) for b in c.bad]
    result = {
        "host": platform.node(), "cpu_count": os.cpu_count(), "python": platform.python_version(),
        "rows": args.rows, "megabytes": round(path.stat().st_size / 1e6, 1), "repeats": args.repeats,
        "seconds": times, "best_seconds": best, "rows_counted": counts,
        "rows_per_s": {way: round(args.rows / s) for way, s in best.items()},
        "over_plain": {way: round(s / best["plain csv.reader"], 2) for way, s in best.items()},
        "stray_quote_on_line_10": {
            "plain csv.reader rows": plain_rows(stray),
            "beacon rows": good, "beacon lines reported": bad,
        },
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
    }  # fmt: skip
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.rows:,} rows, {result['megabytes']} MB, best of {args.repeats}")
    print(f"{'way':<20}{'seconds':>9}{'rows/s':>12}{'× plain':>9}")
    for way in ways:
        print(f"{way:<20}{best[way]:>9.3f}{result['rows_per_s'][way]:>12,}{result['over_plain'][way]:>9.2f}")
    s = result["stray_quote_on_line_10"]
    print(f"stray quote on line 10: plain reader keeps {s['plain csv.reader rows']:,} rows, Beacon {good:,} "
          f"(reports line {', '.join(map(str, bad))})")  # fmt: skip
    print(f"-> {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
