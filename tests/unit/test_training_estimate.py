"""The training-time estimate shown before a run starts grows with what training will read."""

from __future__ import annotations

import math

import pytest

from core.nlp.training import TrainingParams, can_stop_early, estimate_training_seconds, host_speed_factor, mean_tokens


def work(texts: list[str], params: TrainingParams, host_factor: float = 1.0) -> float:
    """The estimate on the reference host (``host_factor`` 1) less its fixed part (loading and saving), which an
    empty file shows."""
    fixed = estimate_training_seconds([], params, "cpu", host_factor) if host_factor == 1.0 else 10.0 * host_factor**0.5
    return estimate_training_seconds(texts, params, "cpu", host_factor) - fixed


def test_mean_tokens_follows_text_length_and_stops_at_max_length() -> None:
    assert mean_tokens([], 128) == 0.0
    assert mean_tokens(["a" * 40] * 3, 128) == pytest.approx(12.0)  # 40 characters: about 10 word pieces + 2
    assert mean_tokens(["a" * 10_000], 64) == 64.0


def test_estimate_grows_with_rows_text_length_and_epochs() -> None:
    short, long_ = ["card not arrived"] * 1000, ["The quarterly report shows a sharp fall in margins. " * 3] * 1000
    full = TrainingParams(method="full", epochs=3)
    assert work(long_, full) > 4 * work(short, full)
    assert work(short * 4, full) == pytest.approx(4 * work(short, full))
    assert work(short, TrainingParams(method="full", epochs=6)) == pytest.approx(2 * work(short, full))


def test_head_only_is_far_cheaper_than_fine_tuning() -> None:
    texts = ["I was charged twice for one card payment"] * 10_000  # Banking77-sized
    head = TrainingParams(method="head")
    assert estimate_training_seconds(texts, head, "cpu", host_factor=1.0) < 120  # the budget, 2 reference cores
    assert work(texts, TrainingParams(method="lora", epochs=4)) > 10 * work(texts, head)


def test_the_accurate_base_is_estimated_slower_by_its_measured_factor() -> None:
    texts = ["Operating profit fell sharply after the company issued a profit warning"] * 2000
    for method, factor in (("head", 6.75), ("lora", 3.95), ("full", 3.9)):  # benchmarks/results/base_encoders.json
        fast, accurate = TrainingParams(method=method), TrainingParams(method=method, base="accurate")
        assert work(texts, accurate) == pytest.approx(factor * work(texts, fast), rel=0.1)  # head: plus the head epochs


def test_a_slower_host_gets_a_longer_estimate() -> None:
    """The constants come from one host; a CPU that runs the encoder k times slower (no native bf16, or busy) is
    shown k times the work, not the reference host's time."""
    texts = ["I was charged twice for one card payment"] * 2000
    for method in ("head", "lora"):
        params = TrainingParams(method=method)
        assert work(texts, params, host_factor=6.0) == pytest.approx(6 * work(texts, params))


def test_the_host_factor_is_measured_on_this_cpu_and_again_when_old(monkeypatch) -> None:
    from core.nlp import training

    measured = []
    monkeypatch.setattr(training, "_host_factor", None)
    monkeypatch.setattr(training, "_measure_host_speed_factor", lambda: measured.append(1) or 3.0 + len(measured))
    factor = host_speed_factor()
    assert factor == 4.0 and host_speed_factor() == 4.0 and len(measured) == 1  # not re-timed on every page rerun
    texts = ["I was charged twice for one card payment"] * 2000
    assert estimate_training_seconds(texts, TrainingParams(), "cpu") == estimate_training_seconds(texts, TrainingParams(), "cpu", factor)
    clock = training.time.monotonic() + training.HOST_FACTOR_MAX_AGE_S + 1
    monkeypatch.setattr(training.time, "monotonic", lambda: clock)
    assert host_speed_factor() == 5.0 and len(measured) == 2  # measured again: the machine may be quieter now


def test_the_host_factor_measured_here_is_in_range() -> None:
    from core.nlp.training import _measure_host_speed_factor

    assert 0.2 <= _measure_host_speed_factor() <= 20.0


