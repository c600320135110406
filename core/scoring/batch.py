"""File to file scoring for the command line and the benchmark: streaming, one pass for all tasks."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from core.scoring.agreement import LabelAgreement, LabelTally
from core.scoring.engine import ScoredChunk, TaskModel, load_task_models, make_layout, merge_counts, score_chunks
from core.scoring.export import ErrorWriter, make_sink
from core.scoring.reading import InputFileError, count_records, inspect_input, no_column, preview, require_data_rows
from core.wording import clock_duration

ProgressFn = Callable[[int, int | None], None]  # (records done, total records or None)


@dataclass
class FileResult:
    output: Path
    records: int = 0  # records read (good and bad)
    rows_ok: int = 0
    rows_empty: int = 0
    rows_bad: int = 0
    error_report: Path | None = None
    first_bad_lines: list[int] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    agreements: list[LabelAgreement] = field(default_factory=list)  # with a column of the input holding a task's classes

    @property
    def rows(self) -> int:
        return self.rows_ok + self.rows_empty

    def add(self, chunk: ScoredChunk) -> None:
        """Count a scored chunk in: its rows, the first bad lines (up to ten) and the labels given."""
        self.records = chunk.records_done
        self.rows_ok += chunk.ok
        self.rows_empty += chunk.empty
        self.rows_bad += len(chunk.bad)
        self.first_bad_lines.extend(b.line for b in chunk.bad[: max(0, 10 - len(self.first_bad_lines))])
        self.counts = merge_counts(self.counts, chunk.counts)


def output_format(output: Path, fmt: str | None) -> str:
    if fmt:
        return fmt
    return "parquet" if output.suffix.lower() in (".parquet", ".pq") else "csv"


def error_report_path(output: Path) -> Path:
    return output.with_name(output.name + ".errors.csv")


def score_file(
    input_path: Path,
    output_path: Path,
    tasks: Sequence[str],
    text_column: str,
    *,
    mask_pii: bool = False,
    fmt: str | None = None,
    encoding: str = "utf-8",
    progress: ProgressFn | None = None,
    models: list[TaskModel] | None = None,
    versions: dict[str, int] | None = None,
    chunk_rows: int | None = None,
    batch_size: int | None = None,
) -> FileResult:
    """Score ``input_path`` into ``output_path`` chunk by chunk. The output appears only when the
    whole file was scored (it is written to ``<output>.partial`` first); rows that could not be
    parsed go to ``<output>.errors.csv`` with their line numbers. ``versions``: a version other than the active
    one for some tasks."""
    name = str(input_path)
    spec = inspect_input(input_path, encoding, name=name)
    if text_column not in spec.columns:
        raise InputFileError(f"{name}: {no_column(text_column, spec.columns)}")
    require_data_rows(spec, *preview(spec, 1, name=name), name)
    models = models or load_task_models(tasks, versions)
    fmt = output_format(output_path, fmt)
    layout = make_layout(spec.columns, models)
    versions = {m.task: m.version for m in models}
    schema, tally = layout.schema(), LabelTally(layout, text_column, versions)
    total = count_records(spec, name) if progress else None
    result = FileResult(output_path, versions=versions)
    partial = output_path.with_name(output_path.name + ".partial")
    errors_partial = output_path.with_name(output_path.name + ".errors.partial")
    sink = make_sink(partial, fmt)
    errors = ErrorWriter(errors_partial)
    started = time.perf_counter()
    try:
        if progress:
            progress(0, total)
        for chunk in score_chunks(
            spec, text_column, models, mask_pii=mask_pii, chunk_rows=chunk_rows, batch_size=batch_size, name=name
        ):
            sink.write(chunk.frame, schema)
            errors.write(chunk.bad)
            tally.add(chunk.frame)
            result.add(chunk)
            if progress:
                progress(result.records, total)
        sink.close(schema)
        errors.close()
    except BaseException:
        sink.close()
        errors.close()
        partial.unlink(missing_ok=True)
        errors_partial.unlink(missing_ok=True)
        raise
    result.seconds = time.perf_counter() - started
    result.agreements = tally.agreements()
    partial.replace(output_path)
    old_report = error_report_path(output_path)
    old_report.unlink(missing_ok=True)
    if errors.count:
        errors_partial.replace(old_report)
        result.error_report = old_report
    return result


class TerminalProgress:
    """A progress bar on stderr: rows done, rows per second and time left. Redrawn in place on a
    terminal; one line every few seconds otherwise (logs)."""

    def __init__(self, label: str = "scoring", stream: TextIO | None = None, every_s: float = 5.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every_s = every_s
        self.started = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.perf_counter()
        finished = total is not None and done >= total
        if not self.tty and not finished and now - self._last < self.every_s:
            return
        self._last = now
        end = "\n" if finished or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + self.line(done, total, now - self.started) + end)
        self.stream.flush()

    def line(self, done: int, total: int | None, elapsed: float) -> str:
        width = 30
        rate = done / elapsed if elapsed > 0 and done else 0.0
        if total:
            filled = int(width * min(done, total) / total)
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} rows"
        else:
            bar = f"{done:,} rows"
        left = f", {clock_duration((total - done) / rate)} left" if total and rate and done < total else ""
        return f"{self.label} {bar}, {rate:,.0f} rows/s{left}"
