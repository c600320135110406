"""`python -m core score` with the batch scoring options: several tasks, masking, Parquet, bad rows, progress."""

from __future__ import annotations

import codecs
import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from core.__main__ import main
from core.settings import REPO_ROOT


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=REPO_ROOT, capture_output=True, text=True)


def test_several_tasks_masking_parquet_bad_rows_and_progress(tiny_models, tmp_path: Path):
    src = tmp_path / "export.csv"
    src.write_bytes(
        codecs.BOM_UTF8
        + (
            b'id;text\n1;"Profit rose to a record;\nmail ir@example.com"\n2;The company cut jobs after a loss\n'
            b"3;\n4;too;many;fields\n5;Quarterly earnings beat estimates\n"
        )
    )
    out = tmp_path / "scored.parquet"
    result = _cli("score", "--tasks", "sentiment,topic", "--mask-pii", "--input", str(src), "--text-column", "text", "--output", str(out))
    assert result.returncode == 0, result.stderr
    frame = pq.read_table(out).to_pandas()
    assert list(frame["id"]) == ["1", "2", "3", "5"]
    assert list(frame["status"]) == ["ok", "ok", "empty", "ok"]
    assert frame.loc[0, "text"] == "Profit rose to a record;\nmail [EMAIL]"
    assert frame.loc[1, "sentiment_label"] == "negative" and frame.loc[3, "topic_label"] == "Earnings"
    assert pd.isna(frame.loc[2, "sentiment_label"]) and pd.isna(frame.loc[2, "topic_confidence"])  # no guess for empty text
    assert {"sentiment_prob_positive", "topic_prob_Earnings", "topic_confidence"} <= set(frame.columns)
    assert "scored 4 rows (1 empty)" in result.stdout and "sentiment v1, topic v1" in result.stdout
    assert "warning: 1 row could not be parsed (line 6)" in result.stderr
    assert "5/5 rows" in result.stderr and "rows/s" in result.stderr  # the progress bar
    errors = list(csv.reader((tmp_path / "scored.parquet.errors.csv").open()))
    problem = "4 fields, the header has 2 (check quotes and the delimiter)"
    assert errors == [["line", "problem", "content"], ["6", problem, "4;too;many;fields"]]
    assert not list(tmp_path.glob("*.partial"))


