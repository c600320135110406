"""Model Studio in a real browser: promoting a version that scores lower than the active one on the same
validation rows shows the comparison and asks for confirmation; once confirmed, the result card says active.
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`."""

from __future__ import annotations

import pytest

from tests.support.browser import SLOW, assert_inert, open_tab, settled, shot, sign_in

pytestmark = pytest.mark.e2e

HEADLINES = {
    "positive": ["Operating profit rose sharply to a record", "Quarterly sales jumped and the outlook was raised",
                 "Shares soared after strong results", "Net profit more than doubled on strong demand",
                 "The company won a large new order and raised guidance", "Revenue grew 25 percent year on year"],
    "negative": ["The company swung to a large loss and cut jobs", "Sales fell and the dividend was cancelled",
                 "Shares plunged after a profit warning", "Operating loss widened as demand collapsed",
                 "The company cut its outlook and announced layoffs", "Revenue dropped sharply in the quarter"],
    "neutral": ["The annual meeting is held in Helsinki on Tuesday", "The company is headquartered in Espoo",
                "The report will be published in April", "The board has five members",
                "The company will publish its interim report on 5 May", "The office is located in Tampere"],
}


def train_a_weak_candidate():  # noqa: ANN201 - RunView
    """A training run of the sentiment task whose head barely trained (one epoch, a tiny learning rate): it registers
    a version (v3: the shipped sentiment models are v1, fast, and v2, accurate and active) measurably worse than the
    active one on its own validation rows. Returns the run."""
    import pandas as pd

    from core.nlp.datacheck import check_labelled_data
    from core.nlp.runs import execute_run, queue_run
    from core.nlp.training import TrainingParams

    frame = pd.DataFrame([(t, label) for label, texts in HEADLINES.items() for t in texts], columns=["text", "label"])
    check = check_labelled_data(frame, "text", "label")
    run = execute_run(queue_run(check, "sentiment", TrainingParams(method="head", epochs=1, learning_rate=1e-6, seed=1)))
    assert run.status == "succeeded", run.error
    return run


def test_promoting_a_worse_version_asks_first_then_the_card_says_active(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.nlp import registry
    from core.views.model_studio import compare_for_promotion

    run = train_a_weak_candidate()
    run_id, new, active = run.id, run.model_version, registry.active_version("sentiment").version
    assert compare_for_promotion("sentiment", new).worse  # the set-up: the new version really is worse on the shared rows
    page = browser_page
    page.goto(f"{beacon['url']}/model_studio?tab=Runs")
    sign_in(page)
    expect(page.get_by_role("heading", name="Model Studio")).to_be_visible()
    open_tab(page, "Runs")
    expect(page.get_by_text(f"Run {run_id}: sentiment · head")).to_be_visible(timeout=SLOW)
    card = page.locator("[data-testid=stMetric]").filter(has_text="Registered as")
    expect(card).to_contain_text("not active yet")

    page.get_by_role("button", name=f"Promote v{new} to active").click()
    expect(page.get_by_text("Promote it anyway?", exact=False)).to_be_visible(timeout=SLOW)
    settled(page)
    expect(page.get_by_text(f"v{new} scores lower", exact=False)).to_be_visible()
    comparison = page.locator("[data-testid=stDataFrame]").filter(has_text=f"v{active} (active)")
    expect(comparison).to_be_visible()
    assert registry.active_version("sentiment").version == active, "nothing may change before the confirmation"
    shot(page, "studio_promote_confirmation", tmp_path)

    page.get_by_role("button", name=f"Yes, promote v{new}").click()
    expect(page.get_by_text(f"sentiment v{new} is now active", exact=False)).to_be_visible(timeout=SLOW)
    settled(page)
    expect(card).to_contain_text("active")
    expect(card).not_to_contain_text("not active yet")
    expect(page.get_by_role("button", name=f"Promote v{new} to active")).to_have_count(0)
    assert registry.active_version("sentiment").version == new
    shot(page, "studio_promoted", tmp_path)
    assert_inert(page)
