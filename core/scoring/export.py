"""Writing scored rows: Excel-safe CSV, Parquet, and the error report of unparseable rows.

Every CSV here is written by ``core.downloads`` (the one formula-safe writer): text cells that a
spreadsheet could run as a formula get a leading single quote, line breaks inside a cell are quoted,
numbers written by Beacon (confidences, probabilities) are left alone. Parquet is typed, so nothing
is neutralised there.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.downloads import FORMULA_PREFIXES, SafeCsvWriter, excel_safe, excel_safe_frame, safe_csv_row, safe_csv_text  # noqa: F401
from core.scoring.reading import BadRow

ERROR_COLUMNS = ["line", "problem", "content"]
FORMATS = ("csv", "parquet")


def csv_text(frame: pd.DataFrame, header: bool) -> str:
    return safe_csv_text(frame, header=header)


def arrow_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


class CsvSink:
    """Appends scored chunks to one CSV file (UTF-8, Excel-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = path.open("w", encoding="utf-8", newline="")
        self._header = True

    def write(self, frame: pd.DataFrame, schema: pa.Schema) -> None:
        self._fh.write(csv_text(frame, self._header))
        self._header = False

    def close(self, schema: pa.Schema | None = None) -> None:
        if self._header and schema is not None:
            self._fh.write(safe_csv_row(schema.names))
        self._fh.close()


class ParquetSink:
    """Appends scored chunks to one Parquet file (one row group per chunk)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame, schema: pa.Schema) -> None:
        if self._writer is None:
            self._writer = pq.ParquetWriter(str(self.path), schema)
        self._writer.write_table(arrow_table(frame, schema))

    def close(self, schema: pa.Schema | None = None) -> None:
        if self._writer is None and schema is not None:
            self._writer = pq.ParquetWriter(str(self.path), schema)
        if self._writer is not None:
            self._writer.close()


def make_sink(path: Path, fmt: str) -> CsvSink | ParquetSink:
    if fmt not in FORMATS:
        raise ValueError(f"unknown output format {fmt!r}; use csv or parquet")
    return CsvSink(path) if fmt == "csv" else ParquetSink(path)


class ErrorWriter:
    """The error report: one CSV row per record that could not be parsed (created on first use). ``with_file``: a
    first column names the file each row comes from (a report over several input files)."""

    def __init__(self, path: Path, with_file: bool = False) -> None:
        self.path = path
        self.count = 0
        self.with_file = with_file
        self._fh: io.TextIOBase | None = None
        self._writer: SafeCsvWriter | None = None

    def write(self, rows: Iterable[BadRow], file: str = "") -> None:
        for row in rows:
            if self._writer is None:
                self._fh = self.path.open("w", encoding="utf-8", newline="")
                self._writer = SafeCsvWriter(self._fh)
                self._writer.writerow(["file", *ERROR_COLUMNS] if self.with_file else ERROR_COLUMNS)
            self._writer.writerow([file, row.line, row.problem, row.raw] if self.with_file else [row.line, row.problem, row.raw])
            self.count += 1

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def write_error_rows(path: Path, rows: list[BadRow]) -> None:
    """One chunk's bad rows as a small CSV (no header), written atomically."""
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        SafeCsvWriter(fh).writerows([row.line, row.problem, row.raw] for row in rows)
    tmp.replace(path)


def concat_files(paths: Iterable[Path], header: list[str]) -> Iterator[bytes]:
    yield safe_csv_row(header).encode()
    for path in paths:
        yield path.read_bytes()
