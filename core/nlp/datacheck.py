"""The data check shown before training: what is in a labelled file, what will be dropped and why,
and whether training can start. Row numbers are the file's line numbers (the header is row 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from core.scoring.reading import InputFileError, file_lines, no_column, read_whole_table, suggest_text_column
from core.settings import get_settings
from core.wording import count_of, loose_key

MIN_EXAMPLES_PER_CLASS = 5  # 1 for validation + enough left to learn from
MAX_LABELS = 200
MAX_TRAINING_ROWS = 500_000  # more rows than this belong in a batch job, not an interactive upload


class LabelledFileError(ValueError):
    """The labelled file cannot be read or lacks a column; the message says what and where."""


@dataclass
class DataCheck:
    """The outcome of checking a labelled table; ``problems`` block training, ``warnings`` do not."""

    rows_total: int
    texts: list[str]
    labels: list[str]
    class_counts: dict[str, int]
    dropped: pd.DataFrame  # columns: row, reason, text, label
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def rows_kept(self) -> int:
        return len(self.texts)

    @property
    def label_list(self) -> list[str]:
        return sorted(self.class_counts)

    def drop_summary(self) -> dict[str, int]:
        """How many rows each reason drops, e.g. {"empty text": 3}."""
        return self.dropped["reason"].value_counts().to_dict() if len(self.dropped) else {}

    def fingerprint(self) -> str:
        return data_fingerprint(self.texts, self.labels)


def data_fingerprint(texts: list[str], labels: list[str]) -> str:
    """sha256 over the sorted (text, label) pairs: the same rows in any order give the same print."""
    digest = hashlib.sha256()
    for text, label in sorted(zip(texts, labels)):
        digest.update(text.encode("utf-8") + b"\x1f" + label.encode("utf-8") + b"\x1e")
    return digest.hexdigest()


def read_labelled_file(source: Path | BinaryIO | bytes, name: str = "") -> pd.DataFrame:
    """Read a CSV (UTF-8, UTF-16 or Windows-1252/Latin-1; comma, semicolon, tab or pipe) or an Excel .xlsx file (its first
    sheet) with every cell as text; raise LabelledFileError. A one-column CSV stays one column (a free delimiter guess
    would split "text" at its "x")."""
    if isinstance(source, Path):
        name = name or str(source)
        if not source.exists():
            raise LabelledFileError(f"{name}: file not found")
        raw = source.read_bytes()
    else:
        raw = source if isinstance(source, bytes) else source.read()
    name = name or "the file"
    limit_mb = get_settings().upload_max_mb
    if len(raw) > limit_mb * 1024 * 1024:
        size = len(raw) / 1024 / 1024
        raise LabelledFileError(f"{name}: {size:.1f} MB is over the upload limit of {limit_mb:g} MB (BEACON_UPLOAD_MAX_MB)")
    if not raw.strip():
        raise LabelledFileError(f"{name}: the file is empty")
    try:
        frame = read_whole_table(raw, name, MAX_TRAINING_ROWS + 1)
    except InputFileError as exc:
        raise LabelledFileError(str(exc)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) > MAX_TRAINING_ROWS:
        raise LabelledFileError(
            f"{name}: {len(frame):,} rows is over the limit of {MAX_TRAINING_ROWS:,} training rows; sample the file first"
        )
    return frame


def suggest_columns(frame: pd.DataFrame) -> tuple[str | None, str | None]:
    """Guess (text column, label column): the longest average text, and among the rest a column named as labels are
    (label, sentiment, topic, ...), else the one with the fewest distinct values but two at least (a column with one
    value, such as the source of every row, cannot teach anything)."""
    columns = list(frame.columns)
    if not columns:
        return None, None
    sample = frame.head(500)
    text = next((c for c in columns if c.lower() in {"text", "sentence", "message"}), None) or suggest_text_column(sample)
    others = [c for c in columns if c != text]
    if not others:
        return text, None
    label = min(others, key=lambda c: (c.lower() not in LABEL_COLUMN_NAMES, sample[c].nunique() < 2, sample[c].nunique()))
    return text, label


LABEL_COLUMN_NAMES = {"label", "labels", "class", "intent", "sentiment", "topic", "category", "target", "tag"}


# Tasks whose labels other parts of Beacon read: news monitoring, trends, digests and alerts count "negative" items
# (and show "neutral" and "positive"); customer service escalates an upset customer on "negative".
SENTIMENT_LABELS = ("negative", "neutral", "positive")
LABELS_READ_BY_BEACON = {"sentiment": SENTIMENT_LABELS, "customer_sentiment": SENTIMENT_LABELS}
LABELS_READ_BY = {"sentiment": "news monitoring, trends and alerts", "customer_sentiment": "customer service"}


def labels_problem(task: str, labels: Iterable[str]) -> str | None:
    """Why ``labels`` cannot be ``task``'s (a task whose labels Beacon reads: they must be among its labels and
    include "negative"), or None."""
    allowed = LABELS_READ_BY_BEACON.get(task)
    if allowed is None:
        return None
    unknown = sorted(set(labels) - set(allowed))
    if not unknown and "negative" in labels:
        return None
    found = f"these labels are not among them: {_some([short_label(u) for u in unknown])}" if unknown else "the label 'negative' is missing"
    numbers = bool(unknown) and all(label.lstrip("+-").replace(".", "", 1).isdigit() for label in unknown)
    example = ("codes such as 0, 1, 2 mean different sentiments in different datasets, so say which is which: 0 to "
               "negative if it means that in yours" if numbers else "for example bearish to negative")
    return (f"the {task} task's labels are read by {LABELS_READ_BY[task]}, which know {', '.join(allowed)}; {found}. "
            f"Rename them in the file ({example}), or choose a new task to train your own labels")  # fmt: skip


def check_labelled_data(
    frame: pd.DataFrame,
    text_column: str,
    label_column: str,
    min_per_class: int = MIN_EXAMPLES_PER_CLASS,
    known_labels: list[str] | None = None,
    task: str | None = None,
    leave_out_small: bool = False,
) -> DataCheck:
    """Clean and check a labelled table for ``task``. Dropped rows: empty text, empty label, a text that appears
    with two or more labels (all its rows), repeated text with the same label (all but the first), and with
    ``leave_out_small`` the rows of a class with fewer than ``min_per_class`` usable examples (instead of a problem
    that blocks training)."""
    for column in (text_column, label_column):
        if column not in frame.columns:
            raise LabelledFileError(no_column(column, frame.columns))
    if text_column == label_column:
        raise LabelledFileError("the text column and the label column must be different columns")
    table = pd.DataFrame(
        {
            "row": file_lines(frame),
            "text": frame[text_column].fillna("").astype(str).str.strip(),
            "label": frame[label_column].fillna("").astype(str).str.strip(),
        }
    )
    preferred = [*LABELS_READ_BY_BEACON.get(task or "", ()), *(known_labels or [])]
    table["label"], respelled = one_spelling_per_label(table["label"], preferred)
    renamed = sentiment_names(table["label"]) if LABELS_READ_BY_BEACON.get(task or "") == SENTIMENT_LABELS else {}
    table["label"] = table["label"].map(lambda label: renamed.get(label, label))
    table, dropped = _usable_rows(table, min_per_class if leave_out_small else None)
    check = DataCheck(
        rows_total=len(frame),
        texts=table["text"].tolist(),
        labels=table["label"].tolist(),
        class_counts=dict(sorted(table["label"].value_counts().items())),
        dropped=_dropped_frame(dropped),
    )
    check.warnings += _relabelled_warnings(respelled, renamed)
    if not_labels := not_labels_problem(label_column, check.class_counts, check.rows_kept):
        check.problems.append(not_labels)  # the one thing to fix: every other check would list each "class"
        return check
    problem = labels_problem(task, check.class_counts) if task and check.class_counts else None
    _judge(check, min_per_class, None if problem else known_labels)  # refused labels need no "they differ" too
    if problem:
        check.problems.append(problem)
    return check


def _usable_rows(table: pd.DataFrame, min_per_class: int | None) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """``table`` (row, text, label) without the rows training cannot use, and those rows with their reason: empty text,
    empty label, a text with two or more labels, repeats of a text, and with ``min_per_class`` a class's rows when it
    has fewer usable examples."""
    dropped: list[pd.DataFrame] = []

    def drop(mask: pd.Series, reason: pd.Series | str) -> None:
        nonlocal table
        part = table[mask].copy()
        part["reason"] = reason if isinstance(reason, str) else reason[mask]
        dropped.append(part)
        table = table[~mask]

    drop(table["text"] == "", "empty text")
    drop(table["label"] == "", "empty label")
    labels_per_text = table.groupby("text")["label"].agg(lambda s: sorted(set(s)))
    conflicting = table["text"].map(labels_per_text).map(len) > 1
    reasons = "text appears with labels " + table["text"].map(labels_per_text).map(" and ".join)
    drop(conflicting, reasons)
    first_row = table.groupby("text")["row"].transform("min")
    drop(table["row"] != first_row, "duplicate of row " + first_row.astype(str))
    if min_per_class is not None:
        per_class = table["label"].map(table["label"].value_counts())
        small = per_class < min_per_class
        drop(small, "class left out: " + per_class.astype(str) + f" usable examples of the {min_per_class} needed")
    return table, dropped


def _relabelled_warnings(respelled: dict[str, str], renamed: dict[str, str]) -> list[str]:
    """What the check says of labels it read as others: other capitals or spaces, and a file's own sentiment names."""
    said = []
    if respelled:
        shown = ", ".join(f"{old!r} as {new!r}" for old, new in list(respelled.items())[:LABELS_NAMED])
        more = f" and {len(respelled) - LABELS_NAMED} more" if len(respelled) > LABELS_NAMED else ""
        said.append(f"labels written with other capitals or spaces are read as one label: {shown}{more}")
    if renamed:
        shown = ", ".join(f"{old!r} as {new!r}" for old, new in sorted(renamed.items(), key=lambda pair: pair[1]))
        said.append(f"the file's sentiment labels are read as Beacon's: {shown}")
    return said


