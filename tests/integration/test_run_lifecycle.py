"""The one run lifecycle (core.runs) for every kind on a real database: claimed exactly once, the same stale rule
(running and silent -> interrupted; queued -> left waiting for the worker), pick-up oldest first, the cap on
runs at once, cancel and resume, the heartbeat, and the worker's one order of steps."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from core import runs as lifecycle
from core.auth import list_events
from core.nlp.runs import TRAINING
from core.recommend.jobs import RECOMMENDATION_JOB
from core.repositories import runs as run_rows
from core.scoring.runs import SCORING_RUN
from core.settings import SettingsError, get_settings
from core.storage.tables import RecJob, ScoringRun, TrainingRun, utcnow

KINDS = [TRAINING, SCORING_RUN, RECOMMENDATION_JOB]
ROWS = {
    TrainingRun: lambda: TrainingRun(task="sentiment", method="head", data_path="", created_by="ana"),
    ScoringRun: lambda: ScoringRun(file_name="in.csv", input_path="", text_column="text", created_by="ana"),
    RecJob: lambda: RecJob(kind="save", created_by="ana"),
}


def new_run(kind: lifecycle.RunKind, **values: object) -> int:
    run_id = run_rows.insert(ROWS[kind.table]())
    if values:
        lifecycle.update(kind, run_id, **values)
    return run_id


def status(kind: lifecycle.RunKind, run_id: int) -> str:
    return run_rows.get(kind.table, run_id, lambda row: row.status, kind.missing(run_id))


def long_ago(minutes: int = 10):  # noqa: ANN201 - datetime
    return utcnow() - timedelta(minutes=minutes)


@pytest.fixture
def cap(monkeypatch):
    def set_cap(n: int) -> None:
        monkeypatch.setenv("BEACON_MAX_RUN_PROCESSES", str(n))
        get_settings.cache_clear()

    return set_cap


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.command)
def test_two_threads_claim_a_run_exactly_once(db, kind):
    run_id = new_run(kind)
    barrier = threading.Barrier(2)
    won: list[bool] = []

    def claim() -> None:
        barrier.wait()
        won.append(lifecycle.claim(kind, run_id))

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(won) == [False, True]
    assert status(kind, run_id) == "running"
    assert not lifecycle.claim(kind, run_id)  # and never again


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.command)
def test_the_same_stale_rule_for_every_kind(db, kind):
    dead = new_run(kind, status="running", heartbeat_at=long_ago())
    alive = new_run(kind, status="running", heartbeat_at=utcnow())
    waiting = new_run(kind, created_at=long_ago(60))  # queued, its process never started
    requeued = new_run(kind, created_at=long_ago(60), heartbeat_at=utcnow())  # queued again just now
    assert lifecycle.mark_interrupted(kind) == 1
    assert status(kind, dead) == "interrupted"
    assert run_rows.get(kind.table, dead, lambda row: row.error, "") == kind.interrupted_error
    assert (status(kind, alive), status(kind, waiting), status(kind, requeued)) == ("running", "queued", "queued")
    assert lifecycle.waiting_runs(kind) == [waiting]  # left for the worker, not written off
    assert not lifecycle.claim(kind, dead)  # an interrupted run is never resumed as if nothing happened


def test_the_stale_timeout_is_one_setting(db, monkeypatch):
    monkeypatch.setenv("BEACON_RUN_STALE_S", "600")
    get_settings.cache_clear()
    ids = {kind: new_run(kind, status="running", heartbeat_at=long_ago(5)) for kind in KINDS}
    assert [lifecycle.mark_interrupted(kind) for kind in KINDS] == [0, 0, 0]  # 5 minutes < 600 s
    monkeypatch.setenv("BEACON_RUN_STALE_S", "60")
    get_settings.cache_clear()
    assert [lifecycle.mark_interrupted(kind) for kind in KINDS] == [1, 1, 1]
    assert {status(kind, run_id) for kind, run_id in ids.items()} == {"interrupted"}


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.command)
def test_queued_runs_are_picked_up_oldest_first(db, kind):
    newer = new_run(kind, created_at=long_ago(5))
    older = new_run(kind, created_at=long_ago(50))
    just_queued = new_run(kind)
    assert lifecycle.waiting_runs(kind) == [older, newer]
    assert just_queued not in lifecycle.waiting_runs(kind)  # its own process may still be starting


def test_the_worker_marks_dead_runs_before_running_queued_ones(db):
    dead = new_run(TRAINING, status="running", heartbeat_at=long_ago())
    waiting = new_run(TRAINING, created_at=long_ago())
    seen: list[tuple[int, str]] = []
    interrupted, tried = lifecycle.tend(TRAINING, lambda run_id: seen.append((run_id, status(TRAINING, dead))))
    assert (interrupted, tried) == (1, [waiting])
    assert seen == [(waiting, "interrupted")]  # the dead run was already marked when the queued one ran


def test_no_more_runs_run_at_once_than_the_cap(db, cap, monkeypatch):
    cap(2)
    first, second = new_run(TRAINING), new_run(SCORING_RUN)
    third = new_run(RECOMMENDATION_JOB, created_at=long_ago())
    assert lifecycle.claim(TRAINING, first) and lifecycle.claim(SCORING_RUN, second)
    assert lifecycle.running_count() == 2
    assert not lifecycle.claim(RECOMMENDATION_JOB, third)  # the cap counts every kind
    assert status(RECOMMENDATION_JOB, third) == "queued"
    started: list[list[str]] = []
    monkeypatch.setattr(lifecycle, "start_detached", lambda command, log_path: started.append(command))
    assert lifecycle.launch(RECOMMENDATION_JOB, third) is None and started == []  # no process while the cap is reached
    assert lifecycle.tend(RECOMMENDATION_JOB, lambda run_id: lifecycle.claim(RECOMMENDATION_JOB, run_id)) == (0, [third])
    assert status(RECOMMENDATION_JOB, third) == "queued"  # still waiting, not interrupted, not run

    lifecycle.finish(TRAINING, first, lifecycle.SUCCEEDED)  # a place is free: the worker's next tick runs it
    lifecycle.tend(RECOMMENDATION_JOB, lambda run_id: lifecycle.claim(RECOMMENDATION_JOB, run_id))
    assert status(RECOMMENDATION_JOB, third) == "running"
    fourth = new_run(TRAINING)
    lifecycle.update(SCORING_RUN, second, heartbeat_at=long_ago())  # a dead process does not hold a place
    lifecycle.launch(TRAINING, fourth)
    assert started == [["train-run", str(fourth)]]


def test_the_cap_defaults_to_two_and_a_cap_of_zero_stops_the_start(db, cap):
    assert get_settings().max_run_processes == 2
    cap(0)  # no run could ever start: said at start, not left to queue for ever
    with pytest.raises(SettingsError, match="BEACON_MAX_RUN_PROCESSES must be at least 1, got 0"):
        get_settings()
    cap(1)
    assert get_settings().max_run_processes == 1


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.command)
def test_cancel_stops_a_queued_run_at_once_and_asks_a_running_one(db, kind):
    queued, running = new_run(kind), new_run(kind)
    assert lifecycle.claim(kind, running)
    lifecycle.request_cancel(kind, queued)
    lifecycle.request_cancel(kind, running)
    lifecycle.request_cancel(kind, queued)  # already ended: nothing changes, nothing more in the audit log
    assert (status(kind, queued), status(kind, running)) == ("cancelled", "running")
    cancels = [(e["user"], e["target"], e["detail"]) for e in list_events(action=f"{kind.name} cancelled")]
    assert cancels == [("tests", f"{kind.name} {running}", {"was": "running"}), ("tests", f"{kind.name} {queued}", {"was": "queued"})]
    assert lifecycle.cancel_requested(kind, running)
    with lifecycle.Heartbeat(kind, running, seconds=60) as heartbeat:
        assert heartbeat.should_stop()
    with pytest.raises(LookupError, match=f"there is no {kind.name} 999"):
        lifecycle.request_cancel(kind, 999)


def test_resume_queues_a_finished_run_again_and_only_then(db):
    run_id = new_run(SCORING_RUN, status="interrupted", error="gone", finished_at=utcnow(), cancel_requested=True)
    lifecycle.requeue(SCORING_RUN, run_id, stage="starting")
    row = run_rows.get(ScoringRun, run_id, lambda r: (r.status, r.error, r.finished_at, r.cancel_requested, r.stage), "")
    assert row == ("queued", None, None, False, "starting")
    assert [e["target"] for e in list_events(action="scoring run resumed")] == [f"scoring run {run_id}"]
    with pytest.raises(ValueError, match="only interrupted, failed or cancelled runs can be resumed"):
        lifecycle.requeue(SCORING_RUN, run_id)


def test_the_heartbeat_keeps_a_running_run_alive(db):
    run_id = new_run(RECOMMENDATION_JOB)
    assert lifecycle.claim(RECOMMENDATION_JOB, run_id)
    lifecycle.update(RECOMMENDATION_JOB, run_id, heartbeat_at=long_ago())
    with lifecycle.Heartbeat(RECOMMENDATION_JOB, run_id, seconds=0.05):
        deadline = utcnow() + timedelta(seconds=10)
        while run_rows.get(RecJob, run_id, lambda r: r.heartbeat_at, "") < utcnow() - timedelta(seconds=5):
            assert utcnow() < deadline
    assert lifecycle.mark_interrupted(RECOMMENDATION_JOB) == 0
    assert not lifecycle.Heartbeat(RECOMMENDATION_JOB, run_id).should_stop()  # a kind without cancel never stops


def test_one_status_vocabulary_with_one_icon_each():
    assert set(lifecycle.STATUS_WORDS) == {*lifecycle.ACTIVE, *lifecycle.FINISHED}
    assert lifecycle.status_label("running") == "running" and lifecycle.status_label("succeeded") == "complete"
