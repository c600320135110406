"""Batch scoring of large inputs on Ray: a folder or glob of CSV / Parquet files, scored by an actor pool.

The only module that imports ``ray``. Ray Data reads the files (streamed in blocks of ``block_rows`` rows); each
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
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from core.scoring.reading import InputFileError

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
SUMMARY = "_summary.json"  # leading underscore: Parquet readers of the folder skip it
PENDING = ".pending-"  # a part written by an actor but not yet counted by the driver (a leading dot: readers skip it)
# settings the actors need to load and run the models exactly as this process would
MODEL_ENV = ("BEACON_MODEL_DIR", "BEACON_BASE_MODEL_DIR", "BEACON_DEVICE", "BEACON_SCORING_PRECISION", "BEACON_SCORING_BATCH_SIZE",
             "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")  # fmt: skip
# reading is light next to scoring: read tasks take no CPU slot, so a pool with one actor per CPU never starves them
READ_ARGS = {"num_cpus": 0}
QUOTED_NEWLINES = pcsv.ParseOptions(newlines_in_values=True)  # a quoted text may span lines (posts, tickets), as the local reader allows
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
    rows: int = 0
    rows_ok: int = 0
    rows_empty: int = 0
    parts: int = 0
    workers: int = 0
    worker_resource: str = "CPU"
    seconds: float = 0.0
    rows_per_s: float = 0.0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    cancelled: bool = False


# ---------------------------------------------------------------- input files


def input_files(pattern: str) -> list[Path]:
    """The CSV / Parquet files named by a file, a folder (its files, not sub-folders) or a glob, sorted."""
    path = Path(pattern)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not found:
            raise InputFileError(f"{pattern}: the folder holds no .csv or .parquet files")
        return found
    if path.is_file():
        found = [path]
    else:
        found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
        if not found:
            raise InputFileError(f"{pattern}: no file matches")
    odd = [p for p in found if p.suffix.lower() not in SUFFIXES]
    if odd:
        raise InputFileError(f"{odd[0]}: the Ray engine reads .csv and .parquet files only")
    kinds = {SUFFIXES[p.suffix.lower()] for p in found}
    if len(kinds) > 1:
        raise InputFileError(f"{pattern}: mixes CSV and Parquet files; score them separately")
    return found


def file_columns(path: Path) -> list[str]:
    """The column names of one input file (header of a CSV, schema of a Parquet file)."""
    try:
        if SUFFIXES[path.suffix.lower()] == "parquet":
            return list(pq.read_schema(path).names)
        with pcsv.open_csv(path, read_options=pcsv.ReadOptions(block_size=1 << 16)) as reader:
            return list(reader.schema.names)
    except (OSError, pa.ArrowException) as exc:
        raise InputFileError(f"{path}: cannot be read ({exc})") from exc


def check_inputs(files: Sequence[Path], text_column: str) -> list[str]:
    """The columns shared by all files; a file without the text column or with other columns is named."""
    first = file_columns(files[0])
    for path in files:
        columns = first if path == files[0] else file_columns(path)
        if text_column not in columns:
            raise InputFileError(f"{path}: no column named {text_column!r}; columns are: {', '.join(columns)}")
        if columns != first:
            raise InputFileError(f"{path}: its columns ({', '.join(columns)}) differ from {files[0].name}'s ({', '.join(first)})")
    return first


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
) -> RaySummary:
    """Score the files of ``pattern`` on Ray into ``output`` (a folder of ``part-*.parquet`` and ``_summary.json``).
    ``should_stop()`` is asked after each finished part; when it says so the job stops (``ScoringCancelled``).
    ``on_part(name, rows, empty, counts)`` hears of each finished part as it arrives; with ``keep_order`` the parts
    arrive in the order of the input rows (Ray Data's ``preserve_order``), so they can be numbered in file order.
    ``address``: the cluster (see ``connect``); by default ``RAY_ADDRESS``'s, else a local Ray."""
    from core.nlp import registry
    from core.scoring.engine import merge_counts
    from core.settings import get_settings

    files = input_files(pattern)
    input_columns = check_inputs(files, text_column)
    if not tasks:
        raise ValueError("choose at least one task to score")
    versions = versions or {}
    infos = [registry.get_version(t, versions[t]) if t in versions else registry.active_version(t) for t in dict.fromkeys(tasks)]
    output.mkdir(parents=True, exist_ok=True)
    if any(output.glob("part-*.parquet")):
        raise InputFileError(f"{output}: the output folder already holds scored parts; choose an empty folder")
    import ray

    where = connect(address)
    actors, resource, cpus = pool_plan(ray.cluster_resources(), workers)
    dataset, total = _read(files, input_columns)
    rows = block_rows or get_settings().scoring_chunk_rows
    # Ray Data reads small files as one block and large ones in blocks of ~128 MB; blocks of ``rows`` rows (streamed,
    # no shuffle) keep every actor busy on any input and bring progress back part by part
    dataset = dataset.repartition(target_num_rows_per_block=rows)
    if keep_order:
        dataset.context.execution_options.preserve_order = True  # the dataset's own copy of the context
    args = dict(env=_model_env(), infos=infos, input_columns=input_columns, text_column=text_column, output=str(output.resolve()),
                mask_pii=mask_pii, threads=max(1, round(cpus)))  # fmt: skip
    scored = dataset.map_batches(
        Scorer, fn_constructor_kwargs=args, batch_size=rows, batch_format="pyarrow",
        compute=ray.data.ActorPoolStrategy(size=actors), **({"num_gpus": 1} if resource == "GPU" else {"num_cpus": cpus}),
    )  # fmt: skip
    summary = RaySummary("ray", [str(p) for p in files], str(output), text_column, {i.task: i.version for i in infos},
                         workers=actors, worker_resource=resource)  # fmt: skip
    started = time.perf_counter()
    if progress:
        progress(0, total)
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
                progress(summary.rows, total)
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
    (output / SUMMARY).write_text(json.dumps({**asdict(summary), "cluster": where}, indent=2))
    if summary.cancelled:
        raise ScoringCancelled(f"stopped after {summary.rows:,} of {total:,} rows; the parts written so far are in {output}")
    return summary


def _stop_stream(batches) -> None:  # noqa: ANN001 - the generator of Dataset.iter_batches
    """End the stream now (Ray Data shuts its executor down when the generator is closed) and give the executor's
    thread time to stop: it joins it for 2 s only, and Ray shut down under a thread still using it ends the process."""
    batches.close()
    for thread in threading.enumerate():
        if thread.name.startswith("StreamingExecutor-") and thread is not threading.current_thread():
            thread.join(timeout=30)


def _read(files: Sequence[Path], columns: list[str]):  # noqa: ANN202 - a ray.data.Dataset
    """The files as a Ray dataset (CSV columns read as text, as the local engine does) and their row count."""
    import ray

    paths = [str(p.resolve()) for p in files]
    if SUFFIXES[files[0].suffix.lower()] == "parquet":
        total = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
        return ray.data.read_parquet(paths, ray_remote_args=READ_ARGS), total
    convert = pcsv.ConvertOptions(column_types={c: pa.string() for c in columns}, strings_can_be_null=False)
    dataset = ray.data.read_csv(paths, convert_options=convert, parse_options=QUOTED_NEWLINES, ray_remote_args=READ_ARGS)
    first_column = pcsv.ConvertOptions(include_columns=columns[:1], column_types={columns[0]: pa.string()})
    total = sum(pcsv.read_csv(p, convert_options=first_column, parse_options=QUOTED_NEWLINES).num_rows for p in paths)
    return dataset, total
