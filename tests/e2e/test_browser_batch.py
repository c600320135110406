"""Batch scoring in a real browser: two uploads in a row, each scored by its own `python -m core score-run`
process. The second run opens itself (the page does not go back to run 1), says what it is doing while it
starts, and both it and Past runs turn "complete" without the user touching anything.
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import SLOW, settled, shot, sign_in

pytestmark = pytest.mark.e2e

FIRST = "id,text\n1,Operating profit rose sharply to a record\n2,The company swung to a large loss\n3,Shares soared\n"
SECOND = "id,comment\n1,Sales fell and the dividend was cancelled\n2,The report will be published in April\n"


def upload_and_start(page, path) -> None:  # noqa: ANN001 - Page, Path
    from playwright.sync_api import expect

    page.locator("[data-testid=stFileUploader] input[type=file]").set_input_files(str(path))
    settled(page)
    expect(page.get_by_text(f"{path.name}: CSV, UTF-8, comma-separated, 2 columns")).to_be_visible()
    page.get_by_role("button", name="Start scoring").click()


def past_run_row(page, file_name: str):  # noqa: ANN001, ANN201 - Page -> Locator
    """The row of Past runs (the last table on the page) for ``file_name``, from the grid's accessible cells."""
    return page.locator("[data-testid=stDataFrame]").last.locator("[role=row]").filter(has_text=file_name)


def test_a_second_upload_opens_its_own_live_run_and_past_runs_follow(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    page = browser_page
    page.goto(f"{beacon['url']}/batch_scoring")
    sign_in(page)
    expect(page.get_by_role("heading", name="Batch scoring")).to_be_visible()

    upload_and_start(page, first)
    expect(page.get_by_role("heading", name="Run 1: first.csv")).to_be_visible()
    expect(page.get_by_text(re.compile(r"complete · by e2e-admin"))).to_be_visible(timeout=SLOW)
    expect(past_run_row(page, "first.csv")).to_contain_text("complete", timeout=10_000)
    settled(page)

    page.get_by_text("Score a new file").click()  # collapsed while a run is open
    upload_and_start(page, second)
    expect(page.get_by_role("heading", name="Run 2: second.csv")).to_be_visible()
    # from the first seconds it says what it is doing, not "queued · 0 of N"
    expect(page.get_by_text(re.compile(r"(Starting the scoring process|Reading the file|Loading the model)…"))).to_be_visible()
    expect(past_run_row(page, "second.csv")).to_contain_text(re.compile(r"queued|running"))
    shot(page, "batch_scoring_second_run_starting", tmp_path)
    page.wait_for_timeout(3000)  # long enough for the old page to have jumped back to run 1
    expect(page.get_by_role("heading", name="Run 2: second.csv")).to_be_visible()
    expect(page.get_by_role("heading", name="Run 1: first.csv")).to_have_count(0)

    # nobody touches the page: the run and Past runs both turn complete
    expect(page.get_by_text(re.compile(r"complete · by e2e-admin"))).to_be_visible(timeout=SLOW)
    expect(past_run_row(page, "second.csv")).to_contain_text("complete", timeout=10_000)
    expect(page.get_by_role("heading", name="Run 2: second.csv")).to_be_visible()
    rows = page.locator("[data-testid=stMetric]").filter(has_text="Rows scored").locator("[data-testid=stMetricValue]")
    expect(rows).to_have_text("2")
    shot(page, "batch_scoring_second_run_complete", tmp_path)