NOT_LABELS_MIN = 10  # different values from which a column where few rows share a value is taken for texts, not labels


def not_labels_problem(label_column: str, counts: dict[str, int], rows: int) -> str | None:
    """Why ``label_column`` does not look like labels (at least NOT_LABELS_MIN different values and more than half as
    many as the usable rows: few rows share a value, as in a column of answers or comments), or None."""
    if len(counts) < NOT_LABELS_MIN or 2 * len(counts) <= rows:
        return None
    return (f"the label column {label_column!r} has {len(counts):,} different values in {rows:,} usable rows, so "
            f"hardly any rows share a label ({_some([repr(short_label(label)) for label in counts])}): is it the label "
            "column? Labels are the few values that repeat, such as positive/negative or an intent name")  # fmt: skip


def short_label(label: str, limit: int = 40) -> str:
    """A label as a message names it: a long one cut at ``limit`` characters."""
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


SENTIMENT_WORDS = {"neg": "negative", "neu": "neutral", "pos": "positive"}  # not bearish/bullish: a market view is renamed by a person
SENTIMENT_SIGNS = {"-1": "negative", "0": "neutral", "1": "positive", "+1": "positive",
                   "-1.0": "negative", "0.0": "neutral", "1.0": "positive"}  # fmt: skip


def sentiment_spellings(keys: Iterable[str]) -> dict[str, str]:
    """{spelling: Beacon's sentiment label} that values with these ``loose_key``s may be read by: neg/neu/pos always,
    -1/0/1 only with -1 among them (0/1 alone may mean negative/positive)."""
    return {**SENTIMENT_WORDS, **(SENTIMENT_SIGNS if {"-1", "-1.0"} & set(keys) else {})}


