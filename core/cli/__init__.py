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

import sys
from pathlib import Path


def warn_unread_sheets(*paths: Path) -> None:
    """"warning: Only the first sheet of …" on standard error for each workbook given with data after its first
    sheet (``core.scoring.reading.unread_sheets_note``); the pages offer a Sheet picker instead."""
    from core.scoring.reading import unread_sheets_note

    for path in paths:
        if note := unread_sheets_note(path, path.name):
            print(f"warning: {note}", file=sys.stderr)
