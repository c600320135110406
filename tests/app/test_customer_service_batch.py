"""Customer service page, Past questions tab: upload past questions (with the expected answer), see answered /
escalated / wrong, download the file with the answers added (in the input's order)."""

from __future__ import annotations

from tests.app.helpers import assert_no_exception, open_page, switch_tab, texts
from tests.app.test_customer_service_page import import_faq_through_the_page, models, tiny_intent  # noqa: F401 - fixtures

PAST = (
    b"id,question,expected\n"
    b"1,I forgot my PIN how do I reset it,\"Open the app, go to Cards and choose Reset PIN.\"\n"
    b"2,What is the weather on Mars tomorrow?,\n"
    b"3,How do I close my account?,Cards arrive within 5 working days.\n"
)


def test_past_questions_are_answered_counted_and_downloadable(models):  # noqa: F811
    at = import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases"))
    at = switch_tab(at, "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", PAST, "text/csv"))
    at.run()
    assert_no_exception(at)
    assert at.selectbox(key="cs_b_text").value == "question"
    caveat = next(c for c in texts(at.caption) if c.startswith("Measured on Banking77 questions"))
    assert caveat.endswith("(as this tab does).")  # not "(Past questions tab)" while on that tab
    at.selectbox(key="cs_b_expected").set_value("expected")
    at.button(key="cs_b_run").click().run()
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions"] == "3" and metrics["Escalated"] == "1 (33%)"
    assert not at.get("progress")  # no "3 of 3 answered" left beside "Escalated 1"
    assert metrics["Answered right"] == "1 (33%)" and metrics["Answered wrong"] == "1 (33%)"
    table = next(f.value for f in at.dataframe if "action" in f.value.columns)
    assert table["id"].tolist() == ["1", "2", "3"] and table["action"].tolist() == ["answer", "escalate", "answer"]
    assert table["correct"].tolist() == ["yes", "", "no"]
    download = next(b for b in at.get("download_button") if b.proto.label == "Download the answers (CSV)")
    assert download is not None


def test_a_missing_file_column_or_kb_says_so(models):  # noqa: F811
    at = switch_tab(open_page("customer_service.py", "Ask"), "Past questions")
    assert_no_exception(at)
    assert any("No knowledge base yet" in t for t in texts(at.info))
    at = import_faq_through_the_page(switch_tab(at, "Knowledge bases"))
    at = switch_tab(at, "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", b" ", "text/csv"))
    at.run()
    assert_no_exception(at)
    assert any("past.csv" in t for t in texts(at.error))




def test_a_header_only_file_is_refused_and_reruns_reuse_one_copy_of_the_upload(models):  # noqa: F811
    at = switch_tab(import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases")), "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("none.csv", b"question,expected\n", "text/csv"))
    at.run()
    assert_no_exception(at)
    assert "none.csv: the file has a header row (question, expected) but no data rows below it" in texts(at.error)
    assert not [b for b in at.button if b.label == "Answer the file"]
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", PAST, "text/csv"))
    at.run()
    first = at.session_state["cs_b_staged"][1]
    at.selectbox(key="cs_b_expected").set_value("expected").run()  # a rerun with the same file
    assert at.session_state["cs_b_staged"][1] == first and first.read_bytes() == PAST  # not a new copy per rerun
    at.button(key="cs_b_run").click().run()
    assert_no_exception(at)
    assert {m.label: m.value for m in at.metric}["Questions"] == "3"
    assert (first.parent / "answers.csv").exists()


def test_another_file_does_not_show_the_previous_files_answers(models):  # noqa: F811
    at = switch_tab(import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases")), "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", PAST, "text/csv"))
    at.run()
    at.button(key="cs_b_run").click().run()
    assert {m.label: m.value for m in at.metric}["Questions"] == "3"
    at.file_uploader(key="cs_batch_upload").set_value(("other.csv", b"question\nwhere is my card\n", "text/csv"))
    at.run()
    assert_no_exception(at)
    assert not at.metric and not [b for b in at.get("download_button") if b.proto.label == "Download the answers (CSV)"]
    at.button(key="cs_b_run").click().run()
    assert {m.label: m.value for m in at.metric}["Questions"] == "1"
