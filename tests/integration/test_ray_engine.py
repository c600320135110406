"""The Ray engine (core.scoring.ray_engine) on one local Ray started once for the test run (2 CPUs, ``local_ray`` in
tests/conftest.py): the same labels and columns as the local engine on the same file, the CLI, progress, cancel and
clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.__main__ import main
from core.scoring.reading import InputFileError
from tests.conftest import TINY_SENTIMENT, TINY_TOPIC

ray = pytest.importorskip("ray")


def _input(folder: Path, rows: int = 300) -> pd.DataFrame:
    texts = [t for t, _ in TINY_SENTIMENT + TINY_TOPIC] + ["", "Shares plunged after a warning"]
    text = [texts[i % len(texts)] + ("" if i % 7 else f" {i}") + ("\nand a second line" if i % 11 == 3 else "") for i in range(rows)]
    frame = pd.DataFrame({"id": [f"{i:05d}" for i in range(rows)], "text": text})
    frame.loc[5, "text"] = ""
    frame["status"] = "from the export"  # clashes with an output column: renamed input_status, as locally
    return frame


def test_ray_engine_gives_the_local_engines_labels_and_columns(tiny_models, local_ray, tmp_path: Path):
    from core.scoring.batch import score_file
    from core.scoring.ray_engine import SUMMARY, score_with_ray

    frame = _input(tmp_path)
    folder = tmp_path / "in"
    folder.mkdir()
    frame.iloc[:180].to_csv(folder / "a.csv", index=False)
    frame.iloc[180:].to_csv(folder / "b.csv", index=False)
    outputs = [score_file(folder / n, tmp_path / f"{n}.parquet", ["sentiment", "topic"], "text").output for n in ("a.csv", "b.csv")]
    local = pd.concat([pq.read_table(path).to_pandas() for path in outputs])
    seen = []
    summary = score_with_ray(str(folder / "*.csv"), tmp_path / "out", ["sentiment", "topic"], "text", block_rows=64,
                             progress=lambda done, total: seen.append((done, total)))  # fmt: skip
    remote = pq.read_table(tmp_path / "out").to_pandas().sort_values("id").reset_index(drop=True)
    assert list(remote.columns) == list(local.columns)  # input columns kept (clash renamed), then the local engine's
    assert list(remote["id"]) == list(frame["id"]) and list(remote["input_status"]) == ["from the export"] * 300
    local = local.sort_values("id").reset_index(drop=True)
    for col in ("status", "sentiment_label", "topic_label"):
        assert remote[col].fillna("-").tolist() == local[col].fillna("-").tolist()
    assert (remote["sentiment_confidence"] - local["sentiment_confidence"]).abs().max() < 0.01  # bf16 on CPU; other batch neighbours
    assert remote["sentiment_label"].nunique() == 3 and remote.loc[5, "status"] == "empty"
    assert summary.rows == 300 and summary.rows_empty == int((frame["text"] == "").sum()) and summary.workers == 2
    assert summary.counts["sentiment"] == {k: int(v) for k, v in local["sentiment_label"].value_counts().items()}
    assert seen[0] == (0, 300) and seen[-1] == (300, 300) and summary.parts >= 5
    assert (tmp_path / "out" / SUMMARY).exists()


def test_cli_engine_ray_and_cancel_keep_parts(tiny_models, local_ray, tmp_path: Path, capsys):
    from core.scoring.ray_engine import SUMMARY, ScoringCancelled, score_with_ray

    src = tmp_path / "in.parquet"
    frame = _input(tmp_path, 200)
    frame["label"] = ["positive", "Negative", "neutral", None] * 50  # labelled by hand: compared, as a local run would
    frame.to_parquet(src)
    out = tmp_path / "out"
    args = ["score", "--engine", "ray", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out)]
    args.append("--quiet")
    assert main(args) == 0
    printed = capsys.readouterr().out
    scored = pq.read_table(out).to_pandas()
    assert "scored 200 rows" in printed
    assert scored.shape[0] == 200 and "prob_positive" in scored.columns
    compared = scored[(scored["status"] == "ok") & scored["input_label"].notna()]  # "label" is the model's column here
    same = int((compared["input_label"].str.lower() == compared["label"]).sum())
    assert f"sentiment against column 'label': the same label on {same:,} of {len(compared):,} rows" in printed
    assert "not compared" in printed
    assert main(args) == 1 and "already holds scored parts" in capsys.readouterr().err
    with pytest.raises(ScoringCancelled, match="stopped after"):
        score_with_ray(str(src), tmp_path / "stopped", ["sentiment"], "text", block_rows=20, should_stop=lambda: True)
    kept = json.loads((tmp_path / "stopped" / SUMMARY).read_text())
    assert kept["cancelled"] is True and kept["rows"] == pq.read_table(tmp_path / "stopped").num_rows <= 200  # parts in flight finish


def test_bad_input_names_the_file_or_column(tiny_models, tmp_path: Path):
    from core.scoring.ray_engine import score_with_ray

    (tmp_path / "good.csv").write_text("id,text\n1,Profit rose\n")
    (tmp_path / "other.csv").write_text("id,body\n1,Profit rose\n")
    with pytest.raises(InputFileError, match=r"other\.csv: no column named 'text'; columns are: id, body"):
        score_with_ray(str(tmp_path / "*.csv"), tmp_path / "o1", ["sentiment"], "text")
    with pytest.raises(InputFileError, match="no file matches"):
        score_with_ray(str(tmp_path / "nothing-*.parquet"), tmp_path / "o2", ["sentiment"], "text")
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(InputFileError, match=r"broken\.parquet: cannot be read"):
        score_with_ray(str(tmp_path / "broken.parquet"), tmp_path / "o3", ["sentiment"], "text")


def test_csv_inputs_are_read_by_the_local_reader_so_a_bad_row_costs_only_its_line(tiny_models, local_ray, tmp_path: Path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [f"{i},Profit rose {i}" for i in range(1, 9)]
    # a stray quote on line 3 (pyarrow read the rest of the file into that one value: 2 rows scored of 8)
    (folder / "a.csv").write_text("id,text\n" + "\n".join(rows[:2] + ['3,"Shares fell'] + rows[3:]) + "\n")
    (folder / "b.csv").write_text("id;text\n" + "\n".join(r.replace(",", ";", 1) + ";" for r in rows) + "\n")  # ; and a ; at each end
    (folder / "c.csv").write_text('id,text\n1,"A quoted post\nover two lines"\n2,Sales fell,too,many\n')
    out = tmp_path / "out"
    args = ["score", "--engine", "ray", "--task", "sentiment", "--input", str(folder), "--text-column", "text", "--output", str(out)]
    assert main([*args, "--quiet"]) == 0
    printed = capsys.readouterr()
    assert "scored 8 rows" not in printed.out and "scored 16 rows from 3 files" in printed.out
    assert "warning: 2 rows could not be parsed (a.csv line 4, c.csv line 4)" in printed.err
    scored = pq.read_table(out).to_pandas()
    expected = [f"Profit rose {i}" for i in [1, 2, *range(4, 9)] + list(range(1, 9))] + ["A quoted post\nover two lines"]
    assert sorted(scored["text"]) == sorted(expected)
    assert scored["id"].map(type).eq(str).all() and not (out / "_input").exists()
    report = pd.read_csv(out / "_errors.csv", dtype=str)
    assert list(report.columns) == ["file", "line", "problem", "content"]
    assert report[["file", "line"]].values.tolist() == [["a.csv", "4"], ["c.csv", "4"]]
    assert "never closed" in report.loc[0, "problem"] and "4 fields, the header has 2" in report.loc[1, "problem"]
    assert json.loads((out / "_summary.json").read_text())["rows_bad"] == 2


def test_csv_inputs_without_rows_to_score_say_so_before_ray_starts(tiny_models, tmp_path: Path):
    from core.scoring.ray_engine import score_with_ray

    (tmp_path / "header.csv").write_text("id,text\n")
    with pytest.raises(InputFileError, match="holds no data rows|no data rows"):
        score_with_ray(str(tmp_path / "header.csv"), tmp_path / "o1", ["sentiment"], "text")
    (tmp_path / "bad.csv").write_text('id,text\n1,"never closed\n')
    with pytest.raises(InputFileError, match=r"no row could be parsed \(see .*_errors\.csv\)"):
        score_with_ray(str(tmp_path / "bad.csv"), tmp_path / "o2", ["sentiment"], "text")
    assert "never closed" in (tmp_path / "o2" / "_errors.csv").read_text() and not (tmp_path / "o2" / "_input").exists()
    (tmp_path / "notes.txt").write_text("id,text\n1,x\n")
    with pytest.raises(InputFileError, match=r"reads \.csv, \.csv\.gz, \.xlsx or \.parquet files only"):
        score_with_ray(str(tmp_path / "notes.txt"), tmp_path / "o3", ["sentiment"], "text")
