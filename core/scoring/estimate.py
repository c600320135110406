"""How long a batch scoring run should take here, said before it starts: the per-token estimate of
``core.nlp.training.estimate_scoring_seconds``, corrected by how the newest comparable runs here did against it.

The per-token figures come from a reference host, scaled by a short calibration of the fast encoder. They miss the
tokeniser's share, a CPU without bf16 (where the accurate encoder falls further behind the fast one) and a busy
machine: on a 2-core host without bf16 they said "about 60 seconds" for a file that took two minutes. A finished run
with the same base encoders has measured all of that, and also how long the run took besides scoring (starting the
process, reading the file, loading the models, writing the result), which the figures put at about 5 seconds per
model and a busy machine or a slow disk stretches; for a small file it is most of the wait. A run's scoring time also
holds the first batches' warm-up, so a short run's ratio overstates a long file's time (400 accurate-encoder rows took
2.9 times the figures on a 2-core CPU, 2,000 rows 1.5 times): an estimate on the safe side."""

from __future__ import annotations

import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from core.nlp import registry
from core.nlp.training import estimate_scoring_seconds
from core.scoring.reading import InputFileError
from core.scoring.runs import RunView, finished_local_runs, sample_texts

log = logging.getLogger(__name__)
COMPARED_RUNS = 3  # the newest comparable runs whose speed corrects the estimate
MIN_ROWS = 200  # a shorter run says more about starting up than about speed
CORRECTION_RANGE = (0.25, 8.0)  # beyond this a past run measured something else (a machine that was swapping)
MAX_START_SECONDS = 300.0  # a run that took longer to start waited for something else (the machine busy training)


@dataclass(frozen=True)
class RunEstimate:
    seconds: float
    speed_runs: int = 0  # finished runs here whose scoring speed corrected the estimate (0: the per-token figures)
    start_runs: int = 0  # finished runs here whose start-up time replaced the figures' start-up

    @property
    def runs_compared(self) -> int:
        """Finished runs here that corrected the estimate (0: the per-token figures alone)."""
        return max(self.speed_runs, self.start_runs)


def models_of(tasks: Sequence[str], versions: dict[str, int]) -> list[tuple[str, int]]:
    """(base encoder, max_length) of each task's chosen version (the active one where none is chosen)."""
    models = []
    for task in tasks:
        info = registry.get_version(task, int(versions[task])) if task in versions else registry.active_version(task)
        models.append((info.base, int(info.params.get("max_length") or 128)))
    return models


def estimate_run(texts: Sequence[str], rows: int, models: Sequence[tuple[str, int]], device: str = "auto") -> RunEstimate:
    """The wall-clock estimate for scoring ``rows`` texts like ``texts`` with ``models``: start-up and scoring from the
    per-token figures, each replaced by what the newest comparable finished runs measured (the median time they took
    to start; the median measured/estimated ratio of their scoring)."""
    whole = estimate_scoring_seconds(texts, rows, models, device)
    scoring = estimate_scoring_seconds(texts, rows, models, device, start=False)
    ratios, starts = _past_runs(tuple(sorted(base for base, _ in models)), device)
    start = statistics.median(starts) if starts else whole - scoring
    if ratios:
        scoring *= statistics.median(ratios)
    return RunEstimate(start + scoring, len(ratios), len(starts))


def _past_runs(bases: tuple[str, ...], device: str) -> tuple[list[float], list[float]]:
    """The newest comparable finished runs' measured/estimated scoring ratios (runs of ``MIN_ROWS`` or more) and the
    seconds each took besides scoring (from the click to the end), up to ``COMPARED_RUNS`` of each."""
    low, high = CORRECTION_RANGE
    ratios: list[float] = []
    starts: list[float] = []
    for run in finished_local_runs():
        if run.scoring_seconds <= 0 or _bases_of(run.id, run.created_at, _models_key(run)) != bases:
            continue
        start = (run.finished_at - run.created_at).total_seconds() - run.scoring_seconds if run.finished_at else -1.0
        if 0 <= start <= MAX_START_SECONDS and len(starts) < COMPARED_RUNS:
            starts.append(start)
        said = _figures_said(run.id, run.created_at, _models_key(run), run.rows_ok, device) if run.rows_ok >= MIN_ROWS else None
        if said is not None and len(ratios) < COMPARED_RUNS:  # rows_ok: the texts the models read
            ratios.append(min(high, max(low, run.scoring_seconds / said)))
        if len(ratios) == len(starts) == COMPARED_RUNS:
            break
    return ratios, starts


@lru_cache(maxsize=256)
def _bases_of(_run_id: int, _created_at: datetime, versions: tuple[tuple[str, int], ...]) -> tuple[str, ...] | None:
    """The base encoders of a run's model versions, sorted (None when a version has since been deleted). Cached per
    run, as ``_figures_said`` is: the page asks on every rerun, for up to 20 runs."""
    try:
        return tuple(sorted(base for base, _ in models_of([task for task, _ in versions], dict(versions))))
    except LookupError:
        return None


def _models_key(run: RunView) -> tuple[tuple[str, int], ...]:
    """The run's (task, version) pairs in a form the cache below can key on."""
    return tuple((task, int(run.model_versions[task])) for task in run.tasks if task in run.model_versions)


@lru_cache(maxsize=256)
def _figures_said(run_id: int, _created_at: datetime, versions: tuple[tuple[str, int], ...], rows: int, device: str) -> float | None:
    """The scoring seconds the per-token figures give for the run's ``rows`` rows, or None when that cannot be known
    any more (a model version or the upload since deleted). Cached per run (an id with its creation time: SQLite may
    give a deleted run's id to the next one)."""
    try:
        models = models_of([task for task, _ in versions], dict(versions))
        texts = sample_texts(run_id)
    except (LookupError, InputFileError, OSError) as exc:
        log.debug("scoring run %s cannot correct the estimate: %s", run_id, exc)
        return None
    expected = estimate_scoring_seconds(texts, rows, models, device, start=False)
    return expected if texts and expected > 0 else None
