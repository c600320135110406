"""Customer service page, Past questions tab: upload past questions (with the expected answer), see answered /
escalated / wrong, download the file with the answers added (in the input's order)."""

from __future__ import annotations

import json

from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, texts
from tests.app.test_customer_service_page import FAQ_CSV, import_faq_through_the_page, models, tiny_intent  # noqa: F401 - fixtures

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


def test_past_tickets_with_their_own_answer_column_are_answered_and_keep_it(models):  # noqa: F811
    at = import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases"))
    at = switch_tab(at, "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", PAST.replace(b"expected", b"answer", 1), "text/csv"))
    at.run()
    assert at.selectbox(key="cs_b_expected").value == "answer"
    at.button(key="cs_b_run").click().run()
    assert_no_exception(at)
    assert not texts(at.error)
    assert any(c.endswith("Your column 'answer' is 'input_answer' in the output, beside the assistant's.") for c in texts(at.caption))
    table = next(f.value for f in at.dataframe if "action" in f.value.columns)
    assert table["input_answer"].tolist()[2] == "Cards arrive within 5 working days."
    assert table["correct"].tolist() == ["yes", "", "no"]


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


def answered_with_expected(name: str, data: bytes, role: str = "admin"):  # noqa: ANN201 - AppTest
    """The Past questions tab after answering ``data`` with its 'expected' column (the Cards FAQ imported first)."""
    at = import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases"))
    at = switch_tab(at, "Past questions") if role == "admin" else open_page("customer_service.py", "Past questions", role=role)
    at.file_uploader(key="cs_batch_upload").set_value((name, data, "text/csv"))
    at.run()
    at.selectbox(key="cs_b_expected").set_value("expected")
    at.button(key="cs_b_run").click().run()
    assert_no_exception(at)
    return at


def _many_past_questions() -> bytes:
    """24 past questions: FAQ questions as asked (with their answer) and questions the FAQ has no answer for (empty)."""
    known = [("How do I reset my PIN?", "\"Open the app, go to Cards and choose Reset PIN.\""),
             ("My card has not arrived yet", "Cards arrive within 5 working days."),
             ("How do I close my account?", "Go to Settings and choose Close account.")]  # fmt: skip
    unknown = ["What is the weather on Mars tomorrow?", "Recommend a pizza place in Rome", "Who won the match last night?",
               "Is the museum open on Sundays?", "What rhymes with orange?", "How tall is Mount Everest?"]  # fmt: skip
    rows = [f"{q},{a}" for q, a in known * 6] + [f"{q}," for q in unknown]
    return ("question,expected\n" + "\n".join(rows) + "\n").encode()


def test_each_threshold_is_shown_on_the_past_questions_and_one_is_suggested_and_used(models):  # noqa: F811
    from core.support import operating_points as points

    at = answered_with_expected("past.csv", _many_past_questions())
    table = next(f.value for f in at.dataframe if "Choice" in f.value.columns)
    assert table["Choice"].tolist() == ["Answer more", "Balanced", "Be more careful"]
    assert table["Threshold"].tolist() == [points.operating_point(n).threshold for n in points.NAMES]
    balanced = table.set_index("Choice").loc["Balanced"]
    metrics = {m.label: m.value for m in at.metric}  # the file was answered at the balanced point: the same counts
    assert balanced["Answered right"] == metrics["Answered right"].replace("%)", " %)")
    assert balanced["Answered wrong"] == metrics["Answered wrong"].replace("%)", " %)")
    sweep = json.loads(next(c for c in at.get("plotly_chart") if c.key == "cs_b_sweep").proto.spec)
    assert [line["name"] for line in sweep["data"]] == ["Answered right", "Answered wrong", "Escalated"]
    assert sorted(round(v["x0"], 4) for v in sweep["layout"]["shapes"]) == sorted(table["Threshold"].tolist())

    suggested = next(c for c in texts(at.caption) if c.startswith("On your 24 past questions, threshold "))
    threshold = float(suggested.split("threshold ")[1].split(" ")[0])
    assert "with at most 5 % wrong" in suggested and "With 24 questions the wrong share on new questions could still be up to" in suggested
    at.button(key="cs_b_use").click().run()
    assert_no_exception(at)
    assert f"The Ask box and this tab now use the custom threshold {threshold:.2f}." in texts(at.success)
    assert at.checkbox(key="cs_b_custom").value is True and at.slider(key="cs_b_threshold").value == threshold
    assert f"Custom threshold {threshold:.2f} is in use" in " ".join(texts(at.caption))
    at = switch_tab(at, "Ask")
    assert_no_exception(at)
    assert at.checkbox(key="cs_custom").value is True and at.slider(key="cs_threshold").value == threshold


