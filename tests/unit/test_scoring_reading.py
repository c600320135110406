"""Reading crafted input files: encodings, delimiters, quoted newlines, ragged rows, size limit."""

from __future__ import annotations

import codecs
import gzip
import io
from pathlib import Path

import pytest

from core.scoring.reading import (
    InputFileError,
    InputSpec,
    WorkbookSheets,
    count_records,
    inspect_input,
    iter_chunks,
    preview,
    read_whole_table,
    suggest_text_column,
    unread_sheets_note,
    with_sheet_first,
    workbook_sheets,
)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def all_rows(path: Path, chunk_rows: int = 1000, encoding: str = "auto"):
    spec = inspect_input(path, encoding)
    good, bad = [], []
    for chunk in iter_chunks(spec, chunk_rows):
        good.extend(zip(chunk.lines, chunk.rows))
        bad.extend(chunk.bad)
    return spec, good, bad


def test_utf8_bom_is_detected_and_stripped_from_the_header(tmp_path):
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + "id,text\n1,Café résumé\n".encode())
    spec, good, _ = all_rows(path)
    assert spec.encoding == "utf-8-sig" and spec.columns == ["id", "text"]  # not "\ufeffid"
    assert good == [(2, ["1", "Café résumé"])]
    assert "UTF-8 with BOM" in spec.describe()


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path, codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    path = write(tmp_path, "u16.csv", bom + "id\ttext\n1\tGrüße aus Köln\n2\tZürich\n".encode(codec))
    spec, good, bad = all_rows(path)
    assert (spec.encoding, spec.delimiter) == ("utf-16", "\t")
    assert [r for _, r in good] == [["1", "Grüße aus Köln"], ["2", "Zürich"]] and not bad


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("mode", ["auto", "utf-8"])
def test_utf16_without_bom_is_read_as_utf16_not_as_utf8_full_of_nuls(tmp_path, codec, mode):
    path = write(tmp_path, "u16.csv", "id,text\n1,Grüße aus Köln\n".encode(codec))
    spec, good, bad = all_rows(path, encoding=mode)
    assert (spec.encoding, spec.columns) == (codec, ["id", "text"])
    assert "UTF-16 (" in spec.describe() and "no BOM" in spec.describe()
    assert [r for _, r in good] == [["1", "Grüße aus Köln"]] and not bad


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-8-sig", "cp1252"])
def test_a_small_upload_is_read_in_its_encoding(codec):
    """Training data, FAQs and recommendation files are read whole: UTF-16 (as Excel's "Unicode text" saves it)
    gave columns named "\x00t\x00e…" before."""
    raw = "text;label\nprofit warning – ‘cut’;negative\n".encode(codec)
    frame = read_whole_table(raw, "labels.csv")
    assert list(frame.columns) == ["text", "label"]
    assert frame.to_dict("records") == [{"text": "profit warning – ‘cut’", "label": "negative"}]


def test_a_utf16_upload_cut_mid_character_is_refused_with_the_byte():
    raw = codecs.BOM_UTF16_LE + ("text\n" + "a complaint about fees\n" * 50).encode("utf-16-le") + b"d"
    with pytest.raises(InputFileError, match=r"labels.csv: cannot be decoded as utf-16 near byte \d+"):
        read_whole_table(raw, "labels.csv")


def test_latin1_falls_back_in_auto_mode_and_is_refused_with_its_line_in_utf8_mode(tmp_path):
    path = write(tmp_path, "latin.csv", "id,text\n1,plain\n2,Unternehmensgewähr\n".encode("latin-1"))
    spec, good, _ = all_rows(path)
    assert spec.encoding == "cp1252" and good[1][1] == ["2", "Unternehmensgewähr"]
    with pytest.raises(InputFileError, match=r"not valid UTF-8 \(line 3, byte \d+\)"):
        inspect_input(path, "utf-8")


