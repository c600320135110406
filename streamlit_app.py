"""Beacon: navigation and one-time start-up (database migration)."""

import os

import streamlit as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core.storage import upgrade_database  # noqa: E402


@st.cache_resource
def _prepare_database() -> bool:
    upgrade_database()
    return True


st.set_page_config(page_title="Beacon", layout="wide")
_prepare_database()
navigation = st.navigation(
    {
        "Monitoring": [
            st.Page("pages/financial_sentiment.py", title="Financial sentiment", url_path="financial_sentiment"),
            st.Page("pages/alerts.py", title="Alerts", url_path="alerts"),
        ]
    }
)
navigation.run()