def test_an_unknown_base_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown base encoder 'huge'; use one of fast, accurate"):
        estimate_training_seconds(["a"], TrainingParams(base="huge"), "cpu")


def test_a_scoring_estimate_grows_with_rows_models_and_the_accurate_base() -> None:
    from core.nlp.training import estimate_scoring_seconds

    def scoring(rows: int, models: list[tuple[str, int]], host_factor: float = 1.0) -> float:
        fixed = 5.0 * len(models) * host_factor**0.5  # starting the process and loading each model
        sample = ["Shares of the lender fell after it cut its outlook"] * 20
        return estimate_scoring_seconds(sample, rows, models, "cpu", host_factor) - fixed

    fast, accurate = [("fast", 96)], [("accurate", 96)]
    assert scoring(4000, fast) == pytest.approx(2 * scoring(2000, fast))
    assert scoring(2000, accurate) == pytest.approx(6.75 * scoring(2000, fast))  # benchmarks/results/base_encoders.json
    assert scoring(2000, fast + accurate) == pytest.approx(scoring(2000, fast) + scoring(2000, accurate))  # a pass each
    assert scoring(2000, fast, host_factor=6.0) == pytest.approx(6 * scoring(2000, fast))
    assert estimate_scoring_seconds([], 0, fast, "cpu", 1.0) == 5.0


def test_a_scoring_estimate_without_the_start_is_the_scoring_alone() -> None:
    from core.nlp.training import estimate_scoring_seconds

    sample, fast = ["Shares of the lender fell after it cut its outlook"] * 20, [("fast", 96), ("fast", 64)]
    whole = estimate_scoring_seconds(sample, 3000, fast, "cpu", 4.0)
    assert whole - estimate_scoring_seconds(sample, 3000, fast, "cpu", 4.0, start=False) == pytest.approx(2 * 5.0 * 2.0)


def test_a_model_keeping_fewer_layers_is_estimated_cheaper_in_proportion() -> None:
    texts = ["Operating profit fell sharply after the company issued a profit warning"] * 2000
    whole, half = TrainingParams(method="full", epochs=6), TrainingParams(method="full", epochs=6, layers=3)
    assert work(texts, half) == pytest.approx(work(texts, whole) / 2)  # 3 of the fast encoder's 6 layers


def test_a_compression_estimate_adds_the_teachers_labelling_to_the_students_training() -> None:
    from core.nlp.distil import SPEED_TEXTS, estimate_distil_seconds, student_params
    from core.nlp.training import estimate_scoring_seconds
    from core.repositories.models import VersionInfo

    texts = ["Shares of the lender fell after it cut its outlook"] * 6000
    teacher = VersionInfo(1, "sentiment", 3, "full", ["negative", "neutral", "positive"], {"base": "accurate", "max_length": 64},
                          {}, "", 0.0, "cpu", "tests", None, False, "", "")  # fmt: skip
    smallest = student_params("full", 3).resolved()
    estimate = estimate_distil_seconds(texts, teacher, smallest, held_out_rows=400, device="cpu")
    labelling = estimate_scoring_seconds(texts, len(texts), [("accurate", 64)], "cpu")
    training = estimate_training_seconds(texts, smallest, "cpu")
    checking = estimate_scoring_seconds(texts, 400 + SPEED_TEXTS, [("accurate", 64)], "cpu", start=False)
    assert estimate == pytest.approx(labelling + training + checking)
    assert smallest.epochs == 6 and smallest.layers == 3  # what distil() trains the default student with
    assert estimate_distil_seconds(texts * 2, teacher, smallest, 400, "cpu") > 1.8 * estimate
    quick = estimate_distil_seconds(texts, teacher, student_params("head"), 400, "cpu")  # a head on the frozen encoder
    assert labelling + checking < quick < labelling + checking + training / 5


