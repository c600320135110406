"""Beacon: page navigation and one-time start-up (database migration). Run with `make run`."""

import html
import os

import streamlit as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core.dashboard import database_problem  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.storage import upgrade_database  # noqa: E402


@st.cache_resource(show_spinner="Preparing the database…")
def _prepare_database(database_url: str) -> bool:
    """Migrate the schema once per process and database (later sessions reuse the result)."""
    upgrade_database(database_url)
    return True


st.set_page_config(page_title="Beacon", page_icon=":material/radar:", layout="wide")
try:
    _prepare_database(get_settings().database_url)
except Exception as exc:  # an unreachable or broken database: say which one, not a traceback
    st.error(html.escape(database_problem(exc), quote=False))
    st.stop()

PAGES = {
    "Monitoring": [
        st.Page(
            "pages/financial_sentiment.py", title="Financial sentiment", icon=":material/monitoring:",
            url_path="financial_sentiment", default=True,
        ),
        st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    ],
    "Models": [
        st.Page("pages/model_studio.py", title="Model Studio", icon=":material/model_training:", url_path="model_studio"),
        st.Page("pages/batch_scoring.py", title="Batch scoring", icon=":material/table_view:", url_path="batch_scoring"),
    ],
    "Merchandising": [
        st.Page("pages/recommendations.py", title="Recommendations", icon=":material/recommend:", url_path="recommendations"),
    ],
    # Later sections: "Models" (Batch scoring), "Support" (Customer service),
    # "Merchandising" (Recommendations). Add their st.Page entries here.
}
st.navigation(PAGES).run()
