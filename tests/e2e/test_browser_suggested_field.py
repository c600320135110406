"""A field that follows its suggestion, in a real browser: after Add, the question field shows the next suggestion,
also after a look at another tab. A field kept across tabs (persist_state) comes back in the browser with the value
it last sent, which AppTest does not reproduce (`ui.suggest_again`; Customer service's missing-answer form)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import ROOT, SLOW, open_tab, settled, small_app

pytestmark = pytest.mark.e2e


def field_app(tmp_path: Path, add_by_pop: bool) -> Iterator[str]:
    script = ROOT / "tests" / "e2e" / "suggested_field_app.py"
    yield from small_app(script, tmp_path / "streamlit.log", {"BEACON_ADD_BY_POP": "1" if add_by_pop else "0"})


def add_twice(page, url: str) -> list[str]:  # noqa: ANN001 - a Playwright page
    """The question field's value at the start, after Add, after another tab and back, and after Add of the user's own
    words."""
    page.goto(url)
    field = page.get_by_label("Question", exact=True)
    field.wait_for(timeout=SLOW)
    settled(page)
    seen = [field.input_value()]
    page.get_by_role("button", name="Add").click()
    settled(page)
    seen.append(field.input_value())
    open_tab(page, "Other")
    open_tab(page, "Form")
    seen.append(page.get_by_label("Question", exact=True).input_value())
    field = page.get_by_label("Question", exact=True)
    field.fill("Is there a student discount at all?")
    field.press("Tab")
    settled(page)
    page.get_by_role("button", name="Add").click()
    settled(page)
    return [*seen, page.get_by_label("Question", exact=True).input_value()]


@pytest.fixture
def suggested_field_app(tmp_path: Path) -> Iterator[str]:
    yield from field_app(tmp_path, add_by_pop=False)


@pytest.fixture
def popped_field_app(tmp_path: Path) -> Iterator[str]:
    yield from field_app(tmp_path, add_by_pop=True)


def test_after_add_the_field_shows_the_next_suggestion_in_the_browser(suggested_field_app, browser_page):
    assert add_twice(browser_page, suggested_field_app) == [
        "Do students get money off?",
        "Is there a student discount?",  # not the question just used
        "Is there a student discount?",  # after another tab too
        "Is there a student discount?",  # the user's own words were used: the suggestion again, not them
    ]


def test_removing_the_fields_key_instead_leaves_the_used_question_in_the_browser(popped_field_app, browser_page):
    """What the test above guards against: the way the form did it before, which AppTest passed."""
    seen = add_twice(browser_page, popped_field_app)
    assert seen[0] == "Do students get money off?" and "Do students get money off?" in seen[1:3]
