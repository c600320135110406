"""Streamlit helpers shared by the pages (UI only; core/ never imports this)."""

import html

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from core.auth import current_actor


def use_app_navigation() -> None:
    """Call first in every page. Opened by URL (e.g. an alert email link) on a fresh server,
    Streamlit's legacy pages/ folder mode runs the page file without streamlit_app.py (no sign-in,
    no migration, the wrong menu). Rerun it through the app's st.navigation instead; pages keep their
    url_path, so the user lands on the same page."""
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def may(role: str) -> bool:
    """Whether the signed-in user's role reaches ``role``: pages show viewers read-only views instead of forms
    that core would refuse (core still checks every action)."""
    actor = current_actor()
    return actor is not None and actor.can(role)


def say(level: str, text: str) -> None:
    """Show a message that may contain feed, file or user text: HTML-escaped, never raw HTML."""
    getattr(st, level)(html.escape(text, quote=False))


# How a news item (Article) is shown in a table, wherever items are listed (Financial sentiment, an alert's items).
ARTICLE_COLUMNS = {
    "published_at": st.column_config.DatetimeColumn("Published (UTC)", format="YYYY-MM-DD HH:mm"),
    "title": st.column_config.TextColumn("Title", width="large"),
    "link": st.column_config.LinkColumn("Source", display_text="open ↗", width="small"),
    "sentiment": st.column_config.TextColumn("Sentiment"),
    "confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="%.2f"),
    "prob_negative": st.column_config.ProgressColumn("P(negative)", min_value=0.0, max_value=1.0, format="%.2f"),
    "topic": st.column_config.TextColumn("Topic"),
    "companies": st.column_config.TextColumn("Companies"),
    "feed": st.column_config.TextColumn("Feed"),
}
