"""A tiny Streamlit app for tests/e2e/test_browser_suggested_field.py: a question field kept across tabs that follows
its suggestion (ui.follow_suggestion), with an Add button that uses the question and asks for the next one
(ui.suggest_again), as Customer service's "Write the missing answer" form does. $BEACON_ADD_BY_POP=1 makes Add
remove the field's key instead, the way that failed in the browser, so the test can show it catches that."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st  # noqa: E402

from ui import KEPT, follow_suggestion, page_tabs, suggest_again  # noqa: E402

asked = st.session_state.setdefault("still_escalated", ["Do students get money off?", "Is there a student discount?"])
form, other = page_tabs(["Form", "Other"])


def add() -> None:  # as "Add to the knowledge base": the question is answered now, the next one is suggested
    st.session_state["still_escalated"] = [q for q in asked if q != st.session_state["question"]]
    st.session_state["added"] = st.session_state.get("added", []) + [st.session_state["question"]]
    if os.environ.get("BEACON_ADD_BY_POP") == "1":
        st.session_state.pop("question")
    else:
        suggest_again("question")


if form.open:
    with form:
        suggestion = asked[0]
        follow_suggestion("question", suggestion)
        st.text_input("Question", suggestion, key="question", persist_state=KEPT)
        st.button("Add", on_click=add)
        st.container(key="added").write(" | ".join(st.session_state.get("added", [])) or "nothing added")
if other.open:
    with other:
        st.write("Another tab.")
