"""What each threshold would do on past questions: counts per threshold from one pass, and the suggested threshold
(the lowest within a wrong-answer budget)."""

from __future__ import annotations

import pytest

from core.support.threshold_effects import MIN_CHECKED_FOR_SUGGESTION, RowOutcome, suggest_threshold, threshold_effects


def test_a_row_is_answered_from_its_confidence_up_unless_something_else_holds_it_back():
    outcomes = [RowOutcome(0.9, False, True), RowOutcome(0.6, False, False), RowOutcome(0.95, True, True),
                RowOutcome(0.5, False, None)]  # fmt: skip
    effects = threshold_effects(outcomes, [0.5, 0.6, 0.61, 0.9, 0.91]).set_index("threshold")
    assert effects["answered"].tolist() == [3, 2, 1, 1, 0]  # the held-back row never; the unchecked one counts here
    assert effects["checked"].tolist() == [3] * 5
    assert effects.loc[0.6, ["right", "wrong", "escalated"]].tolist() == [1, 1, 1]
    assert effects.loc[0.61, ["right", "wrong", "escalated"]].tolist() == [1, 0, 2]
    assert effects.loc[0.6, "wrong_share"] == pytest.approx(1 / 3)


def test_the_suggestion_is_the_lowest_threshold_within_the_budget():
    right = [RowOutcome(0.8 + i / 1000, False, True) for i in range(18)]
    wrong = [RowOutcome(0.55, False, False), RowOutcome(0.65, False, False)]
    found = suggest_threshold(right + wrong, max_wrong=0.05)  # 1 wrong of 20 is 5 %: from 0.56 on
    assert (found.threshold, found.answered, found.wrong, found.checked) == (0.56, 19, 1, 20)
    assert suggest_threshold(right + wrong, max_wrong=0.0).threshold == 0.66  # no wrong answer at all


def test_too_few_checked_questions_get_no_suggestion():
    few = [RowOutcome(0.9, False, True)] * (MIN_CHECKED_FOR_SUGGESTION - 1) + [RowOutcome(0.9, False, None)] * 5
    assert suggest_threshold(few, max_wrong=0.05) is None
    assert suggest_threshold(few + [RowOutcome(0.9, False, True)], max_wrong=0.05) is not None


def test_wrong_answers_even_at_the_top_get_no_suggestion():
    confused = [RowOutcome(1.0, False, False)] * MIN_CHECKED_FOR_SUGGESTION  # the same question, another answer expected
    assert suggest_threshold(confused, max_wrong=0.05) is None
