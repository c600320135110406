"""The progress caption of a training or compression run in Model Studio (core.views.model_studio.run_fraction)."""

from __future__ import annotations

from datetime import datetime

from core.nlp.runs import RunView
from core.storage.tables import utcnow
from core.views.model_studio import run_fraction


def _run(status: str, epoch: int, epochs: int, step: int, total: int) -> RunView:
    point = {"epoch": epoch, "epochs": epochs, "step": step, "total_steps": total, "loss": 0.25}
    return RunView(1, "sentiment", "head", status, {}, ["a", "b"], 10, [point], None, "cpu", "t", None, None, None, None, {}, False)


def test_a_run_that_stopped_early_says_so_under_its_full_bar():
    fraction, caption = run_fraction(_run("succeeded", 66, 300, 660, 3000))
    assert fraction == 1.0
    assert caption.startswith("stopped early after epoch 66 of 300: the validation score stopped improving")


def test_a_run_that_trained_every_epoch_or_is_still_going_shows_epoch_and_step():
    assert run_fraction(_run("succeeded", 6, 6, 18, 18)) == (1.0, "epoch 6/6 · step 18/18 · loss 0.2500")
    fraction, caption = run_fraction(_run("running", 2, 6, 6, 18))
    assert abs(fraction - 1 / 3) < 1e-9 and caption.startswith("epoch 2/6 · step 6/18")
    fraction, caption = run_fraction(_run("failed", 2, 6, 6, 18))
    assert abs(fraction - 1 / 3) < 1e-9 and caption.startswith("epoch 2/6")  # a failed run is not "stopped early"


def test_version_settings_name_the_lora_rank_only_for_lora_versions() -> None:
    from core.views.model_studio import settings_text

    params = {"epochs": 60, "learning_rate": 0.01, "lora_rank": 8, "seed": 13}
    assert settings_text("head", params) == "epochs=60, learning_rate=0.01"
    assert settings_text("lora", params) == "epochs=60, learning_rate=0.01, lora_rank=8"


def test_the_runs_table_shows_a_dash_until_a_run_has_a_score() -> None:
    from dataclasses import replace

    from core.views.model_studio import runs_table

    running = _run("running", 2, 6, 6, 18)
    done = replace(running, id=2, status="succeeded", model_version=3, result={"metrics": {"macro_f1": 0.82186}})
    table = runs_table([running, done])
    assert table["macro-F1"].tolist() == ["–", "0.8219"]  # not a greyed "None" while the run trains
    assert table["version"].tolist() == ["", "v3"]


def test_a_score_card_says_same_when_nothing_changed_and_signs_a_change():
    from core.views.model_studio import versus

    assert versus(0.5496, 0.5496, 1) == ("same as v1", False)
    assert versus(0.5501, 0.5497, 1) == ("same as v1", False)  # equal at the three decimals shown
    assert versus(0.711, 0.690, 3) == ("+0.021 vs v3", True)
    assert versus(0.690, 0.711, 3) == ("-0.021 vs v3", True)
    assert versus(0.7, None, None) == (None, False)  # no version to compare with


def test_a_compression_run_shows_the_teacher_labelling_before_the_student_trains():
    from dataclasses import replace

    from core.views.model_studio import progress_frame, run_kind

    labelling = replace(_run("running", 1, 1, 0, 1), method="distil", progress=[{"stage": "labelling", "done": 4096, "total": 13642}])
    fraction, caption = run_fraction(labelling)
    assert abs(fraction - 4096 / 13642) < 1e-9
    assert caption == "the teacher labels the texts: 4,096 of 13,642 (then the student trains)"
    assert progress_frame(labelling).empty  # no loss to chart yet
    epoch = {"epoch": 1, "epochs": 6, "step": 3, "loss": 1.3, "val_macro_f1": 0.9, "val_accuracy": 0.94}
    training = replace(labelling, progress=[*labelling.progress, epoch])
    assert set(progress_frame(training)["measure"]) == {  # the teacher's labels, not the true ones of the side by side
        "training loss", "agreement with the teacher (macro-F1)", "agreement with the teacher (accuracy)"}
    assert "validation accuracy" in set(progress_frame(replace(training, method="full"))["measure"])
    assert run_kind(labelling) == "compression" and run_kind(_run("running", 1, 1, 0, 1)) == "head"