def test_invalid_utf8_after_the_sample_is_found_with_its_line(tmp_path):
    body = b"id,text\n" + b"".join(b"%d,plain ascii text number %d\n" % (i, i) for i in range(20000))
    path = write(tmp_path, "late.csv", body + b"20000,caf\xe9\n")
    with pytest.raises(InputFileError, match=r"not valid UTF-8 \(line 20002,"):
        inspect_input(path, "utf-8")
    assert inspect_input(path, "auto").encoding == "cp1252"  # auto mode re-decides on the whole file


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_delimiter_sniffing(tmp_path, delimiter, name):
    rows = [["id", "text", "amount"], ["1", "Sales rose, again", "1,5"], ["2", "Flat", "2,0"]]
    lines = "\n".join(delimiter.join(f'"{c}"' if ("," in c and delimiter == ",") else c for c in r) for r in rows)
    spec, good, bad = all_rows(write(tmp_path, "d.csv", (lines + "\n").encode()))
    assert spec.delimiter == delimiter and name in spec.describe()
    assert [r for _, r in good] == rows[1:] and not bad


def test_quoted_newlines_stay_in_one_field_and_line_numbers_follow_the_file(tmp_path):
    data = b'id;text\n1;"first line\nsecond line; with a semicolon"\n2;next\n'
    spec, good, bad = all_rows(write(tmp_path, "q.csv", data))
    assert spec.delimiter == ";"
    assert good == [(2, ["1", "first line\nsecond line; with a semicolon"]), (4, ["2", "next"])] and not bad


def test_ragged_rows_are_reported_with_their_line_numbers_not_dropped(tmp_path):
    data = b"id,text,source\n1,ok,a\n2,too,many,fields,here\n3,fine,b\n4,short\n\n5,last,c\n"
    spec, good, bad = all_rows(write(tmp_path, "r.csv", data), chunk_rows=2)
    assert [r[0] for _, r in good] == ["1", "3", "5"]
    assert [(b.line, b.problem) for b in bad] == [
        (3, "5 fields, the header has 3 (check quotes and the delimiter)"),
        (5, "2 fields, the header has 3 (check quotes and the delimiter)"),
    ]
    assert bad[0].raw == "2,too,many,fields,here"
    assert count_records(spec) == 5  # every record counted: 3 good + 2 bad (the blank line is no record)


def test_a_delimiter_at_the_end_of_every_row_is_no_extra_field_when_streaming(tmp_path):
    _, good, bad = all_rows(write(tmp_path, "t.csv", b"id,text\n1,profit rose,\n2,shares fell,;\n"))
    assert good == [(2, ["1", "profit rose"])]  # an empty trailing field is dropped, a value past the header is not
    assert [(b.line, b.raw) for b in bad] == [(3, "2,shares fell,;")]


def test_a_header_ending_with_a_delimiter_makes_no_empty_column_when_streaming(tmp_path):
    spec, good, bad = all_rows(write(tmp_path, "t.csv", b"id;text;\n1;profit rose;\n2;shares fell;\n"))
    assert spec.columns == ["id", "text"]
    assert good == [(2, ["1", "profit rose"]), (3, ["2", "shares fell"])] and not bad
    late = b"id,text,\n" + b"".join(b"%d,row %d,\n" % (n, n) for n in range(1, 2500)) + b"9,late,urgent\n"
    spec, good, bad = all_rows(write(tmp_path, "late.csv", late))
    assert spec.columns == ["id", "text"] and len(good) == 2499  # judged by the start of the file ...
    assert [(b.line, b.raw) for b in bad] == [(2501, "9,late,urgent")]  # ... and a later value is reported, not lost
    kept = inspect_input(write(tmp_path, "kept.csv", b"id,text,\n1,a,\n2,b,note\n"))
    assert kept.columns == ["id", "text", "column_3"]