def test_a_student_over_a_small_pool_gets_enough_steps_to_learn_its_teacher() -> None:
    """A 120-row task's compression: 6 epochs over its 104 texts were 18 steps, and the student agreed with its
    teacher on 75 % of the held-out rows (60 steps: 94 %)."""
    from core.nlp.distil import student_params
    from core.nlp.training import MIN_TRAINING_STEPS

    def steps(params: TrainingParams, texts: int) -> int:
        p = params.resolved()
        return p.epochs * math.ceil(texts * (1 - p.validation_share) / p.batch_size)

    for student in (student_params("full", 3, texts=104), student_params("full", texts=104), student_params("lora", texts=60)):
        assert MIN_TRAINING_STEPS <= steps(student, 104 if student.method == "full" else 60) < MIN_TRAINING_STEPS + 60
    assert student_params("full", 3, texts=13_808).resolved().epochs == 6  # a benchmark-sized pool: as before
    assert student_params("head", texts=104).resolved().epochs == 300  # a head student already has many epochs


def test_a_fine_tune_on_a_small_file_left_to_its_default_epochs_gets_enough_steps() -> None:
    """4 LoRA epochs over a 120-row file were 16 steps, and early stopping after 2 flat epochs only 8 more."""
    from core.nlp.training import MIN_TRAINING_STEPS, PATIENCE_STEPS

    def steps(params: TrainingParams, rows: int) -> int:
        p = params.for_rows(rows).resolved()
        return p.epochs * math.ceil(rows * (1 - p.validation_share) / p.batch_size)

    for method in ("lora", "full"):
        assert MIN_TRAINING_STEPS <= steps(TrainingParams(method=method), 120) < MIN_TRAINING_STEPS + 40
        assert TrainingParams(method=method).for_rows(5_000).resolved().epochs == 4  # a large file: the default, as before
    assert TrainingParams(method="lora").for_rows(120).patience * 4 >= PATIENCE_STEPS  # 4 steps an epoch: waits 8 epochs
    assert TrainingParams(method="lora").for_rows(5_000).patience == 2
    assert TrainingParams(method="lora", epochs=3).for_rows(120) == TrainingParams(method="lora", epochs=3)  # the user's choice
    assert TrainingParams(method="head").for_rows(120) == TrainingParams(method="head")  # a head has 60 epochs already
    texts = ["The parcel arrived broken and nobody answers my emails"] * 120
    assert work(texts, TrainingParams(method="lora")) > 4 * work(texts, TrainingParams(method="lora", epochs=4))  # said before


def test_the_cli_says_the_estimate_in_the_pages_words(beacon_env, monkeypatch) -> None:
    """``python -m core train`` said "0.1 minutes (estimate)" where Model Studio says "about 10 seconds"."""
    from core.cli.train import estimate_line
    from core.settings import get_settings
    from core.wording import rough_duration

    monkeypatch.setenv("BEACON_DEVICE", "cpu")
    get_settings.cache_clear()
    texts, params = ["late parcel and rude support"] * 80, TrainingParams(method="head")
    line = estimate_line(texts, params)
    assert line.startswith("base encoder: fast (all-MiniLM-L6-v2); device: cpu; estimated training time: at most about ")
    assert rough_duration(estimate_training_seconds(texts, params, "cpu")) in line
    assert "minutes (estimate)" not in line


def test_an_estimate_that_counts_epochs_early_stopping_may_skip_says_at_most(beacon_env) -> None:
    """The estimate counts every epoch; a small file's automatic LoRA epochs (about 40 for 120 rows) often stop early."""
    from core.cli.train import estimate_line
    from core.wording import training_time_text

    assert can_stop_early(TrainingParams(method="lora"), 120)  # automatic epochs, patience of a few of them
    assert not can_stop_early(TrainingParams(method="lora", epochs=3), 120)  # patience 2: no epoch to skip
    assert training_time_text(20, True) == "at most about 20 seconds (early stopping can end it sooner)"
    assert training_time_text(20, False) == "about 20 seconds"
    assert estimate_line(["late parcel and rude support"] * 120, TrainingParams(method="lora")).endswith("can end it sooner)")


def test_the_estimate_per_base_encoder_also_says_at_most_when_early_stopping_can_end_sooner() -> None:
    from core.views.model_studio import Plan

    per_base = {"fast": 20.0, "accurate": 180.0}
    bounded = Plan("CPU", 20.0, per_base, may_stop_early=True).per_base_text
    assert bounded == "fast at most about 20 seconds · accurate at most about 3 minutes"
    assert Plan("CPU", 20.0, per_base).per_base_text == "fast about 20 seconds · accurate about 3 minutes"
