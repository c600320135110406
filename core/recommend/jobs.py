"""Recommendation jobs: saving an upload as a dataset version and evaluating a version take minutes on a CPU, so
they run in their own ``python -m core recommend-job JOB_ID`` process (started with ``core.runs.launch``), not in
the page's script run. The job row holds the stage in words and the progress; the page polls it. The lifecycle
(claim once, heartbeat, interrupted, the cap on runs at once) is ``core.runs``'s, shared by every run kind."""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core import runs as lifecycle
from core.auth import Actor, acting_as, require
from core.recommend.embeddings import EMBEDDING_STAGE
from core.recommend.evaluate import EvalConfig
from core.repositories import runs as run_rows
from core.settings import get_settings
from core.storage.tables import RecJob, utcnow

log = logging.getLogger("beacon.recommend")

INTERRUPTED = "the job process stopped without finishing (machine restart or killed); start it again"
CANCELLED = "cancelled at your request"
KINDS = {"save": "Saving the dataset version", "evaluate": "Evaluating the recommenders"}
SAVE_STEPS = ("reading the uploaded files", "checking the data", "writing the dataset version", EMBEDDING_STAGE)


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    status: str
    stage: str
    progress: float
    params: dict
    dataset_id: int | None
    result: dict
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        return self.status in lifecycle.FINISHED

    @property
    def cancelling(self) -> bool:
        """Asked to stop and still running: it stops at its next step or embedding part."""
        return self.cancel_requested and not self.finished

    @property
    def title(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def elapsed_s(self) -> float:
        start = self.started_at or self.created_at
        return max(0.0, ((self.finished_at or utcnow()) - start).total_seconds())

    @property
    def caption(self) -> str:
        """What the progress bar says: the stage and how long it has been going."""
        if self.status == "queued":
            return f"waiting for the job process to start ({self.elapsed_s:.0f} s)"
        stopping = " · cancelling: it stops at its next step" if self.cancelling else ""
        return f"{self.stage} · {self.elapsed_s:.0f} s{stopping}"


def _view(row: RecJob) -> JobView:
    return JobView(row.id, row.kind, row.status, row.stage, row.progress, dict(row.params), row.dataset_id, dict(row.result),
                   row.error, row.created_by, row.created_at, row.started_at, row.finished_at, bool(row.cancel_requested))


def jobs_dir() -> Path:
    path = get_settings().data_dir / "recommend" / "jobs"
    path.mkdir(parents=True, exist_ok=True)
    return path


RECOMMENDATION_JOB = lifecycle.RunKind(
    "recommendation job", RecJob, "recommend-job", lambda job_id: jobs_dir() / f"job-{job_id}.log", INTERRUPTED
)


# ---------------------------------------------------------------- queueing (page, CLI)


def queue_save(name: str, interactions: tuple[str, bytes], items: tuple[str, bytes], mapping: dict, launch: bool = True) -> int:
    """Keep both uploaded files with the job and start the process that checks and saves them as a dataset version.
    ``interactions`` and ``items`` are (file name, content); ``mapping`` is {"interactions": {...}, "items": {...}} and
    optionally "min_rating" (only interactions rated at least that count)."""
    actor = require("analyst", "upload recommendation data")
    params = {"name": name, "interactions_file": interactions[0], "items_file": items[0], "mapping": mapping}
    job_id = _insert("save", params, None, actor.username)
    folder = jobs_dir() / str(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "interactions.upload").write_bytes(interactions[1])
    (folder / "items.upload").write_bytes(items[1])
    lifecycle.update(RECOMMENDATION_JOB, job_id, folder=str(folder.relative_to(get_settings().data_dir)))
    if launch:
        start(job_id)
    return job_id


def queue_evaluate(dataset_id: int, cfg: EvalConfig, launch: bool = True) -> int:
    """Start the process that evaluates every recommender on a dataset version and stores the result."""
    from core.recommend import store

    actor = require("analyst", "evaluate recommenders")
    store.get_dataset(dataset_id)  # a clear error for a version that does not exist
    params = {"protocol": cfg.protocol, "test_ratio": cfg.test_ratio, "seed": cfg.seed, "k": cfg.k}
    job_id = _insert("evaluate", params, dataset_id, actor.username)
    if launch:
        start(job_id)
    return job_id


def _insert(kind: str, params: dict, dataset_id: int | None, created_by: str) -> int:
    return run_rows.insert(RecJob(kind=kind, params=params, dataset_id=dataset_id, created_by=created_by, result={}, folder=""))


def start(job_id: int) -> subprocess.Popen | None:
    """Start the job's own process (None while the cap on runs at once is reached: the worker runs it later)."""
    return lifecycle.launch(RECOMMENDATION_JOB, job_id)


def cancel_job(job_id: int) -> JobView:
    """Cancel a queued job at once (its uploaded files go), or ask a running one to stop at its next step or
    embedding part. A save stopped after writing its version keeps it (``core.views.recommendations.ended_text``)."""
    require("analyst", "cancel recommendation jobs")
    lifecycle.request_cancel(RECOMMENDATION_JOB, job_id, error=CANCELLED)
    job = get_job(job_id)
    if job.status == lifecycle.CANCELLED:
        _remove_uploads(job_id)
    return job


def saving_job(dataset_id: int) -> JobView | None:
    """The save job still preparing a dataset version (embedding its item texts after writing it), if any: Evaluate
    and Explore wait for it rather than embed the same texts again at the same time."""
    job = latest_job("save", dataset_id)
    return job if job is not None and not job.finished else None


def get_job(job_id: int) -> JobView:
    lifecycle.mark_interrupted(RECOMMENDATION_JOB)
    return run_rows.get(RecJob, job_id, _view, RECOMMENDATION_JOB.missing(job_id))


def latest_job(kind: str, dataset_id: int | None = None) -> JobView | None:
    """The newest job of a kind (for one dataset version when given), so a reopened page finds a running job."""
    lifecycle.mark_interrupted(RECOMMENDATION_JOB)
    which = {"kind": kind} if dataset_id is None else {"kind": kind, "dataset_id": dataset_id}
    found = run_rows.newest(RecJob, _view, 1, **which)
    return found[0] if found else None


# ---------------------------------------------------------------- executing (in the job process)


class JobCancelled(Exception):
    """Raised at a step or an embedding part of a job whose cancel was requested: nothing more is done or stored."""


class _Stages:
    """Writes the stage in words and the progress (a share of the expected steps) as the job goes. ``weights`` gives
    a step more of the bar (one each by default): saving a version is mostly embedding its item texts."""

    def __init__(self, job_id: int, total_steps: int, weights: tuple[int, ...] = (), beat: lifecycle.Heartbeat | None = None) -> None:
        self.job_id, self.done, self.beat = job_id, 0, beat
        self.weights = weights or (1,) * max(1, total_steps)

    def _stop_if_cancelled(self) -> None:
        if self.beat is not None and self.beat.should_stop():
            raise JobCancelled(self.job_id)

    def _share(self, steps: float) -> float:
        """The bar after ``steps`` steps (a fraction of one is a part of that step)."""
        whole = int(steps)
        done = sum(self.weights[:whole]) + (steps - whole) * (self.weights[whole] if whole < len(self.weights) else 1)
        return min(0.99, done / sum(self.weights))

    def __call__(self, stage: str) -> None:
        self._stop_if_cancelled()
        lifecycle.update(RECOMMENDATION_JOB, self.job_id, stage=stage[:200], progress=self._share(self.done), heartbeat_at=utcnow())
        self.done += 1
        log.info("recommendation job %s: %s", self.job_id, stage)

    def embedding(self, done: int, total: int) -> None:
        """How far the item texts are embedded (minutes for a large catalogue on a CPU): within the current step; a
        cancel stops it here, before the next part (the stage then says how far it got)."""
        progress = self._share(max(0, self.done - 1) + done / max(1, total))
        lifecycle.update(RECOMMENDATION_JOB, self.job_id, stage=f"{EMBEDDING_STAGE} ({done:,} of {total:,})",
                         progress=progress, heartbeat_at=utcnow())  # fmt: skip
        self._stop_if_cancelled()


def execute_job(job_id: int) -> JobView:
    """Claim and run a queued job to its end, acting as the user who started it. Problems become the job's
    status and error, never an exception."""
    if not lifecycle.claim(RECOMMENDATION_JOB, job_id):
        return get_job(job_id)
    job = get_job(job_id)
    with lifecycle.Heartbeat(RECOMMENDATION_JOB, job_id) as beat, acting_as(Actor(job.created_by, "analyst")):
        try:
            result, dataset_id = (_save if job.kind == "save" else _evaluate)(job, beat)
            lifecycle.finish(
                RECOMMENDATION_JOB, job_id, lifecycle.SUCCEEDED, stage="done", progress=1.0, result=result, dataset_id=dataset_id
            )
        except JobCancelled:
            log.info("recommendation job %s cancelled at: %s", job_id, get_job(job_id).stage)
            lifecycle.finish(RECOMMENDATION_JOB, job_id, lifecycle.CANCELLED, error=CANCELLED)
        except Exception as exc:
            log.exception("recommendation job %s failed", job_id)
            message = str(exc) if isinstance(exc, (ValueError, LookupError, OSError)) else f"{type(exc).__name__}: {exc}"
            lifecycle.finish(RECOMMENDATION_JOB, job_id, lifecycle.FAILED, error=message)
        finally:  # a save's copies of the uploads: in its version now, or never read again (a job is not resumed)
            _remove_uploads(job_id)
    return get_job(job_id)


def _save(job: JobView, beat: lifecycle.Heartbeat | None = None) -> tuple[dict, int]:
    from core.recommend import store
    from core.recommend.data import check_files, dataset_from_check, read_table
    from core.recommend.embeddings import item_embeddings

    step = _Stages(job.id, len(SAVE_STEPS), (1, 1, 1, 17), beat)  # reading, checking, writing: seconds; embedding: minutes
    folder = get_settings().data_dir / _folder(job.id)
    p = job.params
    step(SAVE_STEPS[0])
    inter = read_table((folder / "interactions.upload").read_bytes(), p["interactions_file"])
    items = read_table((folder / "items.upload").read_bytes(), p["items_file"])
    step(SAVE_STEPS[1])
    check = check_files(inter, items, p["mapping"]["interactions"], p["mapping"]["items"], p["interactions_file"], p["items_file"],
                        p["mapping"].get("min_rating"))  # fmt: skip
    step(SAVE_STEPS[2])
    info = store.save_dataset(check, p["name"], p["interactions_file"], p["items_file"], p["mapping"])
    lifecycle.update(RECOMMENDATION_JOB, job.id, dataset_id=info.id)  # Evaluate and Explore wait for it (saving_job)
    step(SAVE_STEPS[3])  # done now, so Evaluate and Explore find the embeddings cached
    item_embeddings(dataset_from_check(check).texts(), step.embedding)
    return {"dataset_id": info.id, "already_saved": info.already_saved, "saved_as": info.label}, info.id


def _evaluate(job: JobView, beat: lifecycle.Heartbeat | None = None) -> tuple[dict, int]:
    from core.recommend.evaluate import evaluation_steps
    from core.recommend.service import evaluate_version

    cfg = EvalConfig(**job.params)
    step = _Stages(job.id, 3 + evaluation_steps(cfg), beat=beat)
    step("loading the dataset version")
    evaluation_id = evaluate_version(job.dataset_id, cfg, step, step.embedding)
    return {"evaluation_id": evaluation_id}, job.dataset_id


def _folder(job_id: int) -> str:
    return run_rows.get(RecJob, job_id, lambda row: row.folder, RECOMMENDATION_JOB.missing(job_id))


def _remove_uploads(job_id: int) -> None:
    """A save job's copies of the uploaded files (none for an evaluation)."""
    folder = _folder(job_id)
    if folder:
        shutil.rmtree(get_settings().data_dir / folder, ignore_errors=True)
