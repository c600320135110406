"""Streaming input: CSV (plain or gzip) and Excel files read chunk by chunk with bounded memory.

What is detected and how:
- content: images, PDFs, archives, programs and other binary data are refused with one message
  (``core.scoring.content``, the check every upload path uses), also inside a .gz or a ZIP.
- format: ``.xlsx`` (or a ZIP signature) is read with openpyxl in read-only mode; ``.gz`` (or the
  gzip signature) is decompressed on the fly; everything else is CSV text.
- encoding: a byte-order mark decides (UTF-8 BOM, UTF-16 LE/BE), and so does UTF-16 saved without one
  (every other byte NUL, which would otherwise pass as UTF-8 full of NULs); otherwise UTF-8 when the bytes
  decode as UTF-8, else Windows-1252/Latin-1 (``encoding="auto"``), or an error naming the line
  (``encoding="utf-8"``, the command line's default, which never guesses between those).
- delimiter: comma, semicolon, tab or pipe, whichever splits the first records into the most
  consistent number of fields (quotes respected).
- quoted fields may contain delimiters and newlines (Python's csv module).
- a record whose number of fields differs from the header is not scored; it is reported with its
  line number (``BadRow``) so nothing is dropped silently. Empty fields past the header's width (a delimiter
  at the end of each row, as some exports write) are no extra fields.
- a stray quote costs its own line: the lines it would swallow are read again as records (``_LineSource``).
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import difflib
import gzip
import html
import io
import itertools
import re
import shlex
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from core.scoring.content import GZIP, ZIP, check_text, not_text_message, utf16_without_bom
from core.wording import count_of, has_word, loose_key

DELIMITERS = (",", ";", "\t", "|")
WORKBOOK = b"PK\x03\x04"  # the ZIP signature an .xlsx file starts with
EXCEL_MAX_ROWS = 1_048_576  # rows one Excel sheet can hold
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 256 * 1024
MAX_FIELD_CHARS = 1_000_000  # a longer field is almost always an unclosed quote swallowing the file

csv.field_size_limit(MAX_FIELD_CHARS)


class InputFileError(ValueError):
    """The input file cannot be scored as asked; the message names the file, the problem and where."""


@dataclass(frozen=True)
class BadRow:
    line: int  # 1-based physical line where the record starts (the header is line 1)
    problem: str
    raw: str  # the record as read, shortened


@dataclass(frozen=True)
class InputSpec:
    """How to read one file: found by ``inspect_input`` and stored with a run so a resume reads it alike."""

    path: Path
    kind: str  # csv | csv.gz | xlsx
    encoding: str  # the codec used ("" for xlsx)
    delimiter: str  # "" for xlsx
    columns: list[str]
    title_records: int = 0  # rows above the column names (a report's title), skipped
    sheet: str = ""  # the workbook's sheet read (its first: a page moves the sheet picked to the front)

    def describe(self) -> str:
        title = f", {count_of(self.title_records, 'row')} above the column names (a title) skipped" if self.title_records else ""
        return self._format() + title

    def _format(self) -> str:
        if self.kind == "xlsx":
            return f"Excel workbook (sheet {self.sheet!r})" if self.sheet else "Excel workbook (first sheet)"
        enc = {"utf-8-sig": "UTF-8 with BOM", "utf-16": "UTF-16", "utf-16-le": "UTF-16 (little-endian, no BOM)",
               "utf-16-be": "UTF-16 (big-endian, no BOM)", "utf-8": "UTF-8", "cp1252": "Windows-1252 (Latin-1)"}
        return f"{'gzip-compressed ' if self.kind == 'csv.gz' else ''}CSV, {enc.get(self.encoding, self.encoding)}, " + (
            f"{DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))}-separated"
        )

    def as_dict(self) -> dict:
        return {"kind": self.kind, "encoding": self.encoding, "delimiter": self.delimiter, "columns": list(self.columns),
                "title_records": self.title_records, "sheet": self.sheet}  # fmt: skip

    @classmethod
    def from_dict(cls, path: Path, data: dict) -> InputSpec:
        return cls(Path(path), data["kind"], data["encoding"], data["delimiter"], list(data["columns"]), data.get("title_records", 0),
                   data.get("sheet", ""))  # fmt: skip


@dataclass
class Chunk:
    """Consecutive records of the file: the good rows (aligned to the columns) and the bad ones."""

    index: int
    first_record: int  # records consumed before this chunk (resume point)
    records: int = 0  # records consumed by this chunk, good and bad
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)

    def frame(self, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=columns, dtype=object) if self.rows else pd.DataFrame(columns=columns)


def detect_kind(path: Path) -> str:
    with path.open("rb") as fh:
        magic = fh.read(4)
    name = path.name.lower()
    if name.endswith(".xls"):
        raise InputFileError(f"{path.name}: old Excel .xls files are not supported; save it as .xlsx or CSV")
    if name.endswith(".xlsx") or magic.startswith(WORKBOOK):
        return "xlsx"
    if name.endswith(".gz") or magic.startswith(b"\x1f\x8b"):
        return "csv.gz"
    return "csv"


def _open_binary(path: Path, kind: str) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if kind == "csv.gz" else path.open("rb")


def _line_of_byte(data: bytes, offset: int, lines_before: int = 0) -> int:
    return lines_before + data.count(b"\n", 0, offset) + 1


def detect_encoding(sample: bytes, mode: str = "auto", complete: bool = False, name: str = "") -> str:
    """The codec for a file starting with ``sample`` (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if mode not in ("auto", "utf-8"):
        return mode
    if utf16 := utf16_without_bom(sample[:SAMPLE_BYTES]):
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        if mode == "utf-8":
            raise _not_utf8(name, sample, exc.start) from exc
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _not_utf8(name: str, data: bytes, offset: int, lines_before: int = 0, byte_base: int = 0) -> InputFileError:
    return InputFileError(
        f"{name}: not valid UTF-8 (line {_line_of_byte(data, offset, lines_before)}, byte {byte_base + offset}); "
        "save the file as UTF-8 or choose another encoding (command line: --encoding auto or --encoding latin-1)"
    )


def validate_encoding(path: Path, kind: str, encoding: str, name: str) -> None:
    """Decode the whole file once; raise ``InputFileError`` with the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    offset = 0
    with _open_binary(path, kind) as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                if encoding.startswith("utf-8"):
                    raise _not_utf8(name, block, max(exc.start, 0), lines, offset) from exc
                raise InputFileError(f"{name}: cannot be decoded as {encoding} near byte {offset}: {exc.reason}") from exc
            lines += block.count(b"\n")
            offset += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{name}: the file ends in the middle of a {encoding} character") from exc


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon, tab or pipe: the one giving the most consistent field count (>= 2) over the
    first records; comma when every candidate yields a single column."""
    complete = text.rsplit("\n", 1)[0] if "\n" in text else text
    best, best_score = ",", (0.0, 0)
    for delim in DELIMITERS:
        try:
            records = [r for r in csv.reader(io.StringIO(complete), delimiter=delim) if r][:50]
        except csv.Error:
            continue
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        consistency = sum(len(r) == width for r in records) / len(records)
        score = (round(consistency, 3), width)
        if score > best_score:
            best, best_score = delim, score
    return best


def _unique_columns(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(header):
        name = (raw or "").strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        out.append(name)
    return out


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def inspect_input(path: Path, encoding: str = "auto", name: str | None = None, validate: bool = True) -> InputSpec:
    """Find the format, encoding, delimiter and header of a file (reads only the start of the file,
    plus one decoding pass over all of it when ``validate``)."""
    name = name or path.name
    if not path.exists():
        raise InputFileError(f"{name}: file not found")
    if path.stat().st_size == 0:
        raise InputFileError(f"{name}: the file is empty")
    kind = detect_kind(path)
    with path.open("rb") as fh:
        check_text(fh.read(SAMPLE_BYTES), name, allow=(ZIP, GZIP), error=InputFileError)  # unpacked ones are checked below
    if kind == "xlsx":
        _check_workbook(path, name)
        header, titles = _xlsx_header(path, name)
        columns = _named_part(header, itertools.islice(_xlsx_rows(path, name), SAMPLE_RECORDS))
        return InputSpec(path, kind, "", "", _unique_columns(columns), titles, _sheets(path).first)
    try:
        with _open_binary(path, kind) as fh:
            sample = fh.read(SAMPLE_BYTES)
            complete = not fh.read(1)
    except (OSError, EOFError) as exc:
        raise InputFileError(f"{name}: cannot be read as {kind}: {exc}") from exc
    if not sample.strip():
        raise InputFileError(f"{name}: the file is empty")
    check_text(sample, name, error=InputFileError)
    codec = detect_encoding(sample, encoding, complete, name)
    if validate and not complete:
        try:
            validate_encoding(path, kind, codec, name)
        except InputFileError:
            if encoding != "auto" or codec not in ("utf-8", "utf-8-sig"):
                raise
            codec = "cp1252"  # valid UTF-8 at the start only: fall back like a short file would
            try:
                validate_encoding(path, kind, codec, name)
            except InputFileError:
                codec = "latin-1"
    text = sample.decode(codec, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    delimiter = sniff_delimiter(text)
    first = _first_records(csv.reader(io.StringIO(text), delimiter=delimiter))
    titles = title_rows(first)
    if not first or not any(h.strip() for h in first[titles]):
        raise InputFileError(f"{name}: the file has no header row")
    columns = _named_part(first[titles], _sample_records(csv.reader(io.StringIO(text), delimiter=delimiter)))
    return InputSpec(path, kind, codec, delimiter, _unique_columns(columns), titles)


def _named_part(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    """The header without its unnamed last columns that hold no value in ``rows``: a delimiter at the end of the
    header line, or a sheet's formatted but empty columns, make no column to pick from. Streamed files are judged by
    their start; a later row with a value there is then a row with too many fields, reported with its line."""
    width = len(header)
    while width > 1 and not header[width - 1].strip():
        width -= 1
    if width == len(header):
        return header
    for row in rows:
        filled = max((i + 1 for i, value in enumerate(row[: len(header)]) if value.strip()), default=0)
        width = max(width, filled)
    return header[:width]


def _sample_records(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    """The first ``SAMPLE_RECORDS`` records of a sample, up to one that cannot be parsed (a sample may end mid-record)."""
    try:
        yield from itertools.islice(rows, SAMPLE_RECORDS)
    except csv.Error:
        return


def _check_workbook(path: Path, name: str) -> None:
    """A ZIP file that opens but holds no workbook (any other archive) is refused like other non-text files;
    one that does not open is left to openpyxl, whose error names the problem."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return
    if "xl/workbook.xml" not in names:
        raise InputFileError(not_text_message(name, "a ZIP archive (not an Excel workbook)"))


TITLE_SCAN = 10  # records looked at for a title above the column names
SAMPLE_RECORDS = 2000  # records of a streamed file's start looked at for empty unnamed columns


def no_column(column: str, columns: Iterable[str], role: str = "") -> str:
    """"no column named 'Text'; columns are: text, id (did you mean 'text'?)": the message for a column that is not
    in a file, naming the one meant when it differs only in capitals, spaces or a letter or two. ``role``: what the
    column was to hold ("no answer column named …")."""
    columns = [str(c) for c in columns]
    by_key = {loose_key(c): c for c in columns}
    meant = by_key.get(loose_key(str(column))) or next(iter(difflib.get_close_matches(column, columns, 1, 0.8)), None)
    named = f"no {role + ' ' if role else ''}column named {column!r}; columns are: {', '.join(columns)}"
    return named + (f" (did you mean {meant!r}?)" if meant else "")


def kept_input_names(columns: Sequence[str], added: Iterable[str]) -> list[str]:
    """The input's column names as an output file keeps them beside the columns it adds: one named like an added
    column becomes ``input_<name>`` (``input_<name>_2`` … where that is taken too), so neither is overwritten."""
    added = set(added)
    taken = {*columns, *added}
    kept = []
    for column in columns:
        name = column
        if column in added:
            name, n = f"input_{column}", 2
            while name in taken:
                name, n = f"input_{column}_{n}", n + 1
            taken.add(name)
        kept.append(name)
    return kept


def _is_blank(fields: list[str]) -> bool:
    return not any(value.strip() for value in fields)


def _first_records(rows: Iterable[list[str]]) -> list[list[str]]:
    """The first ``TITLE_SCAN`` records that are not blank (a cut-off sample may end in an unreadable one)."""
    found = []
    try:
        for fields in rows:
            if fields and not (len(fields) == 1 and not fields[0].strip()):
                found.append(fields)
                if len(found) == TITLE_SCAN:
                    break
    except csv.Error:
        pass
    return found


def title_rows(records: list[list[str]]) -> int:
    """How many of a file's first records are a title above the column names: a report exported with a title in its
    first cell ("Sales report Q3,,", then maybe an empty row) has records with no value past the first cell before the
    first record with two values or more, the column names. A file whose first record has a value past the first cell
    (",text" as pandas writes an index, or any header of two names), or whose records never have two values (one
    column), has none; nor has one whose first record of two values or more is no row of names (a number in it, or a
    name twice: "Great service,5" under a header that names only its first column, "comment,,")."""
    title = [not any(value.strip() for value in fields[1:]) for fields in records]
    two_values = [sum(1 for value in fields if value.strip()) >= 2 for fields in records]
    if not records or not title[0]:
        return 0
    header = next((i for i, found in enumerate(two_values) if found), 0)
    return header if _names_columns(records[header]) else 0


def _names_columns(fields: list[str]) -> bool:
    """Whether a record reads as column names: each filled cell has a letter in it, and none is there twice."""
    names = [value.strip() for value in fields if value.strip()]
    return len(set(names)) == len(names) and all(map(has_word, names))


def _xlsx_header(path: Path, name: str) -> tuple[list[str], int]:
    """The first sheet's column names as written (blank ones included) and how many title rows are above them."""
    first = [row for row in _first_records(_xlsx_rows(path, name)) if not _is_blank(row)]
    if first:
        titles = title_rows(first)
        return first[titles], titles
    sheets = _sheets(path)
    hint = f"; only the first sheet is read, and {sheets.others[0]!r} has data: move it to the front" if sheets.others else ""
    raise InputFileError(f"{name}: the workbook's first sheet ({sheets.first!r}) is empty{hint}")


@dataclass(frozen=True)
class WorkbookSheets:
    """An .xlsx workbook's first sheet, the sheets that hold data (in the workbook's order) and the largest of them (by
    the range of cells it spans): a cover or notes sheet in front of the data is small."""

    first: str
    with_data: list[str]
    largest: str | None = None
    names: tuple[str, ...] = ()  # every sheet, empty ones too

    def named(self, sheet: str) -> str | None:
        """The sheet with data called ``sheet``, or the one whose name differs only in case ("data" for 'Data')."""
        if sheet in self.with_data:
            return sheet
        same = [name for name in self.with_data if name.casefold() == sheet.strip().casefold()]
        return same[0] if len(same) == 1 else None

    @property
    def others(self) -> list[str]:
        """The sheets after the first that hold data."""
        return [sheet for sheet in self.with_data if sheet != self.first]


def _sheets(source: Path | BinaryIO) -> WorkbookSheets:
    """The sheets of a file that opens as a workbook (openpyxl's error otherwise)."""
    from openpyxl import load_workbook

    book = load_workbook(source, read_only=True, data_only=True)
    try:
        with_data = [sheet for sheet in book.worksheets if _has_data(sheet)]
        largest = max(with_data, key=lambda sheet: (sheet.max_row or 0) * (sheet.max_column or 0), default=None)
        titles = tuple(sheet.title for sheet in book.worksheets)
        return WorkbookSheets(titles[0], [sheet.title for sheet in with_data], largest and largest.title, titles)
    finally:
        book.close()


def _has_data(sheet) -> bool:  # noqa: ANN001 - an openpyxl read-only worksheet
    return any(_cell_text(v).strip() for row in sheet.iter_rows(values_only=True) for v in row)


def workbook_sheets(source: bytes | Path, name: str) -> WorkbookSheets | None:
    """The sheets of an .xlsx workbook, uploaded (bytes) or on disk (a path), known by its name or its first bytes (a
    page offers the ones with data to pick from); None for any other file, or one that cannot be read as a workbook
    (its reader says why)."""
    try:
        with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as handle:  # any file name
            if not (name.lower().endswith(".xlsx") or handle.read(len(WORKBOOK)) == WORKBOOK):
                return None
            return _sheets(handle)
    except Exception:  # noqa: BLE001 - not a workbook (a ZIP of something else), or no file: the reader explains
        return None


_SHEET_LIST = re.compile(rb"(<(?:\w+:)?sheets\b[^>]*>)(.*?)(</(?:\w+:)?sheets>)", re.S)
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?/>|<(?:\w+:)?sheet\b.*?</(?:\w+:)?sheet>", re.S)
_SHEET_NAME = re.compile(rb"""\bname\s*=\s*(["'])(.*?)\1""", re.S)


def with_sheet_first(source: bytes, sheet: str) -> bytes:
    """The .xlsx workbook ``source`` with ``sheet`` moved to the front of its sheet list, which is what every reader
    reads: a team picks the sheet of a workbook instead of re-saving it. Only the list in ``xl/workbook.xml``
    changes; every part is copied as it is."""
    with zipfile.ZipFile(io.BytesIO(source)) as book:
        listing = book.read("xl/workbook.xml")
        found = _SHEET_LIST.search(listing)
        entries = _SHEET.findall(found.group(2)) if found else []
        names = [html.unescape(m.group(2).decode("utf-8")) if (m := _SHEET_NAME.search(e)) else None for e in entries]
        if sheet not in names:
            raise InputFileError(f"the workbook has no sheet {sheet!r}")
        picked = entries[names.index(sheet)]
        rest = _SHEET.sub(lambda m: b"" if m.group(0) == picked else m.group(0), found.group(2), count=0)
        listing = listing[: found.start(2)] + picked + rest + listing[found.end(2) :]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in book.infolist():
                copy.writestr(info, listing if info.filename == "xl/workbook.xml" else book.read(info.filename))
    return out.getvalue()


def unread_sheets_note(source: bytes | Path | WorkbookSheets, name: str, flag: str) -> str | None:
    """For an .xlsx workbook with data on its first sheet and on others: which sheet the command line reads and which
    it leaves out ("Only the first sheet of data.xlsx ('Cover') is read; the sheet 'Data' also holds data. To read
    another sheet, add --sheet Data."), so a script whose rows are on a later sheet is told; ``flag`` is the option
    that picks a sheet (the pages offer a Sheet picker instead). None for any other file. ``source`` may be the
    workbook's sheets already read (``workbook_sheets``)."""
    sheets = source if isinstance(source, WorkbookSheets) else workbook_sheets(source, name)
    if sheets is None:
        return None
    first, others = sheets.first, sheets.others
    if not others or first not in sheets.with_data:  # an empty first sheet: the reader's own error names the sheet with data
        return None
    which = f"the sheet {others[0]!r} also holds" if len(others) == 1 else f"the sheets {', '.join(map(repr, others))} also hold"
    return f"Only the first sheet of {name} ({first!r}) is read; {which} data. To read another sheet, add {flag} {shlex.quote(others[0])}."


def _xlsx_rows(path: Path, name: str) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise InputFileError(f"{name}: not a readable .xlsx workbook: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in values]
    finally:
        book.close()


def _records(spec: InputSpec, name: str) -> Iterator[tuple[int, list[str] | None, str, str]]:
    """(line, fields, problem, raw) for every record after the header, in file order. ``fields`` is None
    for a record that could not be parsed (``raw``: its first line); blank lines are skipped and yield nothing."""
    if spec.kind == "xlsx":
        rows = _xlsx_rows(spec.path, name)
        header_line, filled = 0, 0
        for header_line, row in enumerate(rows, start=1):  # noqa: B007 - the header's line is used below
            filled += not _is_blank(row)
            if filled > spec.title_records:
                break
        else:
            return
        width = len(spec.columns)
        for line, row in enumerate(rows, start=header_line + 1):
            while row and not row[-1].strip() and len(row) > width:
                row = row[:-1]  # openpyxl pads rows to the sheet's widest row
            if not any(cell.strip() for cell in row):
                continue
            yield line, row + [""] * (width - len(row)), "", ""
        return
    raw = _open_binary(spec.path, spec.kind)
    text = io.TextIOWrapper(raw, encoding=spec.encoding, newline="", errors="strict")
    try:
        yield from _csv_records(text, spec.delimiter, spec.encoding, name, width=len(spec.columns), title_records=spec.title_records)
    finally:
        text.close()


def _csv_records(
    text: io.TextIOBase, delimiter: str, encoding: str, name: str, width: int | None = None, with_header: bool = False,
    title_records: int = 0,
) -> Iterator[tuple[int, list[str] | None, str, str]]:
    """``_records`` of CSV text (the header too with ``with_header``), after ``title_records`` records of a title above
    it. A line holding only spaces is no record unless the file has one column (``width``, else the header's); empty
    fields past that width (a delimiter at the end of the row) are dropped."""
    lines = _LineSource(text)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    header_seen = False
    while True:
        lines.start_record()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, end, first = lines.first, lines.last_of_record(), lines.first_line()
            if end > start:  # a quote opened on the first line and never closed where a value ends
                lines.read_again_after_first_line()
                yield start, None, _unclosed_quote(exc, end), first
            else:
                yield start, None, f"cannot be parsed: {exc} (check the quotes on this line)", first
            continue
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{name}: cannot be decoded as {encoding} after line {lines.last_line}: {exc.reason}") from exc
        if not fields or (len(fields) == 1 and not fields[0].strip() and (not header_seen or width != 1)):
            continue
        if title_records:
            title_records -= 1
            continue
        if not header_seen:
            header_seen, width = True, width or len(fields)
            if not with_header:
                continue
        elif len(fields) > width and not any(value.strip() for value in fields[width:]):
            fields = fields[:width]  # a delimiter at the end of the row
        yield lines.first, fields, "", ""


def _unclosed_quote(exc: csv.Error, end: int) -> str:
    if "unexpected end of data" in str(exc):
        runs = "is never closed (it would run to the end of the file)"
    else:
        runs = f"runs on to line {end:,} and does not end properly there ({exc})"
    return f"a quote (\") opens a value on this line that {runs}"


class _LineSource:
    """The file's physical lines for ``csv.reader``, keeping those of the record being read: when a stray quote makes
    one record swallow the lines after it (up to the end of the file or ``MAX_FIELD_CHARS``), they are read again as
    rows of their own, so one bad line costs one line. Lines are handed out in order, so a record's first line number
    and its length give every number."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text = text
        self._again: collections.deque[str] = collections.deque()
        self._record: list[str] = []
        self.first = 1  # the number of the record's first line

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        line = self._again.popleft() if self._again else next(self._text)
        self._record.append(line)
        return line

    @property
    def last_line(self) -> int:
        """The number of the last line read from the file."""
        return self.first + len(self._record) + len(self._again) - 1

    def start_record(self) -> None:
        self.first += len(self._record)
        self._record = []

    def last_of_record(self) -> int:
        """The last line of the record just read."""
        return self.first + (len(self._record) or 1) - 1

    def first_line(self) -> str:
        return self._record[0].rstrip("\r\n")[:500] if self._record else ""

    def read_again_after_first_line(self) -> None:
        self._again.extendleft(reversed(self._record[1:]))
        del self._record[1:]


def count_records(spec: InputSpec, name: str | None = None) -> int:
    """How many records (good and bad) ``iter_chunks`` will yield: one cheap parse without scoring."""
    return sum(1 for _ in _records(spec, name or spec.path.name))


def iter_chunks(
    spec: InputSpec,
    chunk_rows: int | Callable[[], int],
    skip_records: int = 0,
    first_index: int = 0,
    name: str | None = None,
) -> Iterator[Chunk]:
    """Chunks of ``chunk_rows`` records numbered from ``first_index``; the first ``skip_records``
    records are read but not returned (resuming an interrupted run). Records with the wrong number
    of fields become ``BadRow``s. ``chunk_rows`` may be a function, asked for each chunk's size when the chunk
    starts (after the one before was handled)."""
    name = name or spec.path.name
    width = len(spec.columns)
    size_of = chunk_rows if callable(chunk_rows) else lambda: chunk_rows
    limit = max(1, size_of())
    index = first_index
    consumed = 0
    chunk = Chunk(index=index, first_record=skip_records)
    for line, fields, problem, raw in _records(spec, name):
        consumed += 1
        if consumed <= skip_records:
            continue
        chunk.records += 1
        if fields is None:
            chunk.bad.append(BadRow(line, problem, raw))
        elif len(fields) != width:
            chunk.bad.append(
                BadRow(
                    line,
                    _wrong_width(len(fields), width),
                    spec.delimiter.join(fields)[:500],
                )
            )
        else:
            chunk.rows.append(fields)
            chunk.lines.append(line)
        if chunk.records >= limit:
            yield chunk
            index += 1
            chunk = Chunk(index=index, first_record=consumed)
            limit = max(1, size_of())
    if chunk.records:
        yield chunk


def preview(spec: InputSpec, rows: int = 20, name: str | None = None) -> tuple[pd.DataFrame, list[BadRow]]:
    """The first ``rows`` good rows and the bad rows met on the way."""
    good, _, bad = _first_good_rows(spec, rows, name)
    return pd.DataFrame(good, columns=spec.columns, dtype=object), bad


def _first_good_rows(spec: InputSpec, limit: int, name: str | None) -> tuple[list[list[str]], list[int], list[BadRow]]:
    """The first ``limit`` good rows with their lines, and the bad rows met on the way."""
    good: list[list[str]] = []
    lines: list[int] = []
    bad: list[BadRow] = []
    for chunk in iter_chunks(spec, limit, name=name):
        good.extend(chunk.rows)
        lines.extend(chunk.lines)
        bad.extend(chunk.bad)
        if len(good) >= limit:
            break
    return good[:limit], lines[:limit], bad


def require_data_rows(spec: InputSpec, frame: pd.DataFrame, bad: list[BadRow], name: str) -> None:
    """InputFileError when the previewed start of a file (``preview``) shows a header and nothing below it."""
    if frame.empty and not bad:
        raise InputFileError(header_only(name, spec.columns))


def header_only(name: str, columns: Iterable[object]) -> str:
    """What every upload says of a file with column names and no rows under them."""
    return f"{name}: the file has a header row ({', '.join(map(str, columns))}) but no data rows below it"


def read_whole_table(raw: bytes, name: str, max_rows: int = EXCEL_MAX_ROWS) -> pd.DataFrame:
    """A small upload read at once (training data, an FAQ, tickets, recommendation files), every cell as text: an
    .xlsx workbook's first sheet, else a CSV in the encoding ``detect_encoding`` finds (UTF-8 or UTF-16 by their
    byte-order marks, UTF-8, then Windows-1252/Latin-1) with the delimiter this module chooses; InputFileError naming
    the file when it cannot be read."""
    if raw.startswith(WORKBOOK):
        return read_workbook(raw, name, max_rows)
    check_text(raw[:SAMPLE_BYTES], name, error=InputFileError)  # an image, archive or program renamed .csv
    encoding = detect_encoding(raw, "auto", complete=True, name=name)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:  # e.g. a UTF-16 file cut short in the middle of a character
        raise InputFileError(f"{name}: cannot be decoded as {encoding} near byte {exc.start}: {exc.reason}") from exc
    return _csv_table(text, sniff_delimiter(text[:20000]), encoding, name)


def _csv_table(text: str, delimiter: str, encoding: str, name: str) -> pd.DataFrame:
    """Every row of CSV text under its header, cells as text. Not pandas' reader: where every row has one field more
    than the header (a delimiter at the end of each row, or a title line above the header) it silently makes the first
    column the index, so each value moves one column to the left. Empty fields past the header's width (trailing
    delimiters) are dropped, a row with more values is refused naming its line, a short row is filled with "". An
    unnamed last column with no value in any row (the header ends with a delimiter as well) is dropped, and so are the
    rows of a title above the column names (``title_rows``)."""
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    titles = title_rows(_first_records(csv.reader(io.StringIO(text[:SAMPLE_BYTES], newline=""), delimiter=delimiter)))
    records = _csv_records(io.StringIO(text, newline=""), delimiter, encoding, name, with_header=True, title_records=titles)
    for line, fields, problem, _ in records:
        if fields is None:
            raise InputFileError(f"{name}: cannot be read as CSV: line {line:,}: {problem}")
        if header is None:
            header, header_line, written = _unique_columns(fields), line, fields
            continue
        width = len(header)
        if len(fields) > width:
            title = "" if rows else f"; if line {header_line} is a title above the column names, delete it"
            raise InputFileError(f"{name}: cannot be read as CSV: line {line:,}: {_wrong_width(len(fields), width)}{title}")
        rows.append(fields + [""] * (width - len(fields)))
        lines.append(line)
    if header is None:
        raise InputFileError(f"{name}: the file is empty")
    return _named_table(written, rows, lines)


def _named_table(header: list[str], rows: list[list[str]], lines: list[int]) -> pd.DataFrame:
    """``_table`` under the header as written, less the unnamed last columns that no row has a value in."""
    width = len(_named_part(header, rows))
    if width < len(header):
        rows = [row[:width] for row in rows]
    return _table(rows, _unique_columns(header[:width]), lines)


def _table(rows: list[list[str]], columns: list[str], lines: list[int]) -> pd.DataFrame:
    """Rows read whole, indexed so that index + 2 is each row's line in the file (see ``file_lines``)."""
    return pd.DataFrame(rows, columns=columns, dtype=object, index=pd.Index([line - 2 for line in lines], dtype="int64"))


def file_lines(frame: pd.DataFrame) -> list[int]:
    """The line of the file (the sheet's row number) each row of an upload read by ``read_whole_table`` comes from:
    index + 2, which for a plain 0, 1, 2… index is the row under a header on line 1; a title above the header, blank
    lines and texts over several lines move the rows' lines on, and the index with them."""
    index = frame.index
    if pd.api.types.is_integer_dtype(index) and index.is_unique:
        return [int(i) + 2 for i in index]
    return list(range(2, len(frame) + 2))


def _wrong_width(fields: int, width: int) -> str:
    return f"{fields} fields, the header has {width} (check quotes and the delimiter)"


def read_workbook(raw: bytes, name: str, max_rows: int = EXCEL_MAX_ROWS) -> pd.DataFrame:
    """The first sheet of an .xlsx file held in memory (at most ``max_rows`` rows), every cell as text; InputFileError
    naming the file when it is not a readable workbook (a ZIP that is not one included)."""
    with tempfile.TemporaryDirectory(prefix="beacon-workbook-") as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(raw)
        spec = inspect_input(path, name=name)
        header, _ = _xlsx_header(path, name)  # every column, judged below by all the rows rather than the first ones
        every_column = dataclasses.replace(spec, columns=_unique_columns(header))
        rows, lines, _ = _first_good_rows(every_column, max_rows, name)  # a workbook has no unparseable rows
    return _named_table(header, rows, lines)


def suggest_text_column(frame: pd.DataFrame) -> str | None:
    """The column with the longest average text (numbers-only columns lose to any text column)."""
    best, best_len = None, -1.0
    for column in frame.columns:
        values = frame[column].astype(str)
        if values.empty:
            continue
        numeric = values.str.fullmatch(r"[\d\s.,:+\-/%$€£]*").mean() > 0.8
        mean_len = values.str.len().mean() * (0.01 if numeric else 1.0)
        if mean_len > best_len:
            best, best_len = column, mean_len
    return best or (list(frame.columns)[0] if len(frame.columns) else None)
