"""How a finished scoring run agrees with labels the uploaded file already had: a column whose values are the
task's classes (a file someone labelled by hand, or an older tool's output) is compared with the model's labels, so
a team can see how far to trust a model on its own data before acting on it or training a new version."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core.downloads import safe_csv
from core.nlp.datacheck import SENTIMENT_LABELS, sentiment_spellings
from core.nlp.evaluation import confusion_report
from core.scoring.engine import STATUS_OK, Layout
from core.scoring.runs import get_run, result_parts, run_dir, run_layout
from core.wording import count_of, loose_key

MIN_SHARE = 0.95  # of a column's filled cells that must be the task's classes for it to count as labels


@dataclass(frozen=True)
class LabelAgreement:
    """The model's labels for ``task`` against the file's column ``column`` (rows: the file's label)."""

    task: str
    column: str
    labels: list[str]
    compared: int  # scored rows whose column holds one of the task's classes
    not_compared: int  # the other rows: no or another label in the column, or an empty text
    accuracy: float
    macro_f1: float
    confusion: list[list[int]]  # rows = the file's label, columns = the model's, in ``labels`` order
    result_columns: tuple[str, str]  # the file's label column and the model's label column, as the result names them
    read_as: tuple[tuple[str, str], ...] = ()  # (value in the column, class) for values not named as the class: ("-1", "negative")
    version: int | None = None  # the version of the task that scored the file
    seen: int | None = None  # compared rows that version learned from (None: not known); its agreement there is optimistic

    @property
    def differing(self) -> int:
        """Compared rows where the model's label is not the file's."""
        return self.compared - sum(self.confusion[i][i] for i in range(len(self.labels)))

    def line(self) -> str:
        """One line for the command line: "sentiment against column 'label': the same label on 589 of 600 rows
        (98.2%), macro-F1 0.975; 3 rows not compared"."""
        read_as = ", ".join(f"{value} as {label}" for value, label in self.read_as)
        same = self.compared - self.differing
        text = (f"{self.task} against column {self.column!r}{f' (read {read_as})' if read_as else ''}: the same label on "
                f"{same:,} of {self.compared:,} rows ({self.accuracy:.1%}), macro-F1 {self.macro_f1:.3f}")  # fmt: skip
        text += f"; {self.not_compared:,} not compared (no such label, or an empty text)" if self.not_compared else ""
        return text + (f"; careful: {self.seen_text()}" if self.seen else "")

    def seen_text(self) -> str:
        """"152 of the compared rows were in complaint_type v2's own training data, so the agreement there is optimistic"."""
        rows = count_of(self.seen or 0, "of the compared rows was", "of the compared rows were")
        return f"{rows} in {self.task} v{self.version}'s own training data, so the agreement there is optimistic"


def _canonical(labels: list[str], read_as: Iterable[tuple[str, str]] = ()) -> dict[str, str]:
    return {label.strip().casefold(): label for label in labels} | {loose_key(value): label for value, label in read_as}


def _as_labels(cells: pd.Series, known: dict[str, str]) -> pd.Series:
    """The task's class each cell names (case and surrounding spaces ignored); NaN for an empty cell or another value."""
    return _keys(cells).map(known)


def _keys(cells: pd.Series) -> pd.Series:
    return cells.fillna("").astype(str).str.strip().str.casefold()


def _other_spellings(labels: list[str], cells: pd.Series) -> dict[str, str]:
    """{spelling: class} a column may also write the task's classes in: sentiment as neg/neu/pos, or as -1/0/1 when
    -1 is among the column's values (as Model Studio reads a labelled file)."""
    return sentiment_spellings(set(_keys(cells))) if sorted(labels) == sorted(SENTIMENT_LABELS) else {}


@dataclass(frozen=True)
class ColumnReading:
    """How a column reads as a task's classes: its filled cells, the spellings it is read by, the cells naming a class."""

    filled: int
    spellings: dict[str, str]  # other spellings of the classes ("-1": negative)
    known: dict[str, str]  # every spelling it is read by (its cells' keys) -> class
    hits: int

    @property
    def holds_labels(self) -> bool:
        """Whether the column counts as the task's labels: filled, and nearly every filled cell one of its classes."""
        return bool(self.filled) and self.hits / self.filled >= MIN_SHARE


def read_as_labels(labels: list[str], cells: pd.Series) -> ColumnReading:
    """``cells`` (a column of the file) read as the classes ``labels``."""
    filled = int(_keys(cells).ne("").sum())
    spellings = _other_spellings(labels, cells)
    known = _canonical(labels) | spellings
    return ColumnReading(filled, spellings, known, int(_as_labels(cells, known).notna().sum()) if filled else 0)


@dataclass
class _Candidate:
    """An input column judged to hold a task's classes, and what it has been compared on so far."""

    spellings: dict[str, str]  # other spellings of the classes it is read by ("-1": negative)
    known: dict[str, str]  # every spelling it is read by (its cells' keys) -> class
    judged_hits: int  # its cells naming a class in the chunk it was judged on (the best column has the most)
    confusion: np.ndarray  # rows: the column's class, columns: the model's, in the task's label order
    skipped: int = 0
    read_as: dict[str, str] = field(default_factory=dict)
    seen: int = 0  # compared rows whose text the scoring version learned from


class LabelTally:
    """Compares, chunk by chunk as a file is scored or read back, the model's labels with every input column whose
    filled cells are mostly one task's classes. Each column is judged on the first chunk where it has filled cells
    (so labels that start further down count); the column judged with the most class cells is the task's."""

    def __init__(self, layout: Layout, text_column: str, versions: dict[str, int] | None = None) -> None:
        """``versions``: the version of each task that scored the file; the compared rows one of them learned from are
        counted (``learned_texts``), looked up once a column of the task's classes is found."""
        self.layout = layout
        columns = dict(zip(layout.input_columns, layout.output_input_columns))
        self.text = columns[text_column]
        self.versions = versions or {}
        self.learned: dict[str, frozenset[str] | None] = {}
        self.inputs = {name: result for name, result in columns.items() if name != text_column}
        self.tasks = {task: [key.removeprefix("prob:") for key in cols if key.startswith("prob:")]
                      for task, cols in layout.task_columns.items()}  # fmt: skip
        self.index = {task: {label: i for i, label in enumerate(labels)} for task, labels in self.tasks.items()}
        self.pending = {task: dict(self.inputs) for task in self.tasks}
        self.found: dict[str, dict[str, _Candidate]] = {task: {} for task in self.tasks}
        self.rows = 0  # rows added so far

    def columns_wanted(self) -> list[str]:
        """The result columns the next chunk must hold: the ones still to judge, those judged to be labels, status,
        the model's labels and, while a label column may still be found or a scoring version's learned texts are
        known, the texts."""
        wanted = {"status", *(self.layout.task_columns[task]["label"] for task in self.tasks)}
        if self.versions and (any(self.pending.values()) or any(self.learned.values())):
            wanted.add(self.text)  # the texts, the largest column, only while they may be counted as learned from
        for task in self.tasks:
            wanted |= set(self.pending[task].values()) | {self.inputs[name] for name in self.found[task]}
        return sorted(wanted)

    def add(self, frame: pd.DataFrame) -> None:
        for task, labels in self.tasks.items():
            for name, column in list(self.pending[task].items()):
                reading = read_as_labels(labels, frame[column])
                if not reading.filled:
                    continue  # judged on a later chunk
                del self.pending[task][name]
                if reading.holds_labels:  # the rows before this chunk had no label in it: not compared
                    square = np.zeros((len(labels), len(labels)), dtype=np.int64)
                    self.found[task][name] = _Candidate(reading.spellings, reading.known, reading.hits, square, skipped=self.rows)
                    if task not in self.learned and task in self.versions:
                        self.learned[task] = learned_texts(task, self.versions[task])
            for name, candidate in self.found[task].items():
                self._count(frame, task, self.inputs[name], candidate)
        self.rows += len(frame)

    def _count(self, frame: pd.DataFrame, task: str, column: str, candidate: _Candidate) -> None:
        truth = _as_labels(frame[column], candidate.known)
        compared = (frame["status"] == STATUS_OK) & truth.notna()
        index = self.index[task]
        rows = truth[compared].map(index).to_numpy(dtype=np.int64)
        columns = frame.loc[compared, self.layout.task_columns[task]["label"]].map(index).to_numpy(dtype=np.int64)
        np.add.at(candidate.confusion, (rows, columns), 1)  # counts, not lists: a file of millions of rows stays small
        candidate.skipped += int((~compared).sum())
        if learned := self.learned.get(task):
            candidate.seen += int(frame.loc[compared, self.text].fillna("").astype(str).str.strip().isin(learned).sum())
        written = frame.loc[compared, column].astype(str).str.strip()
        candidate.read_as |= {value: candidate.spellings[loose_key(value)] for value in written.drop_duplicates()
                              if loose_key(value) in candidate.spellings}  # fmt: skip

    def agreements(self) -> list[LabelAgreement]:
        """One agreement per task whose classes appear as a column of the file."""
        found = []
        for task, labels in self.tasks.items():
            if not self.found[task]:
                continue
            name, best = max(self.found[task].items(), key=lambda pair: pair[1].judged_hits)  # the first on a tie
            report = confusion_report(best.confusion, labels)
            read_as = tuple(sorted(best.read_as.items(), key=lambda pair: labels.index(pair[1])))
            found.append(LabelAgreement(task, name, labels, report["n"], best.skipped, report["accuracy"], report["macro_f1"],
                                        report["confusion_matrix"], (self.inputs[name], self.layout.task_columns[task]["label"]),
                                        read_as, self.versions.get(task),
                                        best.seen if self.learned.get(task) is not None else None))  # fmt: skip
        return found


def learned_texts(task: str, version: int) -> frozenset[str] | None:
    """The texts (stripped) ``version`` of ``task`` learned from, when Beacon still knows them
    (``core.nlp.runs.texts_learned_from``); None otherwise (a deleted version or training run, a compressed student)."""
    from core.nlp import registry
    from core.nlp.runs import texts_learned_from

    try:
        learned = texts_learned_from(registry.get_version(task, version))
    except LookupError:
        return None
    return None if learned is None else frozenset(text.strip() for text in learned)


def label_agreements(run_id: int) -> list[LabelAgreement]:
    """One agreement per task whose classes appear as a column of the uploaded file; [] when none does or the run
    has written nothing. Remembered per run (its folder and creation time) and number of chunks written."""
    run = get_run(run_id)
    return list(_agreements(run_id, str(run_dir(run_id)), run.created_at, run.parts_done)) if run.parts_done else []


@lru_cache(maxsize=32)
def _agreements(run_id: int, _folder: str, _created: datetime, _parts_done: int) -> tuple[LabelAgreement, ...]:
    run = get_run(run_id)
    return tuple(parts_agreements(result_parts(run), run_layout(run), run.text_column, run.model_versions))


def parts_agreements(
    parts: Sequence[Path], layout: Layout, text_column: str, versions: dict[str, int] | None = None
) -> list[LabelAgreement]:
    """The agreements of scored Parquet ``parts`` laid out as ``layout`` (a run's chunks, or the parts ``python -m
    core score --engine ray`` wrote), read back part by part with only the columns the tally needs."""
    tally = LabelTally(layout, text_column, versions)
    for path in parts:
        tally.add(pq.read_table(path, columns=tally.columns_wanted()).to_pandas())
    return tally.agreements()


def disagreements(run_id: int, agreement: LabelAgreement, limit: int | None = 1000) -> pd.DataFrame:
    """Up to ``limit`` (all when None) scored rows, in file order with their 1-based ``row`` number, where the model's
    label is not the one the file's column gives."""
    known = _canonical(agreement.labels, agreement.read_as)
    given_column, label_column = agreement.result_columns
    frames, offset, kept = [], 0, 0
    for path in result_parts(get_run(run_id)):
        frame = pq.read_table(path).to_pandas()
        frame.insert(0, "row", range(offset + 1, offset + len(frame) + 1))
        offset += len(frame)
        given = _as_labels(frame[given_column], known)
        differs = (frame["status"] == STATUS_OK) & given.notna() & (given != frame[label_column])
        frames.append(frame[differs] if limit is None else frame[differs].head(limit - kept))
        kept += len(frames[-1])
        if limit is not None and kept >= limit:
            break
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


REVIEW_COLUMNS = ["row", "text", "label", "model_label", "model_confidence"]


def review_file(run_id: int, agreement: LabelAgreement) -> bytes:
    """Every row where the model's label differs from the file's, as a CSV to review: ``label`` is the file's label
    (as the task names it; correct it where the model was right), next to the model's label and confidence. With
    ``text`` and ``label`` it is a labelled file Model Studio trains on as it is."""
    run = get_run(run_id)
    layout = run_layout(run)
    text_column = dict(zip(layout.input_columns, layout.output_input_columns))[run.text_column]
    confidence_column = layout.task_columns[agreement.task]["confidence"]
    given_column, label_column = agreement.result_columns
    rows, known = disagreements(run_id, agreement, limit=None), _canonical(agreement.labels, agreement.read_as)
    if rows.empty:
        return safe_csv(pd.DataFrame(columns=REVIEW_COLUMNS))
    review = pd.DataFrame({
        "row": rows["row"], "text": rows[text_column], "label": _as_labels(rows[given_column], known),
        "model_label": rows[label_column], "model_confidence": rows[confidence_column].round(4),
    })  # fmt: skip
    return safe_csv(review[REVIEW_COLUMNS])
