"""The three operating points of the ask path ("answer more", "balanced", "be more careful"): where they come from
(the benchmark's validation tuning, for the retrieval the product runs), the policy each one gives, the settings'
precedence, and the effect the page states in words. No database, no model."""

from __future__ import annotations

import importlib.util
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from core.support import operating_points as points
from core.support.batch import BatchReport
from core.support.decision import Policy, decide
from core.support.kb import TeamThreshold
from core.views import customer_service as view

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def plain_settings(monkeypatch: pytest.MonkeyPatch):
    """No support setting from the shell; settings read afresh in and after each test."""
    from core.settings import get_settings

    for name in ("BEACON_SUPPORT_OPERATING_POINT", "BEACON_SUPPORT_CONFIDENCE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def _set(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    from core.settings import get_settings

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


def _benchmark():
    spec = importlib.util.spec_from_file_location("support_benchmark", ROOT / "benchmarks" / "support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_points_are_measured_for_the_ask_path_the_product_runs() -> None:
    from core.support.assistant import RERANK_WEIGHT
    from core.support.retrieval import RETRIEVAL_BASE, KBIndex

    index = KBIndex([], np.zeros((0, 4), np.float32)).with_rerank_weight(RERANK_WEIGHT)  # as load_kb gives it to ask
    assert points.measured()["ask_path"] == {"base": RETRIEVAL_BASE, "lexical_weight": index.lexical_weight,
                                             "rerank_weight": index.rerank_weight}  # fmt: skip


def test_the_points_file_is_what_the_benchmark_writes_from_its_validation_tuning() -> None:
    results = json.loads((ROOT / "benchmarks" / "results" / "support.json").read_text())
    assert _benchmark().operating_points_file(results["faq"]) == points.measured()


def test_more_careful_points_answer_less_and_wrongly_less_and_escalate_more_unknown_questions() -> None:
    more, balanced, careful = points.operating_points()
    assert [p.name for p in (more, balanced, careful)] == ["answer more", "balanced", "be more careful"]
    assert more.threshold < balanced.threshold < careful.threshold
    assert more.answered > balanced.answered > careful.answered and more.wrong > balanced.wrong > careful.wrong
    assert more.unknown_escalated <= balanced.unknown_escalated <= careful.unknown_escalated
    assert all(p.wrong <= p.max_wrong for p in (more, balanced, careful))


def test_each_point_gives_its_threshold_and_custom_takes_one_by_hand() -> None:
    careful = Policy.for_operating_point("Be-More-Careful")
    assert careful.confidence_threshold == points.operating_point("be more careful").threshold
    assert careful.operating_point == "be more careful" and careful.describe().startswith("be more careful (threshold 0.")
    similarity = (points.operating_point("answer more").threshold + careful.confidence_threshold) / 2
    assert decide(similarity, policy=careful).escalate and not decide(similarity, policy=Policy.for_operating_point("answer more")).escalate
    custom = Policy.for_operating_point("custom", 0.42)
    assert (custom.confidence_threshold, custom.operating_point, custom.describe()) == (0.42, "custom", "custom threshold 0.42")
    assert Policy.for_operating_point("custom").confidence_threshold == 0.6  # the settings' threshold
    team = Policy.for_team(0.48)
    assert (team.confidence_threshold, team.operating_point, team.describe()) == (0.48, "team", "team threshold 0.48")
    assert team.intent_threshold == custom.intent_threshold and team.negative_threshold == custom.negative_threshold
    assert view.policy_words(team.describe()) == "the team threshold 0.48"
    assert view.chosen_policy("balanced", 0.48, team_threshold=0.48) == team  # the page's slider left at the team's
    assert view.chosen_policy("balanced", 0.5, team_threshold=0.48).describe() == "custom threshold 0.50"  # moved off it
    assert view.chosen_policy("balanced", None, team_threshold=0.48).operating_point == "balanced"
    with pytest.raises(ValueError, match="unknown operating point 'sometimes'.*'answer more', 'balanced', 'be more careful', 'custom'"):
        Policy.for_operating_point("sometimes")


def test_settings_default_to_balanced_and_an_explicit_threshold_alone_means_custom(plain_settings) -> None:
    assert Policy.from_settings().operating_point == "balanced"
    assert Policy.from_settings().confidence_threshold == points.operating_point("balanced").threshold
    _set(plain_settings, BEACON_SUPPORT_CONFIDENCE_THRESHOLD="0.55")
    assert (Policy.from_settings().operating_point, Policy.from_settings().confidence_threshold) == ("custom", 0.55)
    _set(plain_settings, BEACON_SUPPORT_OPERATING_POINT="answer more")  # both set: the operating point wins
    assert Policy.from_settings().confidence_threshold == points.operating_point("answer more").threshold
    _set(plain_settings, BEACON_SUPPORT_OPERATING_POINT="custom")
    assert Policy.from_settings().confidence_threshold == 0.55


def test_the_page_starts_where_the_settings_say_and_names_a_bad_setting(plain_settings) -> None:
    assert view.default_choice() == ("balanced", False, None)
    _set(plain_settings, BEACON_SUPPORT_OPERATING_POINT="be_more_careful")
    assert view.default_choice() == ("be more careful", False, None)
    _set(plain_settings, BEACON_SUPPORT_OPERATING_POINT="custom")
    assert view.default_choice() == ("balanced", True, None)
    _set(plain_settings, BEACON_SUPPORT_OPERATING_POINT="often")
    start, custom, problem = view.default_choice()
    assert (start, custom) == ("balanced", False) and problem.startswith("unknown operating point 'often'")
    assert "using 'balanced'" in problem


def test_the_effect_is_stated_in_words_from_the_measured_numbers() -> None:
    p = points.operating_point("balanced")
    text = view.effect_text("balanced")
    assert text.startswith("On a validation set of bank questions: ")
    assert f"answers {p.answered * 100:.0f} % of the questions the FAQ covers" in text
    assert f"gives a wrong answer to {p.wrong * 100:.1f} % of them" in text
    assert f"escalates {p.unknown_escalated * 100:.0f} % of the questions it has no answer for" in text
    assert view.effect_text("balanced") != view.effect_text("be more careful")
    custom = view.effect_text("balanced", 0.5)
    assert custom.startswith("Custom threshold 0.50 is in use") and "not measured" in custom
    measured = TeamThreshold(0.5, "ana", datetime(2026, 12, 1), checked=30)
    team = view.effect_text("balanced", 0.5, team=measured)
    assert team.startswith("The team threshold 0.50 is in use") and "not measured" not in team
    assert "picked on 30 of the team's past questions" in team
    assert "not measured" in view.effect_text("balanced", 0.55, team=measured)  # moved off the team's threshold
    by_hand = view.effect_text("balanced", 0.5, team=TeamThreshold(0.5, "ana", datetime(2026, 12, 1), by_hand=True))
    older = view.effect_text("balanced", 0.5, team=TeamThreshold(0.5, "ana", datetime(2026, 12, 1)))  # count not kept then
    assert "it was picked on the team's past questions" in older and "not measured" not in older
    assert by_hand.startswith("The team threshold 0.50 is in use") and "set by hand and its effect was not measured" in by_hand
    assert f"{p.test_wrong * 100:.0f} %" in view.caveat_text() and "not on your FAQ" in view.caveat_text()
    assert view.caveat_text().endswith("(Past questions tab).")
    assert view.caveat_text(on_past_questions=True).endswith("(as this tab does).")
    careful = points.operating_point("be more careful")
    assert f"the be more careful point gave a wrong answer to {careful.test_wrong * 100:.0f} %" in view.caveat_text("be more careful")
    assert [view.operating_point_label(n) for n in view.OPERATING_POINTS] == ["Answer more", "Balanced", "Be more careful"]


def test_the_pages_choice_gives_the_policy_and_the_batch_result_names_it() -> None:
    assert view.chosen_policy("answer more") == Policy.for_operating_point("answer more")
    assert view.chosen_policy("answer more", 0.3) == Policy.for_operating_point("custom", 0.3)
    threshold = points.operating_point("balanced").threshold
    report = BatchReport(rows=2, answered=1, escalated=1, operating_point=Policy.for_operating_point("balanced").describe())
    assert report.summary() == f"2 rows: 1 answered, 1 escalated; operating point: balanced (threshold {threshold:.2f})"
    assert view.batch_policy_text(report) == f"Answered with the operating point balanced (threshold {threshold:.2f})."
    assert view.batch_policy_text(BatchReport()) == ""
    assert view.batch_policy_text(BatchReport(operating_point="custom threshold 0.40")) == "Answered with the custom threshold 0.40."


def test_the_threshold_table_names_the_threshold_a_file_was_answered_with() -> None:
    from core.support.threshold_effects import RowOutcome

    outcomes = [RowOutcome(0.9, False, True), RowOutcome(0.45, False, False), RowOutcome(0.2, False, None)]
    team = view.threshold_table(BatchReport(operating_point="team threshold 0.40", threshold=0.4, outcomes=outcomes))
    assert team["Choice"].tolist()[-1] == "Team threshold" and team["Threshold"].tolist()[-1] == 0.4
    assert team.set_index("Choice").loc["Team threshold", "Answered wrong"] == "1 (50 %)"  # 0.45 is over 0.40
    custom = view.threshold_table(BatchReport(operating_point="custom threshold 0.40", threshold=0.4, outcomes=outcomes))
    assert custom["Choice"].tolist()[-1] == "Custom (this file)"
    balanced = points.operating_point("balanced")
    at_point = view.threshold_table(BatchReport(operating_point=Policy.for_operating_point("balanced").describe(),
                                                threshold=balanced.threshold, outcomes=outcomes))  # fmt: skip
    assert at_point["Choice"].tolist() == ["Answer more", "Balanced", "Be more careful"]  # no extra row for a point


def test_past_questions_answered_on_the_page_measure_a_custom_or_team_threshold() -> None:
    from core.support.threshold_effects import RowOutcome

    outcomes = [RowOutcome(0.9, False, True), RowOutcome(0.45, False, False), RowOutcome(0.3, False, True),
                RowOutcome(0.95, True, True), RowOutcome(0.2, False, None)]  # fmt: skip
    answered = BatchReport(operating_point="custom threshold 0.40", threshold=0.4, outcomes=outcomes)
    assert view.effect_text("balanced", 0.4, True, answered_file=answered) == (
        "Custom threshold 0.40 is in use instead of the choice above: on the 4 past questions with an expected answer "
        "below, it would answer 2 (50 %), 1 of them wrongly (25 %), and escalate 2.")  # 0.3 is under it; 0.95 held back
    team = TeamThreshold(0.5, "ana", datetime(2026, 12, 1), by_hand=True)
    assert view.effect_text("balanced", 0.5, True, team, answered).startswith(
        "The team threshold 0.50 is in use instead of the choice above: on the 4 past questions with an expected answer "
        "below, it would answer 1 (25 %), 0 of them wrongly")  # measured now, though it was set by hand
    unchecked = BatchReport(outcomes=[RowOutcome(0.9, False, None)])
    assert "not measured" in view.effect_text("balanced", 0.4, True, answered_file=unchecked)  # nothing to check it on
    assert view.effect_text("balanced", None, True, answered_file=answered).startswith("On a validation set")


def test_the_list_of_knowledge_bases_says_each_team_threshold_and_what_it_rests_on() -> None:
    when = datetime(2026, 12, 1)
    assert view.team_threshold_cell(None) == ""
    assert view.team_threshold_cell(TeamThreshold(0.48, "ana", when, checked=25)) == "0.48 (25 past questions)"
    assert view.team_threshold_cell(TeamThreshold(0.6, "ana", when)) == "0.60 (past questions)"  # the count not kept then
    assert view.team_threshold_cell(TeamThreshold(0.67, "ana", when, by_hand=True)) == "0.67 (set by hand)"
