"""How a finished scoring run agrees with labels the uploaded file already had: a column whose values are the
task's classes (a file someone labelled by hand, or an older tool's output) is compared with the model's labels, so
a team can see how far to trust a model on its own data before acting on it or training a new version."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import pandas as pd
import pyarrow.parquet as pq

from core.downloads import safe_csv
from core.nlp.datacheck import SENTIMENT_LABELS, sentiment_spellings
from core.nlp.evaluation import classification_report
from core.scoring.engine import STATUS_OK
from core.scoring.runs import get_run, result_parts, run_dir, run_layout
from core.wording import loose_key

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

    @property
    def differing(self) -> int:
        """Compared rows where the model's label is not the file's."""
        return self.compared - sum(self.confusion[i][i] for i in range(len(self.labels)))


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


def _label_column(parts: list, input_columns: dict[str, str], text_column: str, labels: list[str]) -> tuple[str, str, dict] | None:
    """The input column most of whose filled cells are the task's classes (its name in the file and in the result,
    and the other spellings it is read by), or None. Each column is judged on the first chunk where it has filled
    cells (so labels that start further down count); only the columns still empty so far are read from later chunks."""
    pending = {name: result for name, result in input_columns.items() if name != text_column}
    best, best_hits = None, 0
    for path in parts:
        if not pending:
            break
        frame = pq.read_table(path, columns=list(pending.values())).to_pandas()
        for name, result_name in list(pending.items()):
            filled = int(_keys(frame[result_name]).ne("").sum())
            if not filled:
                continue  # judged on a later chunk
            del pending[name]
            spellings = _other_spellings(labels, frame[result_name])
            hits = int(_as_labels(frame[result_name], _canonical(labels) | spellings).notna().sum())
            if hits / filled >= MIN_SHARE and hits > best_hits:
                best, best_hits = (name, result_name, spellings), hits
    return best


def label_agreements(run_id: int) -> list[LabelAgreement]:
    """One agreement per task whose classes appear as a column of the uploaded file; [] when none does or the run
    has written nothing. Remembered per run (its folder and creation time) and number of chunks written."""
    run = get_run(run_id)
    return list(_agreements(run_id, str(run_dir(run_id)), run.created_at, run.parts_done)) if run.parts_done else []


@lru_cache(maxsize=32)
def _agreements(run_id: int, _folder: str, _created: datetime, _parts_done: int) -> tuple[LabelAgreement, ...]:
    run = get_run(run_id)
    parts = result_parts(run)
    if not parts:
        return ()
    layout = run_layout(run)
    input_columns = dict(zip(layout.input_columns, layout.output_input_columns))
    found = []
    for task, columns in layout.task_columns.items():
        labels = [key.removeprefix("prob:") for key in columns if key.startswith("prob:")]
        column = _label_column(parts, input_columns, run.text_column, labels)
        if column is not None:
            found.append(_compare(parts, task, labels, column, columns["label"]))
    return tuple(found)


def _compare(parts: list, task: str, labels: list[str], column: tuple[str, str, dict], label_column: str) -> LabelAgreement:
    """``column``: the file's label column as the user named it and as the result names it, and its other spellings."""
    name, column, spellings = column
    known = _canonical(labels) | spellings
    given, predicted, read_as, skipped = [], [], {}, 0
    for path in parts:
        frame = pq.read_table(path, columns=[column, label_column, "status"]).to_pandas()
        truth = _as_labels(frame[column], known)
        compared = (frame["status"] == STATUS_OK) & truth.notna()
        given += truth[compared].tolist()
        predicted += frame.loc[compared, label_column].tolist()
        skipped += int((~compared).sum())
        written = frame.loc[compared, column].astype(str).str.strip()
        read_as |= {value: spellings[loose_key(value)] for value in written.drop_duplicates() if loose_key(value) in spellings}
    report = classification_report(given, predicted, labels)
    return LabelAgreement(task, name, labels, len(given), skipped, report["accuracy"], report["macro_f1"], report["confusion_matrix"],
                          (column, label_column), tuple(sorted(read_as.items(), key=lambda pair: labels.index(pair[1]))))  # fmt: skip


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
