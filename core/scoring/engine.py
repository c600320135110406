"""The scoring engine: chunk in, scored chunk out, for one or several tasks in one pass over the file.

Hot path: every task's ``TextClassifier.predict_proba`` gets the whole chunk's non-empty texts
(256 to ``BEACON_SCORING_CHUNK_ROWS`` rows, see ``ChunkSizes``) and sorts them by length, so each batch is padded to similar lengths; one
tokenizer call per batch; ``torch.inference_mode``; device, precision (bf16 weights on CPUs with native bf16
units; the benchmark checks label agreement with fp32) and batch size are decided in ``core.nlp.device``.

Several tasks do not share one encoder pass: the shipped task models are LoRA adapters merged
into their own copy of the encoder (and custom models may be fully fine-tuned), so the encoder
weights differ per task and each task runs its own forward pass. Sharing would need head-only
models on a frozen common encoder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from core.nlp.classifier import TextClassifier
from core.privacy import mask_personal_data
from core.scoring.reading import BadRow, Chunk, InputSpec, iter_chunks, kept_input_names, no_column
from core.settings import get_settings

STATUS_OK = "ok"
STATUS_EMPTY = "empty"


@dataclass(frozen=True)
class TaskModel:
    task: str
    version: int
    classifier: TextClassifier

    @property
    def labels(self) -> list[str]:
        return list(self.classifier.labels)


def load_task_models(tasks: Sequence[str], versions: dict[str, int] | None = None) -> list[TaskModel]:
    """The classifiers for ``tasks``: the given versions (a resumed run keeps its versions) or the
    active ones, from the loaded-models cache (``core.nlp.registry.load_version``)."""
    from core.nlp import registry

    if not tasks:
        raise ValueError("choose at least one task to score")
    out = []
    for task in dict.fromkeys(tasks):
        if versions and task in versions:
            matches = [v for v in registry.list_versions(task) if v.version == int(versions[task])]
            if not matches:
                raise LookupError(f"task {task!r} has no version {versions[task]} any more")
            info = matches[0]
        else:
            info = registry.active_version(task)
        out.append(TaskModel(task, info.version, registry.load_version(info)))
    return out


@dataclass(frozen=True)
class Layout:
    """The output columns: the input's (renamed ``input_<name>`` where they clash), ``status``, then
    ``label``, ``confidence``, ``prob_<class>`` per task (prefixed ``<task>_`` when several tasks)."""

    input_columns: list[str]
    output_input_columns: list[str]
    task_columns: dict[str, dict[str, str]]  # task -> {"label": col, "confidence": col, "prob:<class>": col}

    @property
    def columns(self) -> list[str]:
        cols = [*self.output_input_columns, "status"]
        for mapping in self.task_columns.values():
            cols.extend(mapping.values())
        return cols

    def schema(self) -> pa.Schema:
        fields = [pa.field(c, pa.string()) for c in self.output_input_columns] + [pa.field("status", pa.string())]
        for mapping in self.task_columns.values():
            for key, col in mapping.items():
                fields.append(pa.field(col, pa.string() if key == "label" else pa.float32()))
        return pa.schema(fields)


def make_layout(input_columns: Sequence[str], models: Sequence[TaskModel | tuple[str, Sequence[str]]]) -> Layout:
    """The output columns for ``models`` (task models, or (task, labels) pairs)."""
    pairs = [(m.task, m.labels) if isinstance(m, TaskModel) else (m[0], list(m[1])) for m in models]
    prefix = len(pairs) > 1
    task_columns: dict[str, dict[str, str]] = {}
    for task, labels in pairs:
        p = f"{task}_" if prefix else ""
        mapping = {"label": f"{p}label", "confidence": f"{p}confidence"}
        mapping.update({f"prob:{label}": f"{p}prob_{label}" for label in labels})
        task_columns[task] = mapping
    ours = {"status", *(c for mapping in task_columns.values() for c in mapping.values())}
    return Layout(list(input_columns), kept_input_names(input_columns, ours), task_columns)


@dataclass
class ScoredChunk:
    index: int
    records_done: int  # records consumed from the start of the file after this chunk
    frame: pd.DataFrame
    bad: list[BadRow]
    ok: int
    empty: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # task -> label -> rows


def score_frame(
    frame: pd.DataFrame,
    text_column: str,
    models: Sequence[TaskModel],
    layout: Layout,
    mask_pii: bool = False,
    batch_size: int | None = None,
) -> tuple[pd.DataFrame, dict[str, dict[str, int]]]:
    """Score one chunk's rows; empty texts get status ``empty`` and no label instead of a guess."""
    texts = frame[text_column].fillna("").astype(str)
    if mask_pii:
        texts = texts.map(mask_personal_data)
    out = frame.copy()
    out[text_column] = texts
    out.columns = layout.output_input_columns
    nonempty = texts.str.strip().ne("").to_numpy()
    out["status"] = np.where(nonempty, STATUS_OK, STATUS_EMPTY)
    idx = np.flatnonzero(nonempty)
    counts: dict[str, dict[str, int]] = {}
    for m in models:
        cols = layout.task_columns[m.task]
        probs = np.full((len(out), len(m.labels)), np.nan, dtype=np.float32)
        if len(idx):
            probs[idx] = m.classifier.predict_proba(texts.iloc[idx].tolist(), batch_size=batch_size)
        best = np.where(nonempty, np.nan_to_num(probs, nan=-1.0).argmax(axis=1), -1)
        labels = np.array(m.labels, dtype=object)
        out[cols["label"]] = np.where(best >= 0, labels[np.clip(best, 0, None)], None)
        conf = np.full(len(out), np.nan, dtype=np.float32)
        conf[idx] = probs[idx, best[idx]]
        out[cols["confidence"]] = conf
        for label in m.labels:
            out[cols[f"prob:{label}"]] = probs[:, m.labels.index(label)]
        found = pd.Series(out[cols["label"]]).value_counts()
        counts[m.task] = {str(k): int(v) for k, v in found.items()}
    return out, counts


