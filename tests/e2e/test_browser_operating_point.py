"""Customer service in a real browser: the "Answer more ↔ Be more careful" choice, moved with the keyboard, decides
whether one question is answered or handed to an agent (shipped models; the question's best FAQ match lies between
the two thresholds), and the measured effect is shown next to the choice; a threshold suggested from a file of past
questions (Past questions tab) is taken into the Ask box.
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.support.browser import SLOW, settled, shot, sign_in

pytestmark = pytest.mark.e2e

FAQ = pd.DataFrame({"question": ["How do I reset my PIN?", "What are your opening hours?"],
                    "answer": ["Open the app and choose Reset PIN.", "We are open 9 to 5 on weekdays."]})  # fmt: skip
BETWEEN = "How do I change my PIN number?"


def ask(page, question: str) -> None:  # noqa: ANN001 - Page
    chat = page.get_by_placeholder("Ask a customer question")
    chat.fill(question)
    chat.press("Enter")
    settled(page)


def test_moving_the_choice_to_be_more_careful_escalates_what_answer_more_answers(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.support.assistant import ask as ask_in_process
    from core.support.decision import Policy
    from core.support.kb import import_faq
    from core.support.operating_points import operating_point

    import_faq("Cards", FAQ, "question", "answer")
    confidence = ask_in_process("Cards", BETWEEN, policy=Policy.for_operating_point("custom", 0.0), log=False).decision.confidence
    assert operating_point("answer more").threshold <= confidence < operating_point("be more careful").threshold, confidence

    page = browser_page
    page.goto(f"{beacon['url']}/customer_service")
    sign_in(page)
    expect(page.get_by_role("heading", name="Customer service")).to_be_visible()
    choice = page.locator("[data-testid=stSlider]").filter(has_text="Answer more ↔ Be more careful").get_by_role("slider")
    expect(choice).to_have_attribute("aria-valuetext", "Balanced")
    expect(page.get_by_text(re.compile(r"^On a validation set of bank questions: answers \d+ %"))).to_be_visible()

    choice.focus()
    choice.press("ArrowRight")
    expect(choice).to_have_attribute("aria-valuetext", "Be more careful")
    settled(page)
    ask(page, BETWEEN)
    expect(page.get_by_text(re.compile(r"Escalate to an agent — no FAQ entry .*\(low similarity"))).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Decided at the operating point be more careful", exact=False)).to_be_visible()

    choice.focus()
    choice.press("ArrowLeft")
    choice.press("ArrowLeft")
    expect(choice).to_have_attribute("aria-valuetext", "Answer more")
    settled(page)
    ask(page, BETWEEN)
    expect(page.get_by_text("Open the app and choose Reset PIN.", exact=True)).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Decided at the operating point answer more", exact=False)).to_be_visible()
    shot(page, "customer_service_operating_point", tmp_path)


def test_a_threshold_suggested_from_past_questions_is_used_by_the_ask_box(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.support.kb import import_faq

    import_faq("Cards", FAQ, "question", "answer")
    rows = ([("How do I reset my PIN?", FAQ.answer[0]), ("What are your opening hours?", FAQ.answer[1])] * 10
            + [("Recommend a pizza place in Rome", ""), ("Who won the match last night?", "")])  # fmt: skip
    past = tmp_path / "past.csv"
    pd.DataFrame(rows, columns=["question", "expected"]).to_csv(past, index=False)

    page = browser_page
    page.goto(f"{beacon['url']}/customer_service")
    sign_in(page)
    page.get_by_role("tab", name="Past questions").click()
    settled(page)
    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(past))
    settled(page)
    page.get_by_role("button", name="Answer the file").click()
    expect(page.get_by_role("heading", name="What each threshold would do on your questions")).to_be_visible(timeout=SLOW)
    expect(page.locator("[data-testid=stPlotlyChart]").last).to_be_visible()
    suggestion = page.get_by_text(re.compile(r"^On your 22 past questions, threshold \d\.\d\d answers the most"))
    expect(suggestion).to_be_visible()
    threshold = re.search(r"threshold (\d\.\d\d)", suggestion.inner_text()).group(1)
    page.get_by_role("button", name=f"Use threshold {threshold}").click()
    settled(page)
    expect(page.get_by_text(f"The Ask box and this tab now use the custom threshold {threshold}.")).to_be_visible()
    shot(page, "customer_service_threshold_suggested", tmp_path)

    page.get_by_role("tab", name="Ask").click()
    settled(page)
    expect(page.get_by_text(f"Custom threshold {threshold} is in use instead of the choice above", exact=False)).to_be_visible()
    ask(page, "How do I reset my PIN?")
    expect(page.get_by_text(f"Decided at the custom threshold {threshold}")).to_be_visible(timeout=SLOW)

    page.get_by_role("tab", name="Past questions").click()
    settled(page)
    page.get_by_role("button", name=f"Make {threshold} the team threshold of Cards").click()
    settled(page)
    expect(page.get_by_text(f"{threshold} is now the team threshold of Cards", exact=False)).to_be_visible()
    page.get_by_role("tab", name="Ask").click()
    settled(page)
    expect(page.get_by_text(f"Cards has a team threshold: {threshold}, picked on 22 past questions", exact=False)).to_be_visible()
    ask(page, "What are your opening hours?")
    expect(page.get_by_text(f"Decided at the team threshold {threshold}")).to_be_visible(timeout=SLOW)
    shot(page, "customer_service_team_threshold", tmp_path)