def sentiment_names(labels: pd.Series) -> dict[str, str]:
    """{label in the file: Beacon's sentiment label} when every label that is not already negative, neutral or positive
    has one unambiguous meaning (``sentiment_spellings``); else {} and the labels are left for ``labels_problem`` to
    refuse."""
    keys = {label: loose_key(label) for label in labels.drop_duplicates() if label}
    others = {label: key for label, key in keys.items() if key not in SENTIMENT_LABELS}
    table = sentiment_spellings(keys.values())
    if not others or any(key not in table for key in others.values()):
        return {}
    return {label: table[key] for label, key in others.items()}


def one_spelling_per_label(labels: pd.Series, preferred: Iterable[str] = ()) -> tuple[pd.Series, dict[str, str]]:
    """Labels that differ only in capitals or spaces ("Positive", "positive", "billing  issue") as one spelling: a
    ``preferred`` one (the task's fixed labels, then the active version's) when it matches, else the file's most
    frequent (the first seen on a tie); returns the labels and {spelling in the file: spelling used} for those changed."""
    counts = labels.value_counts(sort=False)
    wanted = {loose_key(label): label for label in reversed(list(preferred))}
    most_used: dict[str, str] = {}
    for spelling in labels.drop_duplicates():
        key = loose_key(spelling)
        if key not in most_used or counts[spelling] > counts[most_used[key]]:
            most_used[key] = spelling
    canonical = {key: wanted.get(key, spelling) for key, spelling in most_used.items()}
    respelled = {spelling: canonical[loose_key(spelling)] for spelling in counts.index}
    respelled = {spelling: used for spelling, used in respelled.items() if spelling != used}
    return (labels.map(lambda label: respelled.get(label, label)) if respelled else labels), respelled


