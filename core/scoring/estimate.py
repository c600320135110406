"""How long a batch scoring run should take here, said before it starts: the per-token estimate of
``core.nlp.training.estimate_scoring_seconds``, corrected by how the newest comparable runs here did against it.

The per-token figures come from a reference host, scaled by a short calibration of the fast encoder. They miss the
tokeniser's share, a CPU without bf16 (where the accurate encoder falls further behind the fast one) and a busy
machine: on a 2-core host without bf16 they said "about 60 seconds" for a file that took two minutes. A finished run
with the same base encoders has measured all of that."""

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


@dataclass(frozen=True)
class RunEstimate:
    seconds: float
    runs_compared: int  # finished runs here that corrected the estimate (0: the per-token figures alone)


def models_of(tasks: Sequence[str], versions: dict[str, int]) -> list[tuple[str, int]]:
    """(base encoder, max_length) of each task's chosen version (the active one where none is chosen)."""
    models = []
    for task in tasks:
        info = registry.get_version(task, int(versions[task])) if task in versions else registry.active_version(task)
        models.append((info.base, int(info.params.get("max_length") or 128)))
    return models


def estimate_run(texts: Sequence[str], rows: int, models: Sequence[tuple[str, int]], device: str = "auto") -> RunEstimate:
    """The wall-clock estimate for scoring ``rows`` texts like ``texts`` with ``models``: start-up from the per-token
    figures, scoring corrected by the median measured/estimated ratio of the newest comparable finished runs."""
    whole = estimate_scoring_seconds(texts, rows, models, device)
    scoring = estimate_scoring_seconds(texts, rows, models, device, start=False)
    ratios = _past_ratios(tuple(sorted(base for base, _ in models)), device)
    if not ratios:
        return RunEstimate(whole, 0)
    return RunEstimate(whole - scoring + scoring * statistics.median(ratios), len(ratios))


def _past_ratios(bases: tuple[str, ...], device: str) -> list[float]:
    low, high = CORRECTION_RANGE
    ratios: list[float] = []
    for run in finished_local_runs():
        if run.rows_ok < MIN_ROWS or run.scoring_seconds <= 0:  # rows_ok: the texts the models read
            continue
        said = _figures_said(run.id, run.created_at, _models_key(run), run.rows_ok, device)
        if said is not None and said[0] == bases:
            ratios.append(min(high, max(low, run.scoring_seconds / said[1])))
        if len(ratios) == COMPARED_RUNS:
            break
    return ratios


def _models_key(run: RunView) -> tuple[tuple[str, int], ...]:
    """The run's (task, version) pairs in a form the cache below can key on."""
    return tuple((task, int(run.model_versions[task])) for task in run.tasks if task in run.model_versions)


@lru_cache(maxsize=256)
def _figures_said(
    run_id: int, _created_at: datetime, versions: tuple[tuple[str, int], ...], rows: int, device: str
) -> tuple[tuple[str, ...], float] | None:
    """(the run's base encoders, the scoring seconds the per-token figures give for its ``rows`` rows), or None when
    that cannot be known any more (a model version or the upload since deleted). Cached per run (an id with its
    creation time: SQLite may give a deleted run's id to the next one)."""
    try:
        models = models_of([task for task, _ in versions], dict(versions))
        texts = sample_texts(run_id)
    except (LookupError, InputFileError, OSError) as exc:
        log.debug("scoring run %s cannot correct the estimate: %s", run_id, exc)
        return None
    expected = estimate_scoring_seconds(texts, rows, models, device, start=False)
    return (tuple(sorted(base for base, _ in models)), expected) if texts and expected > 0 else None
