"""Batch scoring of large inputs on Ray: a folder or glob of CSV / Parquet files, scored by an actor pool.

The only module that imports ``ray``. CSV files (also ``.csv.gz`` and ``.xlsx``) are first read by the local engine's
reader (``core.scoring.reading``: its dialects, encodings, quoted texts spanning lines; a row that cannot be parsed is
reported with its line and costs only that row) into Parquet files under the output folder's ``_input/``, removed
when the job ends; the unparseable rows go to ``_errors.csv``. So both engines score the same rows of a file.
Ray Data reads the Parquet files (streamed in blocks of ``block_rows`` rows); each
actor of the pool loads the task models once with the local engine's loader (``core.nlp.registry.load_version``:
same files, device and precision decisions of ``core.nlp.device``) and scores blocks with the local engine's
``score_frame``, so every output row keeps its input columns and gets the same ``status``, ``label``,
``confidence`` and ``prob_<class>`` columns as the local engine. Each actor writes its blocks as hidden
``.pending-part-*.parquet`` files under the output folder and hands back a small summary row; the driver streams
those rows for progress and label counts, naming each counted part ``part-*.parquet`` (stopping the stream cancels
the job: parts still in flight are never named, so the folder holds exactly the rows the summary counts), then
writes ``_summary.json``.

The cluster is the one given (the Batch scoring page's runs: ``BEACON_RAY_ADDRESS``), else the one named by
``RAY_ADDRESS`` (Ray's own convention); with none, a local Ray is started.
On a cluster the workers need this project installed and the model folder (``BEACON_MODEL_DIR``) and the
output folder at the same paths (shared storage). One GPU per actor when the cluster has GPUs, else one CPU.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.scoring.export import ErrorWriter
from core.scoring.reading import BadRow, InputFileError, InputSpec, inspect_input, iter_chunks, no_column

SUFFIXES = {".csv": "rows", ".gz": "rows", ".xlsx": "rows", ".parquet": "parquet", ".pq": "parquet"}  # rows: the local reader's
SUMMARY = "_summary.json"  # leading underscore: Parquet readers of the folder skip it
ERRORS = "_errors.csv"  # the rows of CSV inputs that could not be parsed: file, line, problem, content
CONVERTED = "_input"  # CSV inputs as Parquet while the job runs
PENDING = ".pending-"  # a part written by an actor but not yet counted by the driver (a leading dot: readers skip it)
# settings the actors need to load and run the models exactly as this process would
MODEL_ENV = ("BEACON_MODEL_DIR", "BEACON_BASE_MODEL_DIR", "BEACON_DEVICE", "BEACON_SCORING_PRECISION", "BEACON_SCORING_BATCH_SIZE",
             "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # fmt: skip
# reading is light next to scoring: read tasks take no CPU slot, so a pool with one actor per CPU never starves them
READ_ARGS = {"num_cpus": 0}
ProgressFn = Callable[[int, int | None], None]
StopCheck = Callable[[], bool]
PartFn = Callable[[str, int, int, dict], None]  # (part file name, rows, empty rows, label counts per task)


class ScoringCancelled(RuntimeError):
    """The job was stopped on request; the parts written so far stay in the output folder."""


class ClusterUnreachable(RuntimeError):
    """The Ray cluster cannot be joined (a wrong address, the head is down, a timeout)."""


@dataclass
class RaySummary:
    engine: str
    inputs: list[str]
    output: str
    text_column: str
    tasks: dict[str, int]  # task -> model version
    input_columns: list[str] = field(default_factory=list)  # the inputs' columns, kept in each part (renamed on a clash)
    total: int = 0  # rows to score (those that could be parsed)
    rows: int = 0
    rows_ok: int = 0
    rows_empty: int = 0
    rows_bad: int = 0  # rows of CSV inputs that could not be parsed (in ERRORS)
    first_bad: list[str] = field(default_factory=list)  # the first few, as "file line N"
    parts: int = 0
    workers: int = 0
    worker_resource: str = "CPU"
    seconds: float = 0.0
    rows_per_s: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cancelled: bool = False


# ---------------------------------------------------------------- input files


def input_files(pattern: str) -> list[Path]:
    """The input files named by a file, a folder (its files, not sub-folders) or a glob, sorted."""
    path = Path(pattern)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and _kind(p))
        if not found:
            raise InputFileError(f"{pattern}: the folder holds no {READABLE} files")
        return found
    if path.is_file():
        found = [path]
    else:
        found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise InputFileError(f"{pattern}: no file matches")
    odd = [p for p in found if not _kind(p)]
    if odd:
        raise InputFileError(f"{odd[0]}: the Ray engine reads {READABLE} files only")
    if len({_kind(p) for p in found}) > 1:
        raise InputFileError(f"{pattern}: mixes CSV and Parquet files; score them separately")
    return found


READABLE = ".csv, .csv.gz, .xlsx or .parquet"


def _kind(path: Path) -> str | None:
    """parquet (read by Ray as it is), rows (read by the local reader first), None: neither."""
    if path.suffix.lower() == ".gz" and not path.name.lower().endswith(".csv.gz"):
        return None
    return SUFFIXES.get(path.suffix.lower())


def check_inputs(files: Sequence[Path], text_column: str, encoding: str = "utf-8") -> tuple[list[str], list[InputSpec]]:
    """The columns shared by all files, and how to read each file that is not Parquet; a file without the text
    column or with other columns is named."""
    specs = [] if _kind(files[0]) == "parquet" else [inspect_input(p, encoding, name=str(p)) for p in files]
    first = specs[0].columns if specs else _parquet_columns(files[0])
    for index, path in enumerate(files):
        columns = specs[index].columns if specs else _parquet_columns(path)
        if text_column not in columns:
            raise InputFileError(f"{path}: {no_column(text_column, columns)}")
        if columns != first:
            raise InputFileError(f"{path}: its columns ({', '.join(columns)}) differ from {files[0].name}'s ({', '.join(first)})")
    return first, specs


def _parquet_columns(path: Path) -> list[str]:
    try:
        return list(pq.read_schema(path).names)
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f"{path}: cannot be read ({exc})") from exc


def write_parquet_input(
    spec: InputSpec, folder: Path, name: str, prefix: str = "chunk", should_stop: StopCheck | None = None
) -> tuple[int, list[BadRow]]:
    """A file read by the local reader, as Parquet files of its text columns under ``folder`` (one per scoring chunk,
    named ``<prefix>-NNNNNN.parquet`` in file order) for Ray to read: (rows written, rows that could not be parsed).
    ``should_stop()`` is asked before each chunk."""
    from core.settings import get_settings

    schema = pa.schema([pa.field(c, pa.string()) for c in spec.columns])
    written, bad = 0, []
    for chunk in iter_chunks(spec, get_settings().scoring_chunk_rows, name=name):
        if should_stop and should_stop():
            break
        bad.extend(chunk.bad)
        if chunk.rows:
            table = pa.Table.from_pandas(chunk.frame(spec.columns), schema=schema, preserve_index=False)
            pq.write_table(table, folder / f"{prefix}-{chunk.index:06d}.parquet")
            written += len(chunk.rows)
    return written, bad


def _convert_inputs(specs: Sequence[InputSpec], output: Path, summary: RaySummary, should_stop: StopCheck | None) -> list[Path]:
    """The CSV inputs as Parquet files under ``output/_input`` (file order kept); their unparseable rows in
    ``output/_errors.csv`` and counted in ``summary``."""
    folder = output / CONVERTED
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    errors = ErrorWriter(output / ERRORS, with_file=True)
    try:
        for number, spec in enumerate(specs):
            if should_stop and should_stop():
                raise ScoringCancelled("stopped while reading the input files; nothing was scored")
            _, bad = write_parquet_input(spec, folder, str(spec.path), prefix=f"file-{number:05d}", should_stop=should_stop)
            errors.write(bad, file=spec.path.name)
            summary.first_bad.extend(f"{spec.path.name} line {b.line}" for b in bad[: max(0, 5 - len(summary.first_bad))])
    finally:
        errors.close()
    summary.rows_bad = errors.count
    converted = sorted(folder.glob("*.parquet"))
    if not converted:
        why = f"no row could be parsed (see {output / ERRORS})" if errors.count else "the files hold no data rows, only a header"
        raise InputFileError(f"{', '.join(str(s.path) for s in specs)}: {why}")
    return converted


# ---------------------------------------------------------------- the actor


class Scorer:
    """One scorer of the actor pool: loads the task models once, then scores blocks and writes them as Parquet parts."""

    def __init__(self, env: dict[str, str], infos: list, input_columns: list[str], text_column: str, output: str,
                 mask_pii: bool, threads: int) -> None:  # fmt: skip
        os.environ.update(env)
        import torch

        from core.nlp import registry
        from core.scoring.engine import TaskModel, make_layout
        from core.settings import get_settings

        get_settings.cache_clear()
        self.models = [TaskModel(info.task, info.version, registry.load_version(info)) for info in infos]
        torch.set_num_threads(max(1, threads))  # the actor's share of the machine, not every core
        self.layout = make_layout(input_columns, self.models)
        self.text_layout = make_layout([text_column], self.models)
        self.text_column = text_column
        self.output = Path(output)
        self.mask_pii = mask_pii

    def __call__(self, batch: pa.Table) -> dict[str, list]:
        from core.scoring.engine import STATUS_EMPTY, score_frame

        texts = batch.select([self.text_column]).to_pandas()
        scored, counts = score_frame(texts, self.text_column, self.models, self.text_layout, self.mask_pii)
        table = scored_table(batch, scored, self.layout, self.text_column, self.mask_pii)
        part = f"part-{uuid.uuid4().hex}.parquet"
        pq.write_table(table, self.output / f"{PENDING}{part}")  # hidden until the driver has counted it
        empty = int((scored["status"] == STATUS_EMPTY).sum())
        return {"part": [part], "rows": [len(scored)], "empty": [empty], "counts": [json.dumps(counts)]}


def scored_table(batch: pa.Table, scored, layout, text_column: str, mask_pii: bool) -> pa.Table:  # noqa: ANN001
    """The input block's columns as they were (renamed where they clash; the text masked when asked) plus the scored ones."""
    columns = {}
    for name, out_name in zip(layout.input_columns, layout.output_input_columns, strict=True):
        columns[out_name] = pa.array(scored[text_column], pa.string()) if name == text_column and mask_pii else batch.column(name)
    ours = layout.schema()
    for name in layout.columns[len(layout.output_input_columns) :]:
        values = scored[name].where(scored[name].notna(), None) if ours.field(name).type == pa.string() else scored[name]
        columns[name] = pa.array(values, ours.field(name).type, from_pandas=True)
    return pa.table(columns)