def _dropped_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    columns = ["row", "reason", "text", "label"]
    frames = [p[columns] for p in parts if len(p)]
    return pd.concat(frames).sort_values("row").reset_index(drop=True) if frames else pd.DataFrame(columns=columns)


def small_classes(counts: dict[str, int], min_per_class: int = MIN_EXAMPLES_PER_CLASS) -> dict[str, int]:
    """The classes with too few usable examples to train on, with their counts."""
    return {label: n for label, n in counts.items() if n < min_per_class}


def classes_to_leave_out(counts: dict[str, int], min_per_class: int = MIN_EXAMPLES_PER_CLASS) -> dict[str, int]:
    """The classes too small to train on that may be left out instead: none when that would not leave two classes
    to train (a column of answers or comments is the wrong column, not one to thin out)."""
    small = small_classes(counts, min_per_class)
    return small if len(counts) - len(small) >= 2 else {}


def _judge(check: DataCheck, min_per_class: int, known_labels: list[str] | None) -> None:
    counts = check.class_counts
    if check.rows_total == 0:
        check.problems.append("the file has a header but no rows")
    if len(counts) < 2:
        check.problems.append(f"training needs at least 2 classes; the usable rows have {len(counts)}")
    if len(counts) > MAX_LABELS:
        check.problems.append(f"{len(counts)} different labels is more than the {MAX_LABELS} supported; is the label column right?")
    check.problems += _small_classes_problems(small_classes(counts, min_per_class), min_per_class)
    summary = check.drop_summary()
    if summary:
        parts = ", ".join(f"{n} {kind}" for kind, n in _grouped(summary).items())
        check.warnings.append(f"{len(check.dropped):,} of {check.rows_total:,} rows will be dropped ({parts})")
    if known_labels and counts:
        new = sorted(set(counts) - set(known_labels))
        missing = sorted(set(known_labels) - set(counts))
        if new or missing:
            check.warnings.append(
                "the labels differ from the active version's"
                + (f"; new: {_some(new)}" if new else "")
                + (f"; not in this file: {_some(missing)}" if missing else "")
                + " (the new version predicts only this file's labels)"
            )
    if counts and max(counts.values()) > 20 * min(counts.values()):
        check.warnings.append("the classes are very unbalanced (largest > 20x smallest); the small ones may be predicted poorly")


LABELS_NAMED = 10
SMALL_CLASSES_SPELT_OUT = 3  # more classes too small to train on are named in one line


def _small_classes_problems(small: dict[str, int], min_per_class: int) -> list[str]:
    if len(small) > SMALL_CLASSES_SPELT_OUT:
        shown = _some([f"{short_label(label)!r} ({n})" for label, n in small.items()])
        return [f"{len(small)} classes have fewer than the {min_per_class} usable examples needed: {shown}; add examples "
                "or remove those classes"]  # fmt: skip
    return [f"class {short_label(label)!r} has {count_of(n, 'usable example')}; at least {min_per_class} are needed "
            f"(add {min_per_class - n} more or remove the class)" for label, n in small.items()]  # fmt: skip


def _some(labels: list[str]) -> str:
    """Up to ``LABELS_NAMED`` labels, and how many more (a bank's 77 intents would fill the page)."""
    more = len(labels) - LABELS_NAMED
    return ", ".join(labels[:LABELS_NAMED]) + (f" and {more} more" if more > 0 else "")


def _grouped(summary: dict[str, int]) -> dict[str, int]:
    """Fold per-row reasons ("duplicate of row 4", "text appears with labels a and b") into kinds."""
    kinds = {"duplicate": "duplicate text", "text appears": "conflicting labels", "class left out": "in classes left out"}
    out: dict[str, int] = {}
    for reason, n in summary.items():
        kind = next((v for k, v in kinds.items() if reason.startswith(k)), reason)
        out[kind] = out.get(kind, 0) + n
    return out