StopCheck = Callable[[], bool]

CHUNK_SECONDS = 5.0  # a chunk is a progress step, a checkpoint and the latest a cancel waits for: about this long
FIRST_CHUNK_ROWS = 256


class ChunkSizes:
    """Rows per chunk: the first ``FIRST_CHUNK_ROWS``, then what the measured rate scores in ``CHUNK_SECONDS``, never
    more than ``most`` (``BEACON_SCORING_CHUNK_ROWS``). A fixed 4,096 rows took four minutes a chunk with the accurate
    model on a CPU without bf16 units, so the progress stood at 0 and a cancel waited that long; 20 s chunks still left
    a 3,000-row file's bar at 256 rows until it was done."""

    def __init__(self, most: int) -> None:
        self.most = max(1, most)
        self.rows = 0
        self.seconds = 0.0

    def measured(self, rows: int, seconds: float) -> None:
        self.rows += rows
        self.seconds += seconds

    def next_rows(self) -> int:
        if self.rows == 0 or self.seconds <= 0:
            return min(self.most, FIRST_CHUNK_ROWS)
        rate = self.rows / self.seconds
        return min(self.most, max(FIRST_CHUNK_ROWS, int(rate * CHUNK_SECONDS) // FIRST_CHUNK_ROWS * FIRST_CHUNK_ROWS))


def score_chunks(
    spec: InputSpec,
    text_column: str,
    models: Sequence[TaskModel],
    *,
    mask_pii: bool = False,
    chunk_rows: int | None = None,
    batch_size: int | None = None,
    skip_records: int = 0,
    first_index: int = 0,
    name: str | None = None,
    should_stop: StopCheck | None = None,
) -> Iterable[ScoredChunk]:
    """Read, mask and score the file chunk by chunk (bounded memory); stops before the next chunk
    when ``should_stop()`` says so."""
    if text_column not in spec.columns:
        raise ValueError(f"{name or spec.path.name}: {no_column(text_column, spec.columns)}")
    layout = make_layout(spec.columns, models)
    sizes = ChunkSizes(chunk_rows or get_settings().scoring_chunk_rows)
    chunk: Chunk
    for chunk in iter_chunks(spec, sizes.next_rows, skip_records=skip_records, first_index=first_index, name=name):
        if should_stop and should_stop():
            return
        started = time.perf_counter()
        scored, counts = score_frame(chunk.frame(spec.columns), text_column, models, layout, mask_pii, batch_size)
        sizes.measured(len(scored), time.perf_counter() - started)
        empty = int((scored["status"] == STATUS_EMPTY).sum()) if len(scored) else 0
        yield ScoredChunk(chunk.index, chunk.first_record + chunk.records, scored, chunk.bad, len(scored) - empty, empty, counts)


def merge_counts(total: dict[str, dict[str, int]], new: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    merged = {task: dict(labels) for task, labels in total.items()}
    for task, labels in new.items():
        bucket = merged.setdefault(task, {})
        for label, n in labels.items():
            bucket[label] = bucket.get(label, 0) + n
    return merged
