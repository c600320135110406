"""Binary and non-text uploads are refused with one message: per format (magic numbers), NUL bytes, control
characters, inside a .gz or a ZIP; real text in every supported encoding passes. Also the shared readers of
Model Studio / FAQ / tickets (read_labelled_file) and recommendations (read_table) use the same check."""

from __future__ import annotations

import codecs
import gzip
import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from core.nlp.datacheck import LabelledFileError, read_labelled_file
from core.recommend.data import RecommendFileError, read_table
from core.scoring.content import not_text_message, not_text_reason
from core.scoring.reading import InputFileError, inspect_input


def png_bytes() -> bytes:
    """A real (tiny, valid) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + bytes(range(48)) for _ in range(16)))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["id", "text"])
    book.active.append([1, "Profit rose"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def tar_bytes() -> bytes:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"id,text\n1,x\n"
        info = tarfile.TarInfo("a.csv")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


BINARY = [
    ("PNG", png_bytes(), "a PNG image"),
    ("JPEG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(200), "a JPEG image"),
    ("GIF", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,", "a GIF image"),
    ("PDF", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
    ("ZIP", zip_bytes({"a.csv": b"id,text\n1,x\n"}), "a ZIP archive"),
    ("gzip", gzip.compress(b"id,text\n1,x\n"), "a gzip-compressed file"),
    ("ELF", b"\x7fELF\x02\x01\x01\x00" + bytes(56), "a program (ELF executable)"),
    ("Windows exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(50), "a Windows program"),
    ("old Office", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Office file (.xls or .doc)"),
    ("bzip2", b"BZh91AY&SY" + bytes(30), "a bzip2-compressed file"),
    ("7z", b"7z\xbc\xaf'\x1c\x00\x04" + bytes(30), "a 7-Zip archive"),
    ("tar", tar_bytes(), "a tar archive"),
    ("SQLite", b"SQLite format 3\x00" + bytes(100), "an SQLite database"),
    ("Parquet", b"PAR1\x15\x04\x15" + bytes(30), "a Parquet file"),
    ("WebP", b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(30), "a WebP image"),
    ("MP4", b"\x00\x00\x00\x18ftypmp42" + bytes(30), "a video or audio file (MP4/MOV)"),
]


@pytest.mark.parametrize(("fmt", "data", "what"), BINARY, ids=[b[0] for b in BINARY])
def test_each_binary_format_is_named(fmt, data, what):
    assert not_text_reason(data) == what


def test_unknown_binary_data_is_found_by_nul_bytes_and_control_characters():
    assert "NUL bytes" in not_text_reason(b"id,text\n1,abc\x00\x00\x01def\n")
    noise = bytes((i * 37 + 11) % 256 for i in range(4000)).replace(b"\x00", b"\x01")  # no NUL, no known magic
    assert "control characters" in not_text_reason(noise)


@pytest.mark.parametrize(
    "text_bytes",
    [
        b"id,text\n1,Profit rose sharply\n2,Shares fell\n",
        "id;text\n1;Gewinn für Köln – 5 €\n".encode("cp1252"),
        "id\ttext\n1\tGewinn für Köln\n".encode("latin-1"),
        codecs.BOM_UTF8 + "id,text\n1,naïve café\n".encode(),
        codecs.BOM_UTF16_LE + "id,text\n1,Profit rose\n".encode("utf-16-le"),
        "id,text\n1,Profit rose\n".encode("utf-16-le"),  # no byte-order mark
        "id,text\n1,利润大幅增长\n2,Прибыль выросла\n".encode(),
        b"id,text\n1,a form\x0cfeed and a tab\t\r\n",
    ],
    ids=["ascii", "cp1252", "latin-1", "utf-8-bom", "utf-16-bom", "utf-16-no-bom", "utf-8-cjk-cyrillic", "tab-ff-crlf"],
)
def test_real_text_in_every_supported_encoding_passes(text_bytes):
    assert not_text_reason(text_bytes) is None


def test_zip_and_gzip_pass_only_where_the_reader_unpacks_them():
    assert not_text_reason(gzip.compress(b"id\n1\n"), allow=("a gzip-compressed file",)) is None
    assert not_text_reason(xlsx_bytes(), allow=("a ZIP archive",)) is None
    assert not_text_reason(xlsx_bytes()) == "a ZIP archive"


MESSAGE = "photo.csv is a PNG image, not a text table (CSV); nothing was read. Save the data as CSV and upload that file."


def test_the_one_message():
    assert not_text_message("photo.csv", "a PNG image") == MESSAGE


def test_batch_scoring_reader_refuses_a_png_renamed_csv(tmp_path: Path):
    path = tmp_path / "photo.csv"
    path.write_bytes(png_bytes())
    with pytest.raises(InputFileError) as caught:
        inspect_input(path, "auto")
    assert str(caught.value) == MESSAGE


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        ("photo.xlsx", png_bytes(), "a PNG image"),
        ("photo.csv.gz", gzip.compress(png_bytes()), "a PNG image"),  # checked after unpacking
        ("bundle.csv", zip_bytes({"a.csv": b"id,text\n1,x\n"}), "a ZIP archive (not an Excel workbook)"),
        ("dump.csv", b"id,text\n1,abc\x00\x00def\n", "binary data (it contains NUL bytes)"),
    ],
)
def test_batch_scoring_reader_refuses_binary_inside_every_kind(tmp_path: Path, name, data, what):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputFileError) as caught:
        inspect_input(path, "auto")
    assert str(caught.value) == not_text_message(name, what)


def test_batch_scoring_reader_still_reads_xlsx_and_gzip(tmp_path: Path):
    (tmp_path / "book.xlsx").write_bytes(xlsx_bytes())
    (tmp_path / "in.csv.gz").write_bytes(gzip.compress(b"id,text\n1,Profit rose\n"))
    assert inspect_input(tmp_path / "book.xlsx").columns == ["id", "text"]
    assert inspect_input(tmp_path / "in.csv.gz").columns == ["id", "text"]


def test_training_faq_ticket_and_recommendation_readers_refuse_it_too():
    with pytest.raises(LabelledFileError) as caught:  # Model Studio, FAQ import, ticket files, `core train`, `core kb import`
        read_labelled_file(png_bytes(), "photo.csv")
    assert str(caught.value) == MESSAGE
    with pytest.raises(RecommendFileError) as caught:  # Recommendations page and `core recommend`
        read_table(png_bytes(), "photo.csv")
    assert str(caught.value) == MESSAGE
