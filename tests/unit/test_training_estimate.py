"""The training-time estimate shown before a run starts grows with what training will read."""

from __future__ import annotations

import pytest

from core.nlp.training import TrainingParams, estimate_training_seconds, mean_tokens


def work(texts: list[str], params: TrainingParams) -> float:
    """The estimate less its fixed part (loading and saving), which an empty file shows."""
    return estimate_training_seconds(texts, params, "cpu") - estimate_training_seconds([], params, "cpu")


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
    assert estimate_training_seconds(texts, head, "cpu") < 120  # the budget for head-only Banking77 on 2 cores
    assert work(texts, TrainingParams(method="lora", epochs=4)) > 10 * work(texts, head)
