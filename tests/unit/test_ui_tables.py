"""Every table of the pages goes through ui.table, so a missing value reads as a dash, not the word "None"
(the Trends comparison is checked as rendered in tests/app/test_financial_sentiment_trends.py)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = [*sorted((ROOT / "pages").glob("*.py")), ROOT / "streamlit_app.py", ROOT / "digests_ui.py"]


def test_no_page_draws_a_table_past_ui_table():
    direct = [f"{path.name}:{n}" for path in UI_FILES for n, line in enumerate(path.read_text().splitlines(), 1)
              if re.search(r"\bst\.(dataframe|data_editor|table)\(", line)]
    assert UI_FILES[0].exists() and not direct, f"use ui.table: {direct}"


def test_the_shared_page_helpers_load_without_the_model_code():
    # every page imports ui, the sign-in page too: torch (seconds to import) must not come with it
    import subprocess
    import sys

    from core.settings import REPO_ROOT

    code = "import sys, ui; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
