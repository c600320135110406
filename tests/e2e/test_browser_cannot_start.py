"""When Beacon cannot start (a setting it cannot use, a database it cannot open or upgrade), a real browser shows the one
message and nothing else: no sidebar listing the files of pages/ (Streamlit's menu when no navigation is declared),
and the address the user opened (an alert e-mail's link) is kept for when Beacon is fixed and reloaded."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.browser import CHROMIUM, ROOT, free_port, settled, shot, wait_healthy

pytestmark = pytest.mark.e2e


def test_a_setting_beacon_cannot_use_shows_its_message_without_a_menu_of_file_names(beacon_env, browser_page, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (`make browser` installs it)")
    port, log = free_port(), tmp_path / "streamlit.log"
    env = {**os.environ, "SMTP_PORT": "abc", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            page = browser_page
            page.goto(url + "/alerts?alert=3")
            page.get_by_text("Beacon cannot start: environment variable SMTP_PORT must be a whole number").wait_for()
            settled(page)
            shot(page, "cannot_start", tmp_path)
            assert page.get_by_test_id("stSidebarNav").count() == 0, page.get_by_test_id("stSidebarNav").inner_text()
            assert "streamlit app" not in page.locator("body").inner_text().lower()
            assert page.url.endswith("/alerts?alert=3")
        finally:
            process.terminate()
            process.wait(timeout=15)
