"""Customer service page: the "Answer more <-> Be more careful" choice. A question whose best FAQ match lies between the
"answer more" and the "be more careful" thresholds (real encoder, no intent model: the confidence is the similarity)
is answered at "answer more" and escalated at "be more careful", in the Ask box and in the Past questions tab; the
measured effect is stated next to the choice; the custom threshold still works."""

from __future__ import annotations

import pytest

from core.support import operating_points as points
from core.support.decision import Policy
from tests.app.helpers import assert_no_exception, open_page, shown_texts, switch_tab, texts
from tests.app.test_customer_service_page import import_faq_through_the_page

LOW_SIMILARITY_ESCALATION = "Escalate to an agent — no FAQ entry is close enough to the question (low similarity; confidence "

BETWEEN = "How do I change my PIN number?"  # near "How do I reset my PIN?", but not near enough for "be more careful"
ANSWER = "Open the app, go to Cards and choose Reset PIN."


@pytest.fixture
def cards(db, monkeypatch: pytest.MonkeyPatch):
    """The page's FAQ imported through the page; checks that BETWEEN really lies between the two thresholds."""
    from core.settings import get_settings
    from core.support.assistant import ask

    for name in ("BEACON_SUPPORT_OPERATING_POINT", "BEACON_SUPPORT_CONFIDENCE_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases"))
    probe = ask("Cards", BETWEEN, policy=Policy.for_operating_point("custom", 0.0), log=False)
    assert probe.answer == ANSWER and probe.intent is None and probe.sentiment is None
    more, careful = points.operating_point("answer more").threshold, points.operating_point("be more careful").threshold
    assert more <= probe.decision.confidence < careful, (probe.decision.confidence, more, careful)
    return "Cards"


def ask_at(at, point: str):  # noqa: ANN001, ANN201 - AppTest
    at.select_slider(key="cs_point").set_value(point).run()
    at.chat_input(key="cs_question").set_value(BETWEEN).run()
    assert_no_exception(at)
    return at


def test_be_more_careful_escalates_what_answer_more_answers(cards) -> None:
    at = open_page("customer_service.py", "Ask")
    assert_no_exception(at)
    choice = at.select_slider(key="cs_point")
    assert choice.label == "Answer more ↔ Be more careful" and choice.value == "balanced"  # the default
    assert choice.options == ["Answer more", "Balanced", "Be more careful"]
    captions = shown_texts(at.caption)
    balanced = points.operating_point("balanced")
    assert any(c.startswith("On a validation set of bank questions: answers ") and f"{balanced.wrong * 100:.1f} %" in c for c in captions)
    assert any("not on your FAQ" in c for c in captions)

    at = ask_at(at, "be more careful")
    assert any(t.startswith(LOW_SIMILARITY_ESCALATION) for t in texts(at.warning))
    assert not any(m.startswith(ANSWER) for m in texts(at.markdown))  # not given to the customer
    assert any(m.startswith("**How do I reset my PIN") and ANSWER in m for m in texts(at.markdown))  # shown to the agent
    assert any(c.startswith("Decided at the operating point be more careful (threshold") for c in shown_texts(at.caption))

    at = ask_at(at, "answer more")
    assert any(m.startswith(ANSWER) for m in texts(at.markdown))
    assert any(c.startswith("Decided at the operating point answer more (threshold") for c in shown_texts(at.caption))
    more = points.operating_point("answer more")
    assert any(f"answers {more.answered * 100:.0f} % of the questions" in c for c in shown_texts(at.caption))


def test_a_custom_threshold_replaces_the_choice(cards) -> None:
    at = open_page("customer_service.py", "Ask")
    at.checkbox(key="cs_custom").check().run()
    at.slider(key="cs_threshold").set_value(0.99).run()
    assert any(c.startswith("Custom threshold 0.99 is in use") for c in shown_texts(at.caption))
    at = ask_at(at, "answer more")
    assert any(t.startswith(LOW_SIMILARITY_ESCALATION) for t in texts(at.warning))
    assert any(c == "Decided at the custom threshold 0.99" for c in shown_texts(at.caption))


def test_the_choice_and_a_custom_threshold_stay_after_a_visit_to_another_tab(cards) -> None:
    at = open_page("customer_service.py", "Ask")
    at.select_slider(key="cs_point").set_value("be more careful").run()
    at.checkbox(key="cs_custom").check().run()
    at.slider(key="cs_threshold").set_value(0.42).run()
    at = switch_tab(switch_tab(at, "Log"), "Ask")
    assert_no_exception(at)
    assert at.select_slider(key="cs_point").value == "be more careful"
    assert at.checkbox(key="cs_custom").value and at.slider(key="cs_threshold").value == 0.42
    assert any(c.startswith("Custom threshold 0.42 is in use") for c in shown_texts(at.caption))


def test_past_questions_are_answered_at_the_chosen_point_and_the_result_says_which(cards) -> None:
    at = switch_tab(open_page("customer_service.py", "Ask"), "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", f"question\n{BETWEEN}\n".encode(), "text/csv"))
    at.run()
    for point, answered in (("be more careful", "0 (0%)"), ("answer more", "1 (100%)")):
        at.select_slider(key="cs_b_point").set_value(point).run()
        at.button(key="cs_b_run").click().run()
        assert_no_exception(at)
        assert {m.label: m.value for m in at.metric}["Answered"] == answered
        threshold = points.operating_point(point).threshold
        assert f"Answered with the operating point {point} (threshold {threshold:.2f})." in shown_texts(at.caption)
