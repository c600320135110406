"""Widget-state helpers of ``ui`` on a real Streamlit script run (``AppTest``)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _suggested_question_field() -> None:
    import streamlit as st

    from ui import KEPT, follow_suggestion

    suggestion = st.session_state.get("suggestion", "Do students get money off?")
    follow_suggestion("question", suggestion)
    st.text_input("Question", suggestion, key="question", persist_state=KEPT)


def test_a_suggested_field_follows_a_new_suggestion_until_the_user_edits_it() -> None:
    at = AppTest.from_function(_suggested_question_field).run()
    assert at.text_input(key="question").value == "Do students get money off?"
    at.session_state["suggestion"] = "Is there a student discount?"  # e.g. another knowledge base picked
    at.run()
    assert at.text_input(key="question").value == "Is there a student discount?"  # not the first suggestion, kept
    at.text_input(key="question").set_value("Do you have a student discount?").run()
    at.session_state["suggestion"] = "Do students get money off?"
    at.run()
    assert at.text_input(key="question").value == "Do you have a student discount?"  # the user's words stay


def _group_picker() -> None:
    import streamlit as st

    from ui import KEPT, follow_suggestion

    start = st.session_state.get("first_open", 1)
    follow_suggestion("group", start)
    st.selectbox("Group", [1, 2, 3], key="group", persist_state=KEPT)


def test_a_picker_follows_its_suggested_start_until_the_user_picks() -> None:
    at = AppTest.from_function(_group_picker).run()
    at.session_state["group"] = 1  # as keep_choice sets it before the first draw
    at.run()
    at.session_state["first_open"] = 2  # the first group answered since
    at.run()
    assert at.selectbox(key="group").value == 2
    at.selectbox(key="group").set_value(3).run()
    at.session_state["first_open"] = 1
    at.run()
    assert at.selectbox(key="group").value == 3  # the user's pick stays


def _question_field_with_an_add_button() -> None:
    import streamlit as st

    from ui import KEPT, follow_suggestion, suggest_again

    asked = st.session_state.setdefault("still_escalated", ["Do students get money off?", "Is there a student discount?"])
    suggestion = asked[0]
    follow_suggestion("question", suggestion)
    st.text_input("Question", suggestion, key="question", persist_state=KEPT)

    def add() -> None:  # as "Add to the knowledge base": the question is answered now, the next one is suggested
        st.session_state["still_escalated"] = [q for q in asked if q != st.session_state["question"]]
        suggest_again("question")

    st.button("Add", on_click=add)


def test_after_an_add_the_field_takes_the_next_suggestion_even_if_the_user_had_edited_it() -> None:
    at = AppTest.from_function(_question_field_with_an_add_button).run()
    assert at.text_input(key="question").value == "Do students get money off?"
    at.button[0].click().run()
    assert at.text_input(key="question").value == "Is there a student discount?"  # not the question just answered
    at.text_input(key="question").set_value("Is there a student discount at all?").run()
    at.button[0].click().run()
    assert at.text_input(key="question").value == "Is there a student discount?"  # the user's own words were added
