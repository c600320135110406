"""Example files: every empty uploader offers one (core.examples), and each example passes its page's checks and
column guesses, so a new user who downloads it and uploads it back gets to the next step without an error."""

from __future__ import annotations

from core.examples import EXAMPLES, example_csv
from tests.app import helpers
from tests.app.helpers import assert_no_exception, button, open_page, switch_tab, texts, widget
from tests.app.test_batch_scoring_page import open_batch_page
from tests.app.test_customer_service_page import models, tiny_intent  # noqa: F401 - fixtures


def example_label(kind: str) -> str:
    return f"{EXAMPLES[kind].label} (CSV)"


def upload(at, key: str, kind: str):  # noqa: ANN001, ANN201 - AppTest
    at.file_uploader(key=key).set_value((EXAMPLES[kind].file_name, example_csv(kind), "text/csv"))
    return at.run()


def test_the_model_studio_example_passes_the_data_check(tiny_models):
    at = open_page("model_studio.py", "Train")
    assert helpers.download_labels(at, examples=True) == [example_label("labelled")]
    at = upload(at, "studio_upload", "labelled")
    assert_no_exception(at)
    assert helpers.download_labels(at, examples=True) == []  # a file is chosen: the example link steps aside
    assert (widget(at.selectbox, "Text column").value, widget(at.selectbox, "Label column").value) == ("text", "label")
    assert not at.error and not at.warning, texts(at.error) + texts(at.warning)
    assert not button(at, "Start training").disabled


def test_the_batch_scoring_example_guesses_its_text_column(tiny_models):
    at = open_batch_page()
    assert helpers.download_labels(at, examples=True) == [example_label("batch")]
    at.file_uploader[0].upload(EXAMPLES["batch"].file_name, example_csv("batch"), "text/csv")
    at.run()
    assert_no_exception(at)
    assert widget(at.selectbox, "Text column").value == "headline"
    assert not at.error


def test_the_recommendation_examples_pass_the_data_check(db):
    at = open_page("recommendations.py", "Data")
    assert helpers.download_labels(at, examples=True) == [example_label("interactions"), example_label("catalogue")]
    at.file_uploader(key="rec_interactions").set_value((EXAMPLES["interactions"].file_name, example_csv("interactions"), "text/csv"))
    at = upload(at, "rec_items", "catalogue")
    assert_no_exception(at)
    guessed = {s.label: s.value for s in at.selectbox if s.label.endswith("column")}
    assert guessed == {"User column": "user_id", "Item column": "item_id", "Rating column": "(none)", "Event type column": "event",
                       "Timestamp column": "timestamp", "Item id column": "item_id", "Title column": "title",
                       "Description column": "description", "Category column": "category", "Tags column": "(none)",
                       "Price column": "price"}  # fmt: skip
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Users"] == "150" and metrics["Items without interactions"] == "6"  # new items show the cold-start path
    assert not at.error and not at.warning, texts(at.error) + texts(at.warning)
    assert not button(at, "Save as dataset version").disabled


def test_the_customer_service_examples_import_and_map(models):  # noqa: F811
    at = open_page("customer_service.py", "Knowledge bases")
    assert helpers.download_labels(at, examples=True) == [example_label("faq")]
    at.text_input(key="cs_kb_name").set_value("Bank")
    at = upload(at, "cs_faq_upload", "faq")
    at.button(key="cs_import").click()
    at = at.run()
    assert_no_exception(at)
    assert any("Bank: 29 added, 0 updated, 0 unchanged, 0 rejected, 0 flagged for review; now version 1" in t for t in texts(at.success))

    at = switch_tab(at, "Past questions")
    assert helpers.download_labels(at, examples=True) == [example_label("past_questions")]
    at = upload(at, "cs_batch_upload", "past_questions")
    assert_no_exception(at)
    assert (at.selectbox(key="cs_b_text").value, at.selectbox(key="cs_b_expected").value) == ("question", "expected_answer")

    at = switch_tab(at, "Tickets")
    assert helpers.download_labels(at, examples=True) == [example_label("tickets")]
    at = upload(at, "cs_tickets_upload", "tickets")
    assert_no_exception(at)
    roles = {key: at.selectbox(key=key).value for key in ("cs_t_text", "cs_t_time", "cs_t_channel", "cs_t_agent", "cs_t_resolved")}
    assert roles == {"cs_t_text": "message", "cs_t_time": "created_at", "cs_t_channel": "channel", "cs_t_agent": "agent",
                     "cs_t_resolved": "resolved"}  # fmt: skip
    at.button(key="cs_analyse").click()
    at = at.run()
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Tickets analysed"] == "180"
    assert not at.warning, texts(at.warning)  # every row's text and timestamp read