def test_a_sheets_formatted_but_empty_columns_are_no_columns(tmp_path):
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.append(["text", "label"])
    sheet.append(["Profit rose", "positive"])
    sheet["F1"].font = Font(bold=True)  # formatting stretches the sheet's rows to column F
    sheet["E3"].font = Font(bold=True)
    book.save(tmp_path / "wide.xlsx")
    spec, good, bad = all_rows(tmp_path / "wide.xlsx")
    assert spec.columns == ["text", "label"] and good == [(2, ["Profit rose", "positive"])] and not bad
    frame = read_whole_table((tmp_path / "wide.xlsx").read_bytes(), "wide.xlsx")
    assert frame.to_dict("list") == {"text": ["Profit rose"], "label": ["positive"]}
    for row in range(3, 2600):
        sheet.cell(row, 1, f"row {row}")
    sheet.cell(2600, 4, "a note far down")
    book.save(tmp_path / "note.xlsx")
    frame = read_whole_table((tmp_path / "note.xlsx").read_bytes(), "note.xlsx")
    assert list(frame.columns) == ["text", "label", "column_3", "column_4"] and frame["column_4"].iloc[-1] == "a note far down"


def test_an_unclosed_quote_costs_its_own_line_not_the_rest_of_the_file(tmp_path):
    data = b'id,text\n1,"never closed\n' + b"".join(b"%d,more\n" % n for n in range(2, 12))
    spec, good, bad = all_rows(write(tmp_path, "u.csv", data), chunk_rows=3)
    assert [(line, row[0]) for line, row in good] == [(n + 1, str(n)) for n in range(2, 12)]
    assert [(b.line, b.raw) for b in bad] == [(2, '1,"never closed')]
    assert bad[0].problem.startswith('a quote (") opens a value on this line that is never closed')
    assert count_records(spec) == 11  # resuming a run counts records the same way


def test_a_stray_quote_closed_by_a_later_one_costs_one_line_and_quoted_values_after_it_still_read(tmp_path):
    data = b'id,text\n1,"stray\n2,plain\n3,"quoted, with a comma"\n4,last\n'
    _, good, bad = all_rows(write(tmp_path, "s.csv", data))
    assert good == [(3, ["2", "plain"]), (4, ["3", "quoted, with a comma"]), (5, ["4", "last"])]
    assert [b.line for b in bad] == [2] and "runs on to line 4 and does not end properly there" in bad[0].problem


def test_gzip_and_xlsx_inputs(tmp_path):
    gz = write(tmp_path, "in.csv.gz", gzip.compress(b"id,text\n1,hello\n2,world\n"))
    spec, good, _ = all_rows(gz)
    assert spec.kind == "csv.gz" and [r for _, r in good] == [["1", "hello"], ["2", "world"]]

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["id", "text", "score"])
    sheet.append([1, "Profit rose", 2.5])
    sheet.append([2, None, 3.0])
    book.save(tmp_path / "in.xlsx")
    spec, good, bad = all_rows(tmp_path / "in.xlsx")
    assert spec.kind == "xlsx" and spec.columns == ["id", "text", "score"]
    assert good == [(2, ["1", "Profit rose", "2.5"]), (3, ["2", "", "3"])] and not bad
    assert spec.describe() == "Excel workbook (sheet 'Sheet')"  # the sheet read, by name (a page may have moved it first)
    assert InputSpec.from_dict(spec.path, spec.as_dict()) == spec  # stored with a run, read back alike on resume


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty"),
        ("blank.csv", b"\n\n  \n", "blank.csv: the file is empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0", "old Excel .xls files are not supported"),
        ("bad.xlsx", b"PK\x03\x04 not really a zip", "bad.xlsx: not a readable .xlsx workbook"),
    ],
)
def test_unreadable_files_say_what_is_wrong(tmp_path, name, data, message):
    with pytest.raises(InputFileError, match=message.replace(".", r"\.")):
        inspect_input(write(tmp_path, name, data))


def test_resume_skips_records_already_done(tmp_path):
    data = b"id,text\n" + b"".join(b"%d,row %d\n" % (i, i) for i in range(10))
    spec = inspect_input(write(tmp_path, "s.csv", data))
    chunks = list(iter_chunks(spec, 4, skip_records=4, first_index=1))
    assert [c.index for c in chunks] == [1, 2]
    assert [c.first_record for c in chunks] == [4, 8]
    assert [r[0] for c in chunks for r in c.rows] == [str(i) for i in range(4, 10)]