# ---------------------------------------------------------------- the driver


def connect(address: str | None = None) -> str:
    """Join the cluster at ``address`` (``local``: start a local Ray), else the one named by ``RAY_ADDRESS`` (Ray's own
    convention), else start a local Ray; says which. Nothing is done when this process has joined one already."""
    import ray

    address = (address if address is not None else os.environ.get("RAY_ADDRESS", "")).strip()
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False, **({"include_dashboard": False} if address == "local" else {}))
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
    return address if address and address != "local" else "local Ray"


@dataclass
class RaySession:
    where: str  # the cluster's address, or "local Ray"
    stay_joined: bool = False  # set when Ray Data may still be stopping (a cancelled job): leaving then could end the process


@contextmanager
def ray_session(address: str) -> Iterator[RaySession]:
    """``with ray_session(address) as session:`` joins the cluster at ``address`` (``local``: a local Ray) for the
    block, and leaves it afterwards if this block joined it (a process that had joined one keeps it), unless the
    block set ``session.stay_joined`` (the process then stays joined and a later session reuses the connection)."""
    import ray

    joined = not ray.is_initialized()
    try:
        session = RaySession(connect(address))
    except Exception as exc:  # Ray's own errors (timeouts, bad addresses) become one line naming the address
        raise ClusterUnreachable(f"cannot reach the Ray cluster at {address!r}: {one_line(exc)}") from exc
    try:
        yield session
    finally:
        if joined and not session.stay_joined:
            ray.shutdown()