def test_a_compression_result_reads_as_sentences_with_grouped_numbers():
    from dataclasses import replace

    from core.views.model_studio import compression_text

    distilled = {"validation_rows": 2406, "agreement": 0.817, "texts": 13634,
                 "sources": {"stored feed items": 0, "the teacher's training texts": 13634},
                 "int8": {"applied": False, "reason": "kept in fp32: in int8 only 94.45% of 2,000 texts got the fp32 label"}}  # fmt: skip
    run = replace(_run("succeeded", 1, 1, 1, 1), method="distil", result={"distilled": distilled})
    text = compression_text(run)
    assert "the teacher's 2,406 held-out validation rows (same label on 81.7%)" in text
    assert "labels on 13,634 texts (0 from stored feed items, 13,634 from the teacher's training texts). Kept in fp32: in int8" in text


def test_a_running_run_says_about_how_long_is_left_from_its_own_speed():
    from dataclasses import replace

    start = {"epoch": 1, "epochs": 6, "step": 10, "total_steps": 1110, "loss": 0.9, "s": 0.0}
    now = {"epoch": 1, "epochs": 6, "step": 110, "total_steps": 1110, "loss": 0.5, "s": 60.0}
    running = replace(_run("running", 1, 6, 110, 1110), progress=[start, now])
    assert run_fraction(running)[1] == "epoch 1/6 · step 110/1110 · loss 0.5000 · about 10m 00s left"  # 100 steps a minute
    assert "left" not in run_fraction(replace(running, status="failed"))[1]
    assert "left" not in run_fraction(replace(running, progress=[start, now | {"s": 4.0}]))[1]  # too soon to tell
    no_time = [{k: v for k, v in p.items() if k != "s"} for p in (start, now)]  # a run from before the points were timed
    assert run_fraction(replace(running, progress=no_time))[1] == "epoch 1/6 · step 110/1110 · loss 0.5000"

    labelling = replace(running, method="distil", progress=[{"stage": "labelling", "done": 4096, "total": 13642, "s": 30.0, "from": 1024}])
    assert run_fraction(labelling)[1] == "the teacher labels the texts: 4,096 of 13,642 · about 1m 33s left (then the student trains)"


def test_the_time_left_counts_down_between_the_points_a_run_writes():
    """A slow run writes a point every ten steps (half a minute apart on a CPU with the accurate encoder): the time
    left runs on from the newest point instead of standing still until the next."""
    from dataclasses import replace
    from datetime import datetime, timedelta

    written = datetime(2026, 12, 6, 8, 0, 0)
    start = {"epoch": 1, "epochs": 6, "step": 10, "total_steps": 1110, "loss": 0.9, "s": 0.0, "at": "2026-12-06T07:59:00"}
    last = {"epoch": 1, "epochs": 6, "step": 110, "total_steps": 1110, "loss": 0.5, "s": 60.0, "at": written.isoformat()}
    running = replace(_run("running", 1, 6, 110, 1110), progress=[start, last])
    assert run_fraction(running, now=written)[1].endswith(" · about 10m 00s left")
    assert run_fraction(running, now=written + timedelta(seconds=25))[1].endswith(" · about 9m 35s left")
    assert "left" not in run_fraction(running, now=written + timedelta(minutes=11))[1]  # overdue: no "0s left" on a live run
    labelling = replace(running, method="distil", progress=[{"stage": "labelling", "done": 4096, "total": 13642, "s": 30.0,
                                                           "from": 1024, "at": written.isoformat()}])  # fmt: skip
    assert "about 1m 03s left" in run_fraction(labelling, now=written + timedelta(seconds=30))[1]


def test_progress_points_carry_the_seconds_into_their_stage(db, monkeypatch):
    from core.nlp import runs
    from core.nlp.training import TrainingProgress

    clock = [100.0]
    monkeypatch.setattr(runs.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(runs, "_set", lambda run_id, **values: written.append(values["progress"]))
    written: list = []
    reporter = runs._RunReporter(1, heartbeat=None)
    reporter.labelling(512, 2048)
    clock[0] = 130.0
    reporter.labelling(2048, 2048)
    [point] = written[-1]
    at = datetime.fromisoformat(point.pop("at"))  # when it was written (UTC): the page counts the time left down from it
    assert abs((utcnow() - at).total_seconds()) < 60
    assert point == {"stage": "labelling", "done": 2048, "total": 2048, "s": 30.0, "from": 512}
    clock[0] = 131.0
    reporter.progress(TrainingProgress(1, 6, 1, 100, 0.7))
    clock[0] = 190.0
    reporter.progress(TrainingProgress(1, 6, 21, 100, 0.5, 0.8, 0.79))
    assert [p["s"] for p in written[-1]] == [0.0, 59.0]  # the training stage's own clock, not the labelling's
    assert all("at" in p for p in written[-1])