def test_duplicate_and_blank_header_names_are_made_unique(tmp_path):
    spec = inspect_input(write(tmp_path, "h.csv", b"text,,text\na,b,c\n"))
    assert spec.columns == ["text", "column_2", "text.1"]


def test_the_longest_text_column_is_suggested(tmp_path):
    data = b"id,date,comment,amount\n1,2024-01-01,The service was slow and nobody called me back,1200.50\n2,2024-01-02,Great,99\n"
    frame, bad = preview(inspect_input(write(tmp_path, "p.csv", data)))
    assert suggest_text_column(frame) == "comment" and not bad


def test_chunk_sizes_can_change_from_one_chunk_to_the_next(tmp_path):
    path = write(tmp_path, "t.csv", ("text\n" + "".join(f"row {i}\n" for i in range(10))).encode())
    spec = inspect_input(path)
    asked: list[int] = []
    sizes = iter([2, 3, 100])

    def next_size() -> int:
        asked.append(len(seen))  # how many chunks the reader had handed out (and the caller handled) when asked
        return next(sizes)

    seen: list[list[str]] = []
    for chunk in iter_chunks(spec, next_size, skip_records=1):
        seen.append([row[0] for row in chunk.rows])
    assert seen == [["row 1", "row 2"], ["row 3", "row 4", "row 5"], ["row 6", "row 7", "row 8", "row 9"]]
    assert asked == [0, 1, 2]


@pytest.mark.parametrize("data, message", [
    (b'text,label\nok,positive\n"never closed,negative\nfine,neutral\n',
     'x.csv: cannot be read as CSV: line 3: a quote (") opens a value on this line that is never closed'),
    (b"text,label\nok,positive\nshort\nbad,negative,extra\n",
     "x.csv: cannot be read as CSV: line 4: 3 fields, the header has 2 (check quotes and the delimiter)"),
    (b"text,label\nhello, world,positive\nhello world,positive\n",  # every row one value more: not an index column
     "x.csv: cannot be read as CSV: line 2: 3 fields, the header has 2 (check quotes and the delimiter); if line 1 is a "
     "title above the column names, delete it"),
    (b"Export of tickets, 2026-12-01\n\nid,text,channel\n1,my card is blocked,email\n",
     "x.csv: cannot be read as CSV: line 3: 3 fields, the header has 2 (check quotes and the delimiter); if line 1 is a "
     "title above the column names, delete it"),
])  # fmt: skip
def test_a_small_upload_that_cannot_be_read_names_the_file_line(data, message):
    with pytest.raises(InputFileError) as caught:
        read_whole_table(data, "x.csv")
    assert str(caught.value).startswith(message)