def one_line(exc: BaseException) -> str:
    """An error (a Ray task's error carries the remote traceback) as its one telling line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Cancelled|Unreachable): ", line)]
    return (errors[-1] if errors else lines[0])[:500]


def pool_plan(resources: dict[str, float], workers: int | None = None) -> tuple[int, str, float]:
    """(actors, resource per actor, CPUs per actor): one GPU per actor when the cluster has GPUs, else one actor per
    CPU, each asking for a little under one CPU so Ray Data's file listing task (one CPU) is never starved."""
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return (min(workers, gpus) if workers else gpus), "GPU", 1.0
    cpus = max(1, int(resources.get("CPU", 1)))
    actors = min(workers, cpus) if workers else cpus
    return actors, "CPU", round(max(0.5, min(1.0, (cpus - 1) / actors)), 3)


def _model_env() -> dict[str, str]:
    from core.settings import get_settings

    settings = get_settings()
    env = {name: os.environ[name] for name in MODEL_ENV if name in os.environ}
    env["BEACON_MODEL_DIR"] = str(settings.model_dir)
    return env


def score_with_ray(
    pattern: str,
    output: Path,
    tasks: Sequence[str],
    text_column: str,
    *,
    versions: dict[str, int] | None = None,
    mask_pii: bool = False,
    workers: int | None = None,
    block_rows: int | None = None,
    progress: ProgressFn | None = None,
    should_stop: StopCheck | None = None,
    on_part: PartFn | None = None,
    keep_order: bool = False,
    address: str | None = None,
    encoding: str = "utf-8",
) -> RaySummary:
    """Score the files of ``pattern`` on Ray into ``output`` (a folder of ``part-*.parquet`` and ``_summary.json``,
    plus ``_errors.csv`` when rows of CSV inputs could not be parsed; ``encoding``: theirs, as ``inspect_input`` takes it).
    ``should_stop()`` is asked after each finished part; when it says so the job stops (``ScoringCancelled``).
    ``on_part(name, rows, empty, counts)`` hears of each finished part as it arrives; with ``keep_order`` the parts
    arrive in the order of the input rows (Ray Data's ``preserve_order``), so they can be numbered in file order.
    ``address``: the cluster (see ``connect``); by default ``RAY_ADDRESS``'s, else a local Ray."""
    from core.nlp import registry

    files = input_files(pattern)
    input_columns, specs = check_inputs(files, text_column, encoding)
    if not tasks:
        raise ValueError("choose at least one task to score")
    versions = versions or {}
    infos = [registry.get_version(t, versions[t]) if t in versions else registry.active_version(t) for t in dict.fromkeys(tasks)]
    output.mkdir(parents=True, exist_ok=True)
    if any(output.glob("part-*.parquet")):
        raise InputFileError(f"{output}: the output folder already holds scored parts; choose an empty folder")
    (output / ERRORS).unlink(missing_ok=True)  # an earlier attempt's, stopped before scoring
    summary = RaySummary("ray", [str(p) for p in files], str(output), text_column, {i.task: i.version for i in infos},
                         list(input_columns))
    try:
        if specs:
            files = _convert_inputs(specs, output, summary, should_stop)
        job = dict(env=_model_env(), infos=infos, input_columns=input_columns, text_column=text_column,
                   output=str(output.resolve()), mask_pii=mask_pii)  # fmt: skip
        where = _run_job(files, job, summary, workers=workers, block_rows=block_rows, progress=progress,
                         should_stop=should_stop, on_part=on_part, keep_order=keep_order, address=address)  # fmt: skip
    finally:
        shutil.rmtree(output / CONVERTED, ignore_errors=True)
    (output / SUMMARY).write_text(json.dumps({**asdict(summary), "cluster": where}, indent=2))
    if summary.cancelled:
        raise ScoringCancelled(f"stopped after {summary.rows:,} of {summary.total:,} rows; the parts written so far are in {output}")
    return summary


