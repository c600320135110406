"""Uploaded files kept under the data folder before anything takes them: a file to score until its run moves it into
the run's folder, a compression run's texts likewise, a file of past questions while its page reads and answers it.
One folder per upload; those left behind (the form was abandoned, the page closed) are deleted by the worker a day
after their last change, so customers' texts do not pile up on disk outside every retention setting."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from core.scoring.reading import InputFileError
from core.settings import get_settings

AREAS = ("scoring_uploads", "training_runs/uploads", "answer_uploads")  # under the data folder
KEEP_HOURS = 24


class UploadNotKept(InputFileError):
    """The data folder could not take an upload (disk full, no permission); nothing of it was kept."""


def keep_upload(area: str, name: str, data: bytes | BinaryIO, check_size: Callable[[int], None] | None = None,
                default: str = "upload") -> Path:  # fmt: skip
    """Write an upload into a new folder of ``area``; ``check_size`` is called with the bytes read so far from a stream
    and raises to refuse it. Nothing is left behind when it fails; UploadNotKept when the disk refuses it."""
    folder = None
    try:
        folder = new_upload_folder(area)
        path = folder / safe_file_name(name, default)
        with path.open("wb") as out:
            if isinstance(data, bytes):
                out.write(data)
            else:
                written = 0
                while block := data.read(1 << 20):
                    written += len(block)
                    if check_size:
                        check_size(written)
                    out.write(block)
        return path
    except BaseException as exc:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UploadNotKept(f"{name}: could not be stored on the server ({exc.strerror or exc}); nothing was kept. "
                                f"Ask an admin to check Beacon's data folder (free space, permissions).") from exc
        raise


def new_upload_folder(area: str) -> Path:
    """An empty folder of its own for one upload, in one of ``AREAS``."""
    if area not in AREAS:
        raise ValueError(f"unknown upload area {area!r}; one of {', '.join(AREAS)}")
    folder = get_settings().data_dir / area / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def safe_file_name(name: str, default: str = "upload") -> str:
    """A file's name as Beacon stores it: its last part only, letters, digits, '.', '-' and '_' (others become '_')."""
    return (re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or default)[:120]


def still_kept(path: Path | None) -> bool:
    """Whether an upload kept earlier is still there; using it counts as a change, so the worker keeps it another day."""
    if path is None or not path.exists():
        return False
    try:
        path.touch()
    except OSError:  # deleted meanwhile, or not writable: keep a new copy instead
        return False
    return True


def is_staged(path: Path, area: str) -> bool:
    """Whether ``path`` is a file kept by ``new_upload_folder(area)`` (a run takes such a file, and its folder goes)."""
    return path.parent.parent.resolve() == (get_settings().data_dir / area).resolve()


def delete_abandoned_uploads(now: float | None = None, keep_hours: float = KEEP_HOURS) -> dict:
    """A worker step: delete the upload folders nothing has changed for ``keep_hours``."""
    cutoff = (time.time() if now is None else now) - keep_hours * 3600
    deleted = 0
    for area in AREAS:
        root = get_settings().data_dir / area
        if not root.is_dir():
            continue
        for folder in root.iterdir():
            if folder.is_dir() and _last_change(folder) < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                deleted += not folder.exists()
    return {"deleted": deleted}


def _last_change(folder: Path) -> float:
    try:
        return max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.iterdir())])
    except FileNotFoundError:  # another worker deleted it meanwhile
        return float("inf")
