"""Helpers for the page tests: run a page through the app with AppTest, open a tab, find tables and widgets."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import TAB_PARAM

ROOT = Path(__file__).resolve().parents[2]


PASSWORD = "correct horse battery"


def sign_in_as(at: AppTest, role: str = "admin") -> AppTest:
    """Create (once) a user with ``role`` and put a real signed-in session into the app's state."""
    from core.auth import create_user, sign_in

    username = f"test-{role}"
    try:
        create_user(username, PASSWORD, role)
    except ValueError:
        pass  # created by an earlier call in this test
    at.session_state["beacon_token"], _ = sign_in(username, PASSWORD)
    return at


def open_page(name: str, tab: str | None = None, role: str = "admin", **query: str) -> AppTest:
    """Run the app on ``pages/<name>`` (through streamlit_app.py, so page links resolve) signed in with
    ``role``, on ``tab`` (the page's tab query parameter) with ``query`` params."""
    at = sign_in_as(AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60), role)
    at.switch_page(f"pages/{name}")
    if tab:
        at.query_params[TAB_PARAM] = tab
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def switch_tab(at: AppTest, tab: str) -> AppTest:
    """Open another tab of a running page (the tabs are bound to session state under their key)."""
    at.query_params[TAB_PARAM] = tab  # the tabs are bound to this query parameter
    at.session_state[TAB_PARAM] = tab
    return at.run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def download_labels(at: AppTest, examples: bool = False) -> list[str]:
    """The labels of the page's download buttons; the example-file links under empty uploaders (ui.example_download)
    only when ``examples``."""
    labels = [b.label for b in at.get("download_button")]
    return [label for label in labels if label.startswith("Example ") == examples]


def shown(markdown: str) -> str:
    """What a reader sees of a message made plain by ui.plain / ui.say: Markdown escapes, HTML entities
    and the invisible word joiners (which stop bare URLs becoming links) removed."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown)).replace("\u2060", "")


def shown_texts(elements) -> list[str]:
    return [shown(e.value) for e in elements]


def widget(elements, label: str):
    """The widget with this exact label (AppTest lists widgets in page order)."""
    matches = [e for e in elements if e.label == label]
    assert matches, f"no widget labelled {label!r}; found {[e.label for e in elements]}"
    return matches[0]


def button(at: AppTest, label: str):
    return widget(at.button, label)


TABLE_MARKERS = {  # a column only that table has (st.dataframe without selection has no key in AppTest)
    "items_table": "confidence",
    "feeds_table": "interval_minutes",
    "alerts_table": "email",
    "alert_items": "prob_negative",
    "watchlists_table": "tickers",
    "rules_table": "test",
}


def tables(at: AppTest, name: str):
    """The DataFrames of the tables of one kind, in page order."""
    return [frame.value for frame in at.dataframe if TABLE_MARKERS[name] in frame.value.columns]


def table(at: AppTest, name: str):
    """The first table of a kind (``drill_table``: the items table below the trend charts)."""
    found = tables(at, "items_table")[-1:] if name == "drill_table" else tables(at, name)
    assert found, f"no {name}; tables: {[list(f.value.columns) for f in at.dataframe]}"
    return found[0]


def assert_no_exception(at: AppTest) -> None:
    """No traceback, and no page failure that streamlit_app.py turned into its plain message."""
    from core.views.app import PAGE_FAILED

    assert not at.exception, [e.value for e in at.exception]
    failed = [e.value for e in at.error if str(e.value).startswith(PAGE_FAILED)]
    assert not failed, failed




def chart_titles(at: AppTest) -> list[str]:
    """Every chart, axis and legend title of the page's Plotly charts (set ones only)."""
    titles = []
    for chart in at.get("plotly_chart"):
        layout = json.loads(chart.proto.spec)["layout"]
        parts = [layout.get("title") or {}] + [(layout.get(part) or {}).get("title") or {} for part in ("xaxis", "yaxis", "legend")]
        for title in parts:
            if title.get("text"):
                titles.append(title["text"])
    return titles


def lower_case_titles(at: AppTest) -> list[str]:
    """The chart titles that start in lower case ("tickets" where the page says "Tickets")."""
    return [t for t in chart_titles(at) if t[:1].islower()]