def test_the_suggested_threshold_becomes_the_team_threshold_everyone_starts_from(models):  # noqa: F811
    from core.auth import list_events
    from core.support.kb import team_threshold

    at = answered_with_expected("past.csv", _many_past_questions())
    suggested = next(c for c in texts(at.caption) if c.startswith("On your 24 past questions, threshold "))
    threshold = float(suggested.split("threshold ")[1].split(" ")[0])
    at.button(key="cs_b_team").click().run()
    assert_no_exception(at)
    assert f"{threshold:.2f} is now the team threshold of Cards: everyone's questions to it are answered at it by default." in \
        shown_texts(at.success)  # fmt: skip
    assert team_threshold("Cards").value == threshold
    assert not [b for b in at.button if b.key == "cs_b_team"]  # nothing left to make the team's
    assert f"{threshold:.2f} is already the team threshold of Cards." in shown_texts(at.caption)
    assert next(e["detail"] for e in list_events() if e["action"] == "knowledge base threshold set") == \
        {"threshold": threshold, "basis": "24 past questions"}  # fmt: skip

    ask = open_page("customer_service.py", "Ask", role="viewer")  # a colleague's new session
    assert_no_exception(ask)
    assert ask.checkbox(key="cs_custom").value is True and ask.slider(key="cs_threshold").value == threshold
    assert any(c.startswith(f"Cards has a team threshold: {threshold:.2f}, picked on 24 past questions with their expected "
                            "answers by test-admin on") for c in shown_texts(ask.caption))  # fmt: skip
    assert not [b for b in ask.button if b.label == "Clear it"]  # a viewer cannot change it
    assert any(c.startswith(f"The team threshold {threshold:.2f} is in use") for c in shown_texts(ask.caption))
    assert not [c for c in shown_texts(ask.caption) if "not measured" in c or c.startswith("Measured on Banking77")]
    assert "it was picked on 24 of the team's past questions" in " ".join(shown_texts(ask.caption))
    assert not ask.get("button") or not [b for b in ask.button if b.key == "cs_set_team"]  # nothing to set: it is in use

    ask = open_page("customer_service.py", "Ask", role="analyst")
    ask.button(key="cs_clear_team").click().run()
    assert_no_exception(ask)
    assert team_threshold("Cards") is None
    assert "Cards has no team threshold any more: its questions are answered at the settings' operating point." in shown_texts(ask.success)
    assert ask.checkbox(key="cs_custom").value is False  # back at the settings' choice


def test_a_threshold_set_by_hand_that_the_past_questions_suggest_too_can_be_recorded_as_measured(models):  # noqa: F811
    from core.support.kb import team_threshold

    at = answered_with_expected("past.csv", _many_past_questions())
    suggested = next(c for c in texts(at.caption) if c.startswith("On your 24 past questions, threshold "))
    threshold = float(suggested.split("threshold ")[1].split(" ")[0])
    at.button(key="cs_b_use").click().run()  # the tab's custom threshold is now the suggestion: made the team's below
    assert not [b for b in at.button if b.key == "cs_b_set_team"]  # not by hand up there
    assert (f"{threshold:.2f} is the threshold your past questions suggest: make it the team threshold below, where it is "
            "recorded as measured on them.") in shown_texts(at.caption)  # fmt: skip
    assert any(c.startswith(f"Custom threshold {threshold:.2f} is in use instead of the choice above: on the 24 past questions "
                            "with an expected answer below, it would answer ") for c in shown_texts(at.caption))  # measured
    at = switch_tab(at, "Ask")
    at.button(key="cs_set_team").click().run()  # set by hand on the Ask tab, at the value the file suggests
    assert team_threshold("Cards").by_hand
    at = switch_tab(at, "Past questions")
    assert not [b for b in at.button if b.key == "cs_b_team"]
    record = next(b for b in at.button if b.key == "cs_b_team_measured")
    assert record.label == f"Record {threshold:.2f} as measured on these 24 questions"
    record.click().run()
    assert_no_exception(at)
    assert (f"{threshold:.2f} stays the team threshold of Cards, now measured: it rests on 24 past questions with their "
            "expected answers instead of being set by hand.") in shown_texts(at.success)  # fmt: skip
    team = team_threshold("Cards")
    assert (team.value, team.checked, team.by_hand) == (threshold, 24, False)
    assert f"{threshold:.2f} is already the team threshold of Cards." in shown_texts(at.caption)  # nothing left to record