def test_repeated_task_option_utf16_input_and_excel_safe_csv(tiny_models, tmp_path: Path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes(codecs.BOM_UTF16_LE + "id\ttext\n1\t=1+1 profit rose\n2\tShares plunged after a warning\n".encode("utf-16-le"))
    out = tmp_path / "out.csv"
    args = ["score", "--task", "sentiment", "--task", "topic", "--input", str(src), "--text-column", "text", "--output", str(out)]
    assert main([*args, "--quiet"]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0]["text"] == "'=1+1 profit rose" and rows[1]["sentiment_label"] == "negative"
    assert capsys.readouterr().err == ""  # --quiet: no progress bar


def test_latin1_needs_encoding_auto_and_unknown_tasks_fail_cleanly(tiny_models, tmp_path: Path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes("text\nUnternehmensgewähr stieg\n".encode("latin-1"))
    out = tmp_path / "out.csv"
    base = ["score", "--input", str(src), "--text-column", "text", "--output", str(out), "--quiet"]
    assert main([*base, "--task", "sentiment"]) == 1
    assert "not valid UTF-8 (line 2, byte 20)" in capsys.readouterr().err and not out.exists()
    assert main([*base, "--task", "sentiment", "--encoding", "auto"]) == 0
    assert list(csv.DictReader(out.open()))[0]["text"] == "Unternehmensgewähr stieg"
    out.unlink()
    assert main([*base, "--task", "nosuchtask", "--encoding", "auto"]) == 1
    err = capsys.readouterr().err
    assert "no active model for task 'nosuchtask'" in err and len(err.strip().splitlines()) == 1 and not out.exists()
    assert main([*base, "--task", "sentimnet", "--encoding", "auto"]) == 1
    assert "no active model for task 'sentimnet' (did you mean 'sentiment'?); tasks with one: " in capsys.readouterr().err
    assert main(["score", "--input", str(src), "--text-column", "text", "--output", str(out)]) == 1
    assert "name at least one task" in capsys.readouterr().err


def test_a_png_renamed_csv_is_refused_with_one_message_and_nothing_written(tiny_models, tmp_path: Path, capsys):
    from tests.unit.test_scoring_content import MESSAGE, png_bytes

    folder = tmp_path / "files"
    folder.mkdir()
    src = folder / "photo.csv"
    src.write_bytes(png_bytes())
    out = folder / "scored.csv"
    for encoding in ("utf-8", "auto"):  # the default refuses non-UTF-8; auto would read the bytes as Latin-1
        result = _cli("score", "--task", "sentiment", "--input", str(src), "--text-column", "\x89PNG", "--output", str(out),
                      "--encoding", encoding)  # fmt: skip
        assert result.returncode == 1, result.stdout
        assert result.stderr.strip() == f"error: {MESSAGE.replace('photo.csv', str(src))}"
        assert list(folder.iterdir()) == [src]  # no output, no partial, no error report
    train = ["train", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--label-column", "label"]
    assert main(train) == 1  # `core train` (and `core kb import`) read through the same check
    assert capsys.readouterr().err.strip() == f"error: {MESSAGE.replace('photo.csv', str(src))}"


def test_a_header_without_rows_is_refused_before_any_model_loads(tmp_path: Path, capsys):
    folder = tmp_path / "files"
    folder.mkdir()
    src = folder / "export.csv"
    src.write_text("id,text\n")
    args = ["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(folder / "out.csv")]
    assert main(args) == 1  # no models registered here: the file is refused first
    assert capsys.readouterr().err.strip() == f"error: {src}: the file has a header row (id, text) but no data rows below it"
    assert list(folder.iterdir()) == [src]


def test_a_version_other_than_the_active_one_is_scored_when_named(tiny_models, tiny_trained, tmp_path: Path, capsys):
    from core.nlp import registry

    registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="tests")  # v2, not active
    src = tmp_path / "in.csv"
    src.write_text("text\nShares plunged after a warning\n")
    out = tmp_path / "out.csv"
    base = ["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out), "--quiet"]
    assert main([*base, "--version", "sentiment=2"]) == 0
    assert "with the 'sentiment' model (sentiment v2)" in capsys.readouterr().out
    assert list(csv.DictReader(out.open()))[0]["label"] == "negative"
    assert main([*base, "--version", "sentiment=7"]) == 1
    assert "task 'sentiment' has no version 7" in capsys.readouterr().err
    assert main([*base, "--version", "topic=1"]) == 1
    assert "'topic' is not among the tasks to score (sentiment)" in capsys.readouterr().err
    assert main([*base, "--version", "sentiment"]) == 1
    assert "write TASK=N" in capsys.readouterr().err


def test_a_workbook_with_data_after_its_first_sheet_is_warned_about_on_the_command_line(tiny_models, tmp_path: Path, capsys):
    from tests.unit.test_scoring_reading import workbook

    src = tmp_path / "export.xlsx"
    src.write_bytes(workbook(("Scores", [["text"], ["Profit rose"]]), ("Notes", [["checked by the desk"]])))
    assert main(["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(tmp_path / "o.csv")]) == 0
    said = capsys.readouterr()
    assert "scored 1 row" in said.out
    assert ("warning: Only the first sheet of export.xlsx ('Scores') is read; the sheet 'Notes' also holds data. To read "
            "another sheet, add --sheet Notes.") in said.err  # fmt: skip
    faq = tmp_path / "faq.xlsx"
    faq.write_bytes(workbook(("FAQ", [["question", "answer"], ["Fees?", "None."]]), ("Old", [["Lost card?", "Call us."]])))
    assert main(["kb", "import", "--name", "Cards", str(faq)]) == 0
    assert "Only the first sheet of faq.xlsx ('FAQ') is read; the sheet 'Old' also holds data." in capsys.readouterr().err


def test_the_sheet_named_on_the_command_line_is_the_one_read(tiny_models, tmp_path: Path, capsys):
    from core.support import kb
    from tests.unit.test_scoring_reading import workbook

    cover = ("Cover", [["Exported by the desk on 30 November"]])
    src = tmp_path / "export.xlsx"
    src.write_bytes(workbook(cover, ("Q3 news", [["text"], ["Profit rose"], ["Shares fell"], ["Outlook cut"]])))
    written = src.read_bytes()
    out = tmp_path / "o.csv"
    base = ["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out), "--quiet"]
    assert main([*base, "--sheet", "Q3 news"]) == 0
    said = capsys.readouterr()
    assert "scored 3 rows" in said.out and not said.err
    assert [row["text"] for row in csv.DictReader(out.open())] == ["Profit rose", "Shares fell", "Outlook cut"]
    assert src.read_bytes() == written  # the user's file is left as it was: a copy is read
    assert main(base) == 1  # the cover sheet has no 'text' column; the error says how to read the data
    assert main([*base, "--sheet", "Notes"]) == 1
    assert capsys.readouterr().err.endswith(
        "error: --sheet 'Notes': is not a sheet of the workbook (export.xlsx); the sheets with data: 'Cover', 'Q3 news'\n")
    assert main([*base, "--sheet", "q3 NEWS"]) == 0  # a name that differs only in case is the sheet meant
    assert main([*base[:5], "--text-column", "body", "--output", str(out), "--sheet", "Q3 news"]) == 1
    assert capsys.readouterr().err.endswith(f"error: {src}: no column named 'body'; columns are: text\n")  # the file given
    assert main([*base, "--sheet", "Q3 news", "--input", str(tmp_path / "gone.xlsx")]) == 1
    assert capsys.readouterr().err.endswith(f"error: {tmp_path / 'gone.xlsx'}: file not found\n")
    csv_file = tmp_path / "plain.csv"
    csv_file.write_text("text\nProfit rose\n")
    assert main(["score", "--task", "sentiment", "--input", str(csv_file), "--text-column", "text", "--output", str(out),
                 "--sheet", "Data"]) == 1  # fmt: skip
    assert "--sheet 'Data': plain.csv is not an .xlsx workbook" in capsys.readouterr().err
    assert main([*base, "--sheet", "Q3 news", "--engine", "ray"]) == 1
    assert "--sheet works with the local engine" in capsys.readouterr().err

    blank_first = tmp_path / "faq.xlsx"
    blank_first.write_bytes(workbook(("Blank", []), ("Old", [["question", "answer"], ["Fees?", "None."]]),
                                     ("FAQ", [["question", "answer"], ["Lost card?", "Call us."], ["Hours?", "9 to 5."]])))  # fmt: skip
    assert main(["kb", "import", "--name", "Cards", str(blank_first)]) == 1
    assert ("error: faq.xlsx: the workbook's first sheet ('Blank') is empty; to read the sheet with data, add --sheet FAQ"
            in capsys.readouterr().err)  # fmt: skip
    assert main(["kb", "import", "--name", "Cards", str(blank_first), "--sheet", "Blank"]) == 1
    assert "--sheet 'Blank': is empty (faq.xlsx); the sheets with data: 'Old', 'FAQ'" in capsys.readouterr().err
    assert main(["kb", "import", "--name", "Cards", str(blank_first), "--sheet", "FAQ"]) == 0
    assert sorted(kb.kb_entries("Cards")["question"]) == ["Hours?", "Lost card?"]


def test_scoring_the_file_a_version_was_trained_on_says_its_agreement_is_optimistic(tiny_models, tmp_path: Path, capsys):
    from core.nlp import registry
    from core.nlp.runs import execute_run
    from tests.integration.test_training_runs import labelled, queue

    src, out = tmp_path / "labelled.csv", tmp_path / "out.csv"
    labelled().to_csv(src, index=False)
    base = ["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out), "--quiet"]
    assert main(base) == 0  # v1 came without its training rows: nothing is claimed
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("sentiment against column 'label'"))
    assert "careful" not in line
    trained = execute_run(queue(epochs=3))
    registry.promote("sentiment", trained.model_version)
    assert main(base) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("sentiment against column 'label'"))
    learned = len(labelled()) - trained.result["metrics"]["n"]
    assert line.endswith(f"; careful: {learned} of the compared rows were in sentiment v{trained.model_version}'s own "
                         "training data, so the agreement there is optimistic")
