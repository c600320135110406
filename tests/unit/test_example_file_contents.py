"""The example files are consistent with each other: what a user downloads next to one uploader fits the others."""

from __future__ import annotations

import io

import pandas as pd

from core.examples import EXAMPLES, example_csv


def read(kind: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(example_csv(kind)), dtype=str, keep_default_na=False)


def test_every_example_reads_back_as_written():
    for kind, example in EXAMPLES.items():
        assert read(kind).equals(example.build().astype(str)), kind


def test_past_questions_expect_answers_of_the_example_faq_or_none():
    answers = set(read("faq")["answer"])
    expected = read("past_questions")["expected_answer"]
    assert set(expected) - {""} <= answers
    assert (expected == "").sum() == 2  # questions the FAQ does not cover, to show an escalation
    from core.support.threshold_effects import MIN_CHECKED_FOR_SUGGESTION

    assert len(expected) >= MIN_CHECKED_FOR_SUGGESTION  # enough for Past questions to suggest a threshold


def test_interactions_name_catalogue_items_once_per_user_and_leave_new_items_untouched():
    catalogue, interactions = read("catalogue"), read("interactions")
    assert catalogue["item_id"].is_unique
    assert set(interactions["item_id"]) <= set(catalogue["item_id"])
    assert not interactions.duplicated(["user_id", "item_id"]).any()
    assert len(set(catalogue["item_id"]) - set(interactions["item_id"])) == catalogue["category"].nunique()