def test_a_team_with_few_past_questions_sets_its_threshold_by_hand_and_is_told_it_was_not_measured(models):  # noqa: F811
    from core.auth import list_events
    from core.support.kb import team_threshold

    at = switch_tab(import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases")), "Ask")
    assert not [b for b in at.button if b.key == "cs_set_team"]  # no custom threshold, nothing to make the team's
    at.checkbox(key="cs_custom").check().run()
    at.slider(key="cs_threshold").set_value(0.5).run()
    button = next(b for b in at.button if b.key == "cs_set_team")
    assert button.label == "Make 0.50 the team threshold of Cards"
    button.click().run()
    assert_no_exception(at)
    assert "0.50 is now the team threshold of Cards: everyone's questions to it are answered at it by default." in \
        shown_texts(at.success)  # fmt: skip
    team = team_threshold("Cards")
    assert (team.value, team.checked, team.by_hand) == (0.5, None, True)
    captions = " ".join(shown_texts(at.caption))
    assert "Cards has a team threshold: 0.50, set by hand by test-admin on" in captions
    assert "it was set by hand and its effect was not measured" in captions
    assert not [b for b in at.button if b.key == "cs_set_team"]
    at.chat_input(key="cs_question").set_value("How do I reset my PIN?").run()
    assert_no_exception(at)
    assert "Decided at the team threshold 0.50" in shown_texts(at.caption)  # not "custom": nobody here chose it
    at = switch_tab(switch_tab(at, "Log"), "Ask")  # the tab's widgets are gone while another tab is open
    assert at.checkbox(key="cs_custom").value is True and at.slider(key="cs_threshold").value == 0.5  # not the settings' 0.6
    bases = next(f.value for f in switch_tab(at, "Knowledge bases").dataframe if "team threshold" in f.value.columns)
    assert bases.set_index("name").loc["Cards", "team threshold"] == "0.50 (set by hand)"
    assert [e["detail"] for e in list_events() if e["action"] == "knowledge base threshold set"] == [{"threshold": 0.5, "basis": "by hand"}]

    viewer = open_page("customer_service.py", "Ask", role="viewer")
    viewer.slider(key="cs_threshold").set_value(0.6).run()
    assert_no_exception(viewer)
    assert viewer.checkbox(key="cs_custom").value is True  # the team's threshold, moved for this session only
    assert not [b for b in viewer.button if b.key == "cs_set_team"]  # a viewer cannot make it the team's


def test_a_few_past_questions_get_the_table_but_no_suggestion(models):  # noqa: F811
    at = answered_with_expected("past.csv", PAST)
    assert any(f for f in at.dataframe if "Choice" in f.value.columns)
    assert "Only 3 past questions with the expected answer column: add at least 20 for a suggested threshold" in " ".join(texts(at.caption))
    assert not [b for b in at.button if b.label.startswith("Use threshold")]


def test_expected_answers_that_are_not_faq_answers_are_pointed_out(models):  # noqa: F811
    replies = b"question,expected\nI forgot my PIN how do I reset it,Hi! You can reset it in the app.\nWhat is the weather?,\n"
    at = answered_with_expected("replies.csv", replies)
    assert any(w.startswith("1 expected answer is not an answer of the knowledge base 'Cards' (line 2): those questions can "
                            "never be answered right.") for w in texts(at.warning))  # fmt: skip
    assert ("Nothing to add: no expected answer in this file is an answer (or question) of the FAQ, so none can be "
            "taught.") in texts(at.caption)  # not "every question whose answer is in the FAQ was answered with it"


def test_an_expected_column_never_filled_in_counts_no_answer_wrong(models):  # noqa: F811
    at = answered_with_expected("blank.csv", b"question,expected\nI forgot my PIN how do I reset it,\nWhat is the weather?,\n")
    metrics = {m.label for m in at.metric}
    assert "Answered" in metrics and "Answered wrong" not in metrics and "Answered right" not in metrics
    assert any(w.startswith("The expected answer column 'expected' is empty in every row, so no answer was checked")
               for w in texts(at.warning))  # fmt: skip


def test_a_question_column_named_otherwise_is_found_by_its_texts_not_taken_from_the_id(models):  # noqa: F811
    at = switch_tab(import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases")), "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("fragen.csv", b"nr,kunde_schreibt\n1,How do I reset my PIN?\n"
                                                                      b"2,my card has not arrived\n", "text/csv"))  # fmt: skip
    at.run()
    assert_no_exception(at)
    assert at.selectbox(key="cs_b_text").value == "kunde_schreibt"


def test_missed_questions_are_added_to_the_knowledge_base_from_the_page(models):  # noqa: F811
    from core.support.kb import kb_entries

    missed = b"question,expected\nmy plastic card still did not show up in the post,Cards arrive within 5 working days.\n"
    at = answered_with_expected("missed.csv", missed)
    assert {m.label: m.value for m in at.metric}["Escalated"] == "1 (100%)"
    table = next(f.value for f in at.dataframe if "question" in f.value.columns and "answer" in f.value.columns
                 and "action" not in f.value.columns)  # fmt: skip
    assert table.to_dict("records") == [{"question": "my plastic card still did not show up in the post",
                                         "answer": "Cards arrive within 5 working days.", "category": "cards"}]  # fmt: skip
    at.button(key="cs_b_teach").click().run()
    assert_no_exception(at)
    assert any(s.startswith("Cards: 1 added, 0 updated") and "test on other past questions" in s for s in texts(at.success))
    assert "my plastic card still did not show up in the post" in kb_entries("Cards")["question"].tolist()
    assert "Nothing to add: every question whose answer is in the FAQ was answered with it." in texts(at.caption)


def test_viewers_are_not_offered_to_change_the_knowledge_base(models):  # noqa: F811
    missed = b"question,expected\nmy plastic card still did not show up in the post,Cards arrive within 5 working days.\n"
    at = answered_with_expected("missed.csv", missed, role="viewer")
    assert {m.label: m.value for m in at.metric}["Escalated"] == "1 (100%)"
    assert not [b for b in at.button if b.key == "cs_b_teach"]


def test_a_file_answered_on_the_tab_is_still_there_after_a_visit_to_another_tab(models):  # noqa: F811
    at = answered_with_expected("past.csv", PAST)
    assert any("action" in f.value.columns for f in at.dataframe)
    at = switch_tab(switch_tab(at, "Ask"), "Past questions")
    assert_no_exception(at)
    assert "Still using past.csv, uploaded earlier; upload another file to replace it." in shown_texts(at.caption)
    assert any("action" in f.value.columns for f in at.dataframe)  # its answers are still shown
    at.run()  # a rerun on the tab keeps it too
    assert any("action" in f.value.columns for f in at.dataframe)
    button(at, "Forget it").click().run()
    assert_no_exception(at)
    assert not any("action" in f.value.columns for f in at.dataframe)
    at = switch_tab(switch_tab(at, "Ask"), "Past questions")
    assert not any("action" in f.value.columns for f in at.dataframe)  # forgotten for good


def test_the_columns_and_knowledge_base_picked_for_a_file_stay_with_it_after_a_visit_to_another_tab(models):  # noqa: F811
    at = switch_tab(answered_with_expected("past.csv", PAST), "Knowledge bases")
    at.text_input(key="cs_kb_name").set_value("Another")  # listed before Cards: the picker's first choice
    at.file_uploader(key="cs_faq_upload").set_value(("faq.csv", FAQ_CSV, "text/csv"))
    at.run()
    at.button(key="cs_import").click().run()
    at = switch_tab(at, "Past questions")
    at.selectbox(key="cs_batch_kb").set_value("Cards").run()
    at.selectbox(key="cs_b_text").set_value("expected").run()  # an odd pick: not the column the page suggests
    at = switch_tab(switch_tab(at, "Ask"), "Past questions")
    assert_no_exception(at)
    assert at.selectbox(key="cs_b_text").value == "expected" and at.selectbox(key="cs_b_expected").value == "expected"
    assert at.selectbox(key="cs_batch_kb").value == "Cards"


def test_answers_for_other_columns_are_not_shown_as_this_choices_until_the_file_is_answered_again(models):  # noqa: F811
    at = answered_with_expected("past.csv", PAST)
    at.selectbox(key="cs_b_expected").set_value("(none)").run()
    assert_no_exception(at)
    assert not any("action" in f.value.columns for f in at.dataframe) and not at.metric  # not answers checked on 'expected'
    assert any(t.startswith("The columns or the knowledge base were changed since these questions were gone through")
               for t in texts(at.info))  # fmt: skip
    at.selectbox(key="cs_b_expected").set_value("expected").run()  # the earlier choice: its answers again
    assert {m.label: m.value for m in at.metric}["Answered right"] == "1 (33%)"


def test_a_custom_threshold_is_measured_on_the_file_as_soon_as_it_is_answered(models):  # noqa: F811
    at = switch_tab(import_faq_through_the_page(open_page("customer_service.py", "Knowledge bases")), "Past questions")
    at.file_uploader(key="cs_batch_upload").set_value(("past.csv", PAST, "text/csv"))
    at.run()
    at.selectbox(key="cs_b_expected").set_value("expected")
    at.checkbox(key="cs_b_custom").check().run()
    assert any("its effect was not measured" in c for c in shown_texts(at.caption))
    at.button(key="cs_b_run").click().run()
    assert_no_exception(at)
    assert any(c.startswith("Custom threshold 0.60 is in use instead of the choice above: on the 3 past questions with an "
                            "expected answer below, it would answer ") for c in shown_texts(at.caption))  # fmt: skip
    assert {m.label: m.value for m in at.metric}["Questions"] == "3"


def test_a_file_removed_from_the_uploader_is_not_brought_back(models):  # noqa: F811
    at = answered_with_expected("past.csv", PAST)
    at.file_uploader(key="cs_batch_upload").set_value(None).run()
    assert_no_exception(at)
    assert not any("action" in f.value.columns for f in at.dataframe)
    assert not [c for c in shown_texts(at.caption) if c.startswith("Still using")]
