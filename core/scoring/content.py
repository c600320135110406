"""Is an uploaded file text at all? One check for every upload path (batch scoring, Model Studio, FAQ
and ticket files, recommendation data, the command line), so a PNG renamed ``.csv`` is refused with
one clear message instead of being read as Latin-1 and scored.

Two signs, checked on the first bytes of the file:
- a magic number of a common binary format (images, PDF, archives, executables, office and
  database files); ZIP (an .xlsx workbook) and gzip are allowed only where the reader unpacks them;
- after decoding (a byte-order mark or UTF-16 pattern, else UTF-8, else Windows-1252), NUL
  characters, or more than ``MAX_CONTROL_SHARE`` of the characters being control characters.
"""

from __future__ import annotations

import codecs
import re

SAMPLE_BYTES = 64 * 1024  # enough to judge; a text file never turns binary later in practice
MAX_CONTROL_SHARE = 0.02  # text has tabs and newlines, almost never other control characters
CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")  # control characters but tab, newlines, form feed; undecodable bytes

# (offset, magic bytes, what the file is); checked in order, so longer magics come before shorter ones
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (0, b"\xff\xd8\xff", "a JPEG image"),
    (0, b"GIF87a", "a GIF image"),
    (0, b"GIF89a", "a GIF image"),
    (0, b"II*\x00", "a TIFF image"),
    (0, b"MM\x00*", "a TIFF image"),
    (0, b"\x00\x00\x01\x00", "an icon image"),
    (0, b"%PDF-", "a PDF document"),
    (0, b"PK\x03\x04", "a ZIP archive"),
    (0, b"PK\x05\x06", "a ZIP archive"),
    (0, b"PK\x07\x08", "a ZIP archive"),
    (0, b"\x1f\x8b", "a gzip-compressed file"),
    (0, b"BZh", "a bzip2-compressed file"),
    (0, b"\xfd7zXZ\x00", "an xz-compressed file"),
    (0, b"(\xb5/\xfd", "a zstd-compressed file"),
    (0, b"7z\xbc\xaf'\x1c", "a 7-Zip archive"),
    (0, b"Rar!\x1a\x07", "a RAR archive"),
    (257, b"ustar", "a tar archive"),
    (0, b"\x7fELF", "a program (ELF executable)"),
    (0, b"MZ\x90\x00", "a Windows program"),
    (0, b"\xca\xfe\xba\xbe", "a program (Java class or Mach-O)"),
    (0, b"\xcf\xfa\xed\xfe", "a program (Mach-O)"),
    (0, b"\x00asm", "a WebAssembly program"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls or .doc)"),
    (0, b"PAR1", "a Parquet file"),
    (0, b"SQLite format 3\x00", "an SQLite database"),
    (0, b"ID3", "an MP3 audio file"),
    (0, b"OggS", "an Ogg audio file"),
    (0, b"fLaC", "a FLAC audio file"),
    (4, b"ftyp", "a video or audio file (MP4/MOV)"),
    (0, b"\x1aE\xdf\xa3", "a video file (Matroska/WebM)"),
    (0, b"wOFF", "a web font"),
    (0, b"wOF2", "a web font"),
)
ZIP, GZIP = "a ZIP archive", "a gzip-compressed file"


class NotTextError(ValueError):
    """The file is not text (an image, an archive, a program, binary data); the message says what it is."""


def file_signature(head: bytes) -> str | None:
    """What a file starting with ``head`` is by its magic number ("a PNG image"), or None."""
    for offset, magic, what in SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return what
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return {b"WEBP": "a WebP image", b"WAVE": "a WAV audio file", b"AVI ": "an AVI video"}[head[8:12]]
    return None


def utf16_without_bom(sample: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when ``sample`` looks like UTF-16 text saved without a byte-order mark (every
    other byte NUL, as Latin-script text has), else None. Such bytes are also valid UTF-8, so ask this first."""
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    if len(sample) >= 4 and max(even_nuls, odd_nuls) > len(sample) // 4 and min(even_nuls, odd_nuls) < len(sample) // 64 + 1:
        return "utf-16-le" if odd_nuls > even_nuls else "utf-16-be"
    return None


def _decode_sample(sample: bytes) -> str:
    """The sample as text the way a reader would decode it (never fails)."""
    if sample.startswith(codecs.BOM_UTF8):
        return sample[3:].decode("utf-8", errors="replace")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return sample.decode("utf-16", errors="replace")
    if utf16 := utf16_without_bom(sample):
        return sample.decode(utf16, errors="replace")
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return sample.decode("cp1252", errors="replace")


def binary_content(sample: bytes) -> str | None:
    """Why ``sample`` (the first bytes of a file, decompressed) is not text, or None when it is text."""
    text = _decode_sample(sample)
    if "\x00" in text:
        return "binary data (it contains NUL bytes)"
    if not text:
        return None
    controls = len(CONTROL.findall(text))
    if controls and controls / len(text) > MAX_CONTROL_SHARE:
        return f"binary data ({controls / len(text):.0%} of the first characters are control characters)"
    return None


def not_text_reason(head: bytes, allow: tuple[str, ...] = ()) -> str | None:
    """Why a file starting with ``head`` is not a text table, or None. ``allow``: signatures the caller
    reads itself (``ZIP`` for .xlsx, ``GZIP`` for .csv.gz), whose content it checks after unpacking."""
    what = file_signature(head)
    if what in allow:
        return None
    return what or binary_content(head[:SAMPLE_BYTES])


def not_text_message(name: str, what: str) -> str:
    """The one message every upload path and the command line give for a file that is not text."""
    return f"{name} is {what}, not a text table (CSV); nothing was read. Save the data as CSV and upload that file."


def check_text(head: bytes, name: str, allow: tuple[str, ...] = (), error: type[ValueError] = NotTextError) -> None:
    """Raise ``error`` with the one clear message when ``head`` (the start of a file) is not text."""
    what = not_text_reason(head, allow)
    if what:
        raise error(not_text_message(name, what))
