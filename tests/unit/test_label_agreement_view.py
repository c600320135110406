"""How a comparison with the file's own labels is shown: the heat map keeps the labels in use, the words count."""

from __future__ import annotations

from core.scoring.agreement import LabelAgreement
from core.views.batch_scoring import agreement_confusion, agreement_text

LABELS = ["Earnings", "Fed", "IPO", "Macro"]


def agreement(not_compared: int = 0) -> LabelAgreement:
    confusion = [[5, 0, 0, 1],  # Earnings: 5 right, 1 called Macro
                 [0, 0, 0, 0],  # Fed: not in the file, never predicted
                 [0, 0, 0, 0],  # IPO: not in the file ...
                 [0, 0, 2, 3]]  # ... but the model called 2 Macro rows IPO
    return LabelAgreement("topic", "label", LABELS, 11, not_compared, 8 / 11, 0.5, confusion, ("label", "topic_label"))  # fmt: skip


def test_the_heat_map_keeps_the_file_labels_as_rows_and_the_labels_given_as_columns():
    frame = agreement_confusion(agreement())
    assert frame.index.tolist() == ["Earnings", "Macro"]
    assert frame.columns.tolist() == ["Earnings", "IPO", "Macro"]  # Fed: neither in the file nor given
    assert frame.loc["Macro", "IPO"] == 2 and int(frame.to_numpy().sum()) == 11


def test_the_rows_not_compared_are_counted_in_words():
    assert "; 1 row was not compared (no such label" in agreement_text(agreement(1))
    assert "; 3 rows were not compared (no such label" in agreement_text(agreement(3))
    assert "not compared" not in agreement_text(agreement(0))


def test_class_bars_keep_the_sentiment_scale_and_put_other_tasks_most_rows_first():
    from types import SimpleNamespace

    from core.views.batch_scoring import class_shares

    counts = {"sentiment": {"positive": 9, "negative": 2, "neutral": 5}, "topic": {"Macro": 1, "Energy": 4}}
    run = SimpleNamespace(tasks=["sentiment", "topic"], label_counts=counts)
    shares = class_shares(run)
    assert shares[shares.task == "sentiment"]["label"].tolist() == ["negative", "neutral", "positive"]
    assert shares[shares.task == "topic"]["label"].tolist() == ["Energy", "Macro"]
    assert shares[shares.task == "sentiment"]["share"].sum() == 1.0