def test_a_workbook_whose_data_is_not_on_the_first_sheet_says_which_sheet_has_it(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Notes"
    book.create_sheet("Empty too")
    book.create_sheet("Data").append(["text", "label"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    with pytest.raises(InputFileError) as caught:
        read_whole_table(path.read_bytes(), "book.xlsx")
    assert str(caught.value) == ("book.xlsx: the workbook's first sheet ('Notes') is empty; only the first sheet is read, "
                                 "and 'Data' has data: move it to the front")  # fmt: skip


def workbook(*sheets: tuple[str, list[list[str]]]) -> bytes:
    """An .xlsx file with these sheets in order, each (title, rows)."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_workbook_with_data_after_its_first_sheet_is_said_to_be_read_from_the_first_only(tmp_path):
    cover = ("Cover", [["Exported 2026-11-30 by the support team"]])
    data = ("Data", [["text", "label"], ["Profit up", "positive"]])
    note = unread_sheets_note(workbook(cover, ("Blank", []), data), "export.xlsx", "--sheet")
    assert note == ("Only the first sheet of export.xlsx ('Cover') is read; the sheet 'Data' also holds data. To read "
                    "another sheet, add --sheet Data.")  # fmt: skip
    spaced = unread_sheets_note(workbook(cover, ("Q3 tickets", [["x"]])), "e.xlsx", "--items-sheet")
    assert spaced.endswith("add --items-sheet 'Q3 tickets'.")  # quoted as a shell needs it
    assert "the sheets 'Data', 'More' also hold data" in unread_sheets_note(workbook(cover, data, ("More", [["x"]])), "e.xlsx", "--sheet")
    assert unread_sheets_note(workbook(data, ("Blank", [])), "one.xlsx", "--sheet") is None  # nothing else to read
    assert unread_sheets_note(workbook(("Blank", []), data), "e.xlsx", "--sheet") is None  # refused: the first sheet is empty
    assert unread_sheets_note(b"text,label\nProfit up,positive\n", "x.csv", "--sheet") is None
    assert unread_sheets_note(b"PK\x03\x04 not a workbook", "x.xlsx", "--sheet") is None  # the reader says why
    saved = write(tmp_path, "saved.bin", workbook(cover, data))  # a path, known as a workbook by its first bytes
    assert unread_sheets_note(saved, saved.name, "--sheet").startswith("Only the first sheet of saved.bin ('Cover') is read")
    assert unread_sheets_note(tmp_path / "gone.xlsx", "gone.xlsx", "--sheet") is None  # no file: the reader says so


def test_a_sheet_picked_is_moved_to_the_front_where_every_reader_reads():
    from openpyxl import load_workbook

    cover, data = ("Cover", [["Exported by", "the support team"]]), ("Q3 & Q4 <data>", [["text", "label"], ["Profit up", "positive"]])
    book = workbook(cover, ("Blank", []), data)
    assert workbook_sheets(book, "export.xlsx") == WorkbookSheets(
        "Cover", ["Cover", "Q3 & Q4 <data>"], "Q3 & Q4 <data>", ("Cover", "Blank", "Q3 & Q4 <data>"))
    assert workbook_sheets(workbook(("Data", [["text", "label"], ["Up", "positive"]]), cover), "e.xlsx").largest == "Data"
    moved = with_sheet_first(book, "Q3 & Q4 <data>")  # a name XML escapes
    assert read_whole_table(moved, "export.xlsx").to_dict("list") == {"text": ["Profit up"], "label": ["positive"]}
    assert [sheet.title for sheet in load_workbook(io.BytesIO(moved)).worksheets] == ["Q3 & Q4 <data>", "Cover", "Blank"]
    assert read_whole_table(with_sheet_first(moved, "Cover"), "e.xlsx").columns.tolist() == ["Exported by", "the support team"]
    with pytest.raises(InputFileError, match="no sheet 'Nope'"):
        with_sheet_first(book, "Nope")
    assert workbook_sheets(b"text,label\nProfit up,positive\n", "x.csv") is None
    assert workbook_sheets(b"PK\x03\x04 not a workbook", "x.xlsx") is None  # the reader says why
    assert workbook_sheets(workbook(("Blank", [])), "e.xlsx") == WorkbookSheets("Blank", [], None, ("Blank",))


def test_a_delimiter_at_the_end_of_every_row_leaves_each_value_under_its_own_column():
    frame = read_whole_table(b"text,label\nhello there,positive,\nbad news,negative,\nshort\n", "x.csv")
    assert frame.to_dict("list") == {"text": ["hello there", "bad news", "short"], "label": ["positive", "negative", ""]}


def test_a_header_ending_with_a_delimiter_too_adds_no_empty_column_but_an_unnamed_column_with_values_is_kept():
    frame = read_whole_table(b"question;answer;\nLost card?;Call us.;\nFees?;None.;\n", "faq.csv")
    assert frame.to_dict("list") == {"question": ["Lost card?", "Fees?"], "answer": ["Call us.", "None."]}
    kept = read_whole_table(b"question,answer,\nLost card?,Call us.,urgent\nFees?,None.,\n", "faq.csv")
    assert list(kept.columns) == ["question", "answer", "column_3"] and kept["column_3"].tolist() == ["urgent", ""]


REPORT = b"Sales report Q3,,\n,,\ntext,label,id\nProfit up,positive,1\nLoss widens,negative,2\n"


def test_a_title_above_the_column_names_is_skipped_and_said_and_line_numbers_stay_the_files(tmp_path):
    spec = inspect_input(write(tmp_path, "report.csv", REPORT))
    assert spec.columns == ["text", "label", "id"] and spec.title_records == 2
    assert spec.describe() == "CSV, UTF-8, comma-separated, 2 rows above the column names (a title) skipped"
    [chunk] = iter_chunks(spec, 10)
    assert chunk.rows == [["Profit up", "positive", "1"], ["Loss widens", "negative", "2"]] and chunk.lines == [4, 5]
    assert count_records(spec) == 2 and InputSpec.from_dict(spec.path, spec.as_dict()) == spec
    assert read_whole_table(REPORT, "report.csv").to_dict("list") == {
        "text": ["Profit up", "Loss widens"], "label": ["positive", "negative"], "id": ["1", "2"]}  # fmt: skip
    old_run = {"kind": "csv", "encoding": "utf-8", "delimiter": ",", "columns": ["text"]}  # stored before titles were read
    assert InputSpec.from_dict(spec.path, old_run).title_records == 0


def test_a_workbook_with_a_title_in_its_first_cell_reads_the_table_below_it(tmp_path):
    from tests.unit.test_datacheck import workbook_bytes

    data = workbook_bytes([["Complaints, week 48"], [], ["message", "channel"], ["Card blocked", "chat"], ["Fee too high", "email"]])
    table = read_whole_table(data, "week.xlsx")
    assert table.to_dict("list") == {"message": ["Card blocked", "Fee too high"], "channel": ["chat", "email"]}
    spec = inspect_input(write(tmp_path, "week.xlsx", data))
    assert spec.title_records == 1 and [c.lines for c in iter_chunks(spec, 10)] == [[4, 5]]


@pytest.mark.parametrize("data", [b"text\nProfit up\nLoss\n", b"text,label\nProfit up,\nLoss,negative\n", b",text,label\n0,Up,positive\n",
                                  b",text\n0,Profit up\n1,Loss\n"])  # the last: a pandas column written with its index
def test_files_without_a_title_keep_their_first_row_as_the_column_names(data):
    assert list(read_whole_table(data, "x.csv").columns) == [c or "column_1" for c in data.split(b"\n")[0].decode().split(",")]


@pytest.mark.parametrize("rows", [b"Great service,5,\nSlow answer,1,\n", b"Great service,Great service,\n"])
def test_a_header_naming_only_its_first_column_is_no_title_above_rows_of_values(tmp_path, rows):
    data = b"comment,,\n" + rows  # a number, or a value twice: these rows are data, not column names
    assert list(read_whole_table(data, "c.csv").columns)[0] == "comment"
    assert inspect_input(write(tmp_path, "c.csv", data)).title_records == 0
    titled = b"Sales report Q3,,\nregion,Q1 2024,Q2 2024\nNorth,10,12\n"  # names with figures in them are still names
    assert list(read_whole_table(titled, "t.csv").columns) == ["region", "Q1 2024", "Q2 2024"]


def test_rows_read_whole_know_their_file_line_past_a_title_blank_lines_and_texts_over_two_lines():
    from core.nlp.datacheck import check_labelled_data
    from core.scoring.reading import file_lines

    data = b'Training set,\n\ntext,label\n"Profit up,\nsays CFO",positive\n\nLoss,negative\nLoss,negative\n'
    table = read_whole_table(data, "train.csv")
    assert file_lines(table) == [4, 7, 8]
    check = check_labelled_data(table, "text", "label", min_per_class=1)
    assert check.dropped[["row", "reason"]].values.tolist() == [[8, "duplicate of row 7"]]
