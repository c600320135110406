"""Beacon's command line, one module per area; ``core/__main__.py`` only builds the parser and dispatches.

- ``setup``     — ``setup``: migrate the database, install the default models, the first admin.
- ``users``     — ``users list|create|set-role|reset-password``.
- ``score``     — ``score`` (a file with the active models) and ``score-run`` (a queued batch scoring run).
- ``config``    — ``config apply`` (feeds, watchlists and alert rules from YAML).
- ``feeds``     — ``feeds import-opml|export-opml`` (the feed list as OPML).
- ``train``     — ``train`` (fine-tune and register a version) and ``train-run`` (a queued training run).
- ``models``    — ``models list|promote|rollback|distil|build-defaults``.
- ``recommend`` — ``recommend`` (check, compare, export) and ``recommend-job`` (a queued recommendation job).
- ``support``   — ``answer`` (a customer question) and ``kb import|list|rollback|delete`` (FAQ knowledge bases).

Each module has ``register(subparsers)``, which adds its commands with their ``cmd_*`` functions. The
functions import their core modules when they run, so ``python -m core --help`` stays light (no torch).
"""

from __future__ import annotations

import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def input_sheet(path: Path, sheet: str | None, flag: str = "--sheet") -> Iterator[Path]:
    """The file a command reads for ``path``: the file itself, or with ``flag NAME`` a copy of the workbook with that
    sheet in front, in a temporary folder under the same name (every reader reads a workbook's first sheet, as a page
    does after its Sheet picker). Without the flag, a workbook with data on later sheets gets a warning naming them,
    and one whose first sheet is empty is refused with the flag to add."""
    from core.scoring.reading import InputFileError, unread_sheets_note, with_sheet_first, workbook_sheets

    if not sheet or not path.is_file():  # no file: its reader says so
        sheets = workbook_sheets(path, path.name)  # None for a CSV
        if sheets and sheets.with_data and sheets.first not in sheets.with_data:
            raise InputFileError(f"{path.name}: the workbook's first sheet ({sheets.first!r}) is empty; to read the sheet "
                                 f"with data, add {flag} {shlex.quote(sheets.largest)}")  # fmt: skip
        if sheets and (note := unread_sheets_note(sheets, path.name, flag)):
            print(f"warning: {note}", file=sys.stderr)
        yield path
        return
    source = path.read_bytes()  # a missing file: the caller's error names it
    sheets = workbook_sheets(source, path.name)
    if sheets is None:
        raise InputFileError(f"{flag} {sheet!r}: {path.name} is not an .xlsx workbook; only a workbook has sheets to pick from")
    picked = sheets.named(sheet)
    if picked is None:
        listed = ", ".join(map(repr, sheets.with_data)) or "none"
        why = "is empty" if sheet in sheets.names else "is not a sheet of the workbook"
        raise InputFileError(f"{flag} {sheet!r}: {why} ({path.name}); the sheets with data: {listed}")
    with tempfile.TemporaryDirectory(prefix="beacon-sheet-") as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(with_sheet_first(source, picked))
        try:
            yield copy
        except Exception as exc:  # a problem with the rows names the file the user gave, not the copy read
            if str(copy) not in str(exc):
                raise
            try:
                said = type(exc)(str(exc).replace(str(copy), str(path)))
            except Exception:  # noqa: BLE001 - an error type that is not made from its message alone
                raise exc from None
            raise said from exc

