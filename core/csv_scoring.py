"""Score a CSV file with a task's active model: input rows plus label, confidence and one
probability column per class. Problems with the file are reported as ``InputFileError``."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from core.nlp.registry import active_classifier

ProgressFn = Callable[[int, int], None]


class InputFileError(ValueError):
    """The input file cannot be scored as asked; the message names the file and the problem."""


def read_input_csv(path: Path, text_column: str) -> pd.DataFrame:
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise InputFileError(f"{path}: the file is empty")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            f"{path}: not valid UTF-8 (byte {exc.start}); save the file as UTF-8 and try again"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{path}: the file has no header row") from exc
    except (pd.errors.ParserError, csv.Error) as exc:
        raise InputFileError(f"{path}: cannot be parsed as CSV: {exc}") from exc
    if text_column not in frame.columns:
        raise InputFileError(
            f"{path}: no column named {text_column!r}; columns are: {', '.join(map(str, frame.columns))}"
        )
    return frame


def score_frame(frame: pd.DataFrame, text_column: str, task: str, progress: ProgressFn | None = None) -> pd.DataFrame:
    classifier = active_classifier(task)
    probs = classifier.predict_proba(frame[text_column].fillna("").astype(str).tolist(), progress=progress)
    out = frame.copy()
    out["label"] = [classifier.labels[i] for i in probs.argmax(axis=1)] if len(out) else []
    out["confidence"] = probs.max(axis=1) if len(out) else []
    for i, label in enumerate(classifier.labels):
        out[f"prob_{label}"] = probs[:, i]
    return out


def score_csv(
    input_path: Path, output_path: Path, task: str, text_column: str, progress: ProgressFn | None = None
) -> int:
    """Read, score and write; the output file is written only after scoring succeeded."""
    frame = read_input_csv(input_path, text_column)
    scored = score_frame(frame, text_column, task, progress)
    tmp = output_path.with_suffix(output_path.suffix + ".partial")
    scored.to_csv(tmp, index=False)
    tmp.replace(output_path)
    return len(scored)