def _run_job(files: Sequence[Path], job: dict, summary: RaySummary, *, workers: int | None, block_rows: int | None,
             progress: ProgressFn | None, should_stop: StopCheck | None, on_part: PartFn | None, keep_order: bool,
             address: str | None) -> str:  # fmt: skip
    """Score the Parquet ``files`` with an actor pool of ``Scorer(**job)``, counting into ``summary``; the cluster."""
    import ray

    from core.scoring.engine import merge_counts
    from core.settings import get_settings

    output = Path(job["output"])
    where = connect(address)
    actors, resource, cpus = pool_plan(ray.cluster_resources(), workers)
    summary.workers, summary.worker_resource = actors, resource
    dataset, summary.total = _read(files)
    rows = block_rows or get_settings().scoring_chunk_rows
    # Ray Data reads small files as one block and large ones in blocks of ~128 MB; blocks of ``rows`` rows (streamed,
    # no shuffle) keep every actor busy on any input and bring progress back part by part
    dataset = dataset.repartition(target_num_rows_per_block=rows)
    if keep_order:
        dataset.context.execution_options.preserve_order = True  # the dataset's own copy of the context
    scored = dataset.map_batches(
        Scorer, fn_constructor_kwargs={**job, "threads": max(1, round(cpus))}, batch_size=rows, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors), **({"num_gpus": 1} if resource == "GPU" else {"num_cpus": cpus}),
    )  # fmt: skip
    started = time.perf_counter()
    if progress:
        progress(0, summary.total)
    batches = iter(scored.iter_batches(batch_size=None, batch_format="pandas"))  # the generator itself, to close it
    try:
        for part in (row for batch in batches for row in batch.itertuples(index=False)):
            counts = json.loads(part.counts)
            (output / f"{PENDING}{part.part}").replace(output / part.part)  # counted: now part of the result
            summary.parts += 1
            summary.rows += int(part.rows)
            summary.rows_empty += int(part.empty)
            summary.counts = merge_counts(summary.counts, counts)
            if on_part:
                on_part(str(part.part), int(part.rows), int(part.empty), counts)
            if progress:
                progress(summary.rows, summary.total)
            if should_stop and should_stop():
                summary.cancelled = True
                break
    finally:
        _stop_stream(batches)
    for uncounted in output.glob(f"{PENDING}*"):  # parts in flight when the job was stopped: not in the result
        uncounted.unlink(missing_ok=True)
    summary.seconds = round(time.perf_counter() - started, 2)
    summary.rows_ok = summary.rows - summary.rows_empty
    summary.rows_per_s = round(summary.rows / summary.seconds, 1) if summary.seconds else 0.0
    return where


def _stop_stream(batches) -> None:  # noqa: ANN001 - the generator of Dataset.iter_batches
    """End the stream now (Ray Data shuts its executor down when the generator is closed) and give the executor's
    thread time to stop: it joins it for 2 s only, and Ray shut down under a thread still using it ends the process."""
    batches.close()
    for thread in threading.enumerate():
        if thread.name.startswith("StreamingExecutor-") and thread is not threading.current_thread():
            thread.join(timeout=30)


def _read(files: Sequence[Path]):  # noqa: ANN202 - a ray.data.Dataset
    """The Parquet files as a Ray dataset and their row count."""
    import ray

    paths = [str(p.resolve()) for p in files]
    total = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    return ray.data.read_parquet(paths, ray_remote_args=READ_ARGS), total
