"""What the Customer service page decides, without streamlit or a database."""

from __future__ import annotations

import pandas as pd
import pytest

from core.support.assistant import AskedNow
from core.support.kb import RowIssue
from core.views import customer_service as view


def test_ticket_columns_are_guessed_by_name_and_the_text_falls_back_to_the_first_column():
    guesses = view.guess_ticket_columns(["Id", "Message", "Created_At", "Agent"])
    assert guesses == {"text": "Message", "timestamp": "Created_At", "channel": None, "agent": "Agent", "resolved": None}
    assert view.guess_ticket_columns(["body text", "when"])["text"] == "body text"
    assert view.guess_ticket_columns([])["text"] is None
    helpdesk = view.guess_ticket_columns(["Ticket ID", "Subject", "Description", "Created", "Via", "Assignee", "Solved"])
    assert helpdesk == {"text": "Description", "timestamp": "Created", "channel": "Via", "agent": "Assignee", "resolved": "Solved"}
    assert view.guess_ticket_columns(["message", "created-time"])["timestamp"] == "created-time"


def test_an_unnamed_text_column_is_the_one_with_the_longest_texts_not_an_id():
    columns = ["ref", "kommentar", "datum"]
    assert view.guess_ticket_columns(columns, "kommentar")["text"] == "kommentar"
    assert view.guess_ticket_columns(columns, "gone")["text"] == "ref"  # a suggestion not among the columns is ignored
    assert view.guess_question_column(columns, "kommentar") == 1
    assert view.guess_question_column(["id", "Question"], "id") == 1  # a column named as such wins


def test_a_past_questions_file_with_its_own_column_names_gets_the_question_and_the_answer_column_right():
    columns = ["ticket_id", "customer_text", "right_answer"]  # the answers are the longest texts
    assert columns[view.guess_question_column(columns, "right_answer")] == "customer_text"  # not the answers
    assert view.guess_expected_column(columns, "customer_text") == "right_answer"
    assert view.guess_question_column(["message_id", "content"], "content") == 1  # the texts beat a word in an id's name
    assert view.guess_question_column(["Answer", "notes"], "Answer") == 1
    assert view.guess_expected_column(["question", "Correct reply"], "question") == "Correct reply"


def test_only_versions_other_than_the_active_one_can_be_rolled_back_to():
    versions = pd.DataFrame({"version": [3, 2, 1], "active": [True, False, False]})
    assert view.rollback_choices(versions) == [2, 1]
    assert view.rollback_choices(pd.DataFrame()) == []


def test_ticket_problems_are_shown_up_to_a_limit_with_the_rest_counted():
    problems = [RowIssue(line, "when", "text", "not a date") for line in range(2, 27)]
    shown, more = view.problem_lines(problems)
    assert len(shown) == 20 and more == 5 and shown[0] == "line 2, column 'when': not a date"


def test_the_ask_box_policy_takes_the_pages_threshold():
    policy = view.ask_policy(0.42)
    assert policy.confidence_threshold == 0.42 and 0 < policy.intent_threshold < 1


def test_the_expected_answer_column_is_guessed_by_name_and_never_the_question_column():
    assert view.guess_expected_column(["ticket", "question", "Expected"], "question") == "Expected"
    assert view.guess_expected_column(["question", "answer"], "question") == "answer"
    assert view.guess_expected_column(["answer", "notes"], "answer") is None  # the question column is not offered again
    assert view.guess_expected_column(["id", "question"], "question") is None


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("card_payment_wrong_exchange_rate", "Card payment wrong exchange rate"),
        ("Refund_not_showing_up", "Refund not showing up"),
        ("Billing question", "Billing question"),  # a label a team wrote in words stays as written
        (None, "no intent model"),
    ],
)
def test_intent_names_read_as_words(label: str | None, shown: str) -> None:
    assert view.intent_name(label) == shown


def test_the_log_shows_intents_in_words_and_keeps_the_rest() -> None:
    log = pd.DataFrame({"question": ["a", "b"], "intent": ["card_arrival", None]})
    shown = view.readable_log(log)
    assert shown["intent"].tolist() == ["Card arrival", ""]
    assert shown["question"].tolist() == ["a", "b"] and log["intent"].iloc[0] == "card_arrival"  # the log itself is kept


def test_the_ticket_intent_chart_names_the_most_asked_intents_in_words() -> None:
    distribution = pd.DataFrame({"intent": ["card_arrival", "(no intent model)", "lost_or_stolen_card"], "tickets": [2, 1, 5]})
    top = view.top_intents(distribution, shown=2)
    assert top["intent"].tolist() == ["Lost or stolen card", "Card arrival"] and top["tickets"].tolist() == [5, 2]


def test_the_ticket_intent_chart_splits_each_intent_into_answered_and_escalated_tickets() -> None:
    from core.support.tickets import TicketReport

    scored = pd.DataFrame({"intent": ["card_arrival", "card_arrival", "card_arrival", "change_pin", None],
                           "action": ["answer", "escalate", "answer", "escalate", "escalate"]})  # fmt: skip
    distribution = TicketReport(scored).intent_distribution()
    assert distribution.to_dict("list") == {"intent": ["card_arrival", "change_pin", "(no intent model)"], "tickets": [3, 1, 1],
                                            "answered": [2, 0, 0]}  # fmt: skip
    bars = view.intent_outcomes(view.top_intents(distribution, shown=2))
    assert bars.to_dict("records") == [
        {"intent": "Card arrival", "outcome": "answered from the FAQ", "tickets": 2},
        {"intent": "Card arrival", "outcome": "escalated", "tickets": 1},
        {"intent": "Change pin", "outcome": "answered from the FAQ", "tickets": 0},
        {"intent": "Change pin", "outcome": "escalated", "tickets": 1},
    ]


def test_the_unanswered_table_says_how_many_groups_of_how_many_tickets_and_when_sizes_are_estimates(monkeypatch):
    from core.support.tickets import TicketReport

    def report(actions: list[str], groups: int) -> TicketReport:
        return TicketReport(pd.DataFrame({"action": actions}), clusters=pd.DataFrame({"cluster": range(1, groups + 1)}))

    assert view.clusters_caption(report(["answer", "escalate", "escalate", "escalate"], 2)) == (
        "The 2 largest groups of the 3 tickets it would escalate.")
    assert view.clusters_caption(report(["escalate"], 1)) == "The largest group of the 1 ticket it would escalate."
    assert view.clusters_caption(report(["answer", "answer"], 0)) == "The knowledge base would answer every ticket."
    monkeypatch.setattr(view, "MAX_CLUSTERED", 2)
    assert view.clusters_caption(report(["escalate"] * 1500, 1)).endswith(
        "of the 1,500 tickets it would escalate; the sizes are estimated from a sample of 2.")


def test_an_unsure_intent_model_shows_what_it_gives_the_faq_beside_its_confidence():
    from core.views.customer_service import intent_note

    assert intent_note("answer", [], 0.37, 0.37) == "model confidence 0.37 (typical for this FAQ's own questions: 0.37)"
    assert intent_note("answer", [], 0.95, 0.99) == "model confidence 0.95"  # a model sure of the FAQ: nothing to add
    assert intent_note("answer", [], 0.95) == "model confidence 0.95"
    assert intent_note("escalate", ["low similarity"], 0.9, 0.4).startswith("only the nearest intent")


def test_the_missing_answer_form_starts_at_the_largest_group_not_answered_since():
    groups = pd.DataFrame({"cluster": [1, 2, 3], "label": ["a", "b", "c"], "size": [5, 3, 2], "examples": ["x", "y", "z"]})
    assert view.first_open_group(groups) == 1  # nothing known about now: the largest
    now = groups.assign(now=["answered: 'Do you sell gift cards?'", view.STILL_ESCALATED, view.STILL_ESCALATED])
    assert view.first_open_group(now) == 2
    assert view.first_open_group(now.assign(now="answered: 'x'")) is None  # every group answered: the picker's first
    partly = now.assign(now=["2 of 3 answered: 'Do you sell gift cards?'", "answered: 'x'", view.STILL_ESCALATED])
    assert view.first_open_group(partly) == 1  # some of its questions still escalate: still open


def test_a_group_of_very_negative_customers_says_no_entry_would_answer_it_and_the_form_starts_elsewhere(monkeypatch):
    groups = pd.DataFrame({"cluster": [1, 2, 3], "label": ["a", "b", "c"], "size": [9, 4, 2],
                           "examples": ["My code fails!! | Useless code!!", "Klarna? | Angry about Klarna!!", "Mars?"]})  # fmt: skip
    upset, missing = ("very negative sentiment",), ("low similarity",)
    reasons = {"My code fails!!": upset, "Useless code!!": ("low similarity", "very negative sentiment"),
               "Klarna?": missing, "Angry about Klarna!!": upset, "Mars?": missing}  # fmt: skip
    monkeypatch.setattr(view, "answered_now", lambda kb, questions: [AskedNow(None, reasons[q]) for q in questions])
    now = view.with_answer_now(groups, "Shop")
    assert now["now"].tolist() == [view.UPSET_ESCALATED, view.STILL_ESCALATED, view.STILL_ESCALATED]  # one calm question: an entry helps
    assert view.UPSET_ESCALATED.startswith(view.STILL_ESCALATED) and "upset" in view.UPSET_ESCALATED
    assert view.first_open_group(now) == 2  # the largest group an entry can answer
    assert view.first_open_group(now.iloc[[0]]) == 1  # only upset groups left: still the largest


def test_asked_now_says_how_many_of_a_groups_examples_an_entry_written_since_answers(monkeypatch):
    groups = pd.DataFrame({"cluster": [1, 2, 3], "label": ["a", "b", "c"], "size": [5, 3, 2],
                           "examples": ["PayPal? | Apple Pay? | Klarna?", "Gift cards? | Vouchers?", "Mars?"]})  # fmt: skip
    answers = {"PayPal?": "Which payments do you take?", "Apple Pay?": "Which payments do you take?",
               "Gift cards?": "Do you sell gift cards?", "Vouchers?": "Do you sell vouchers?"}  # fmt: skip
    asked = []
    monkeypatch.setattr(view, "answered_now", lambda kb, questions: asked.append(questions)
                        or [AskedNow(answers.get(q), () if q in answers else ("low similarity",)) for q in questions])  # fmt: skip
    now = view.with_answer_now(groups, "Shop")
    assert asked == [["PayPal?", "Apple Pay?", "Klarna?", "Gift cards?", "Vouchers?", "Mars?"]]  # one pass for every group
    assert now["now"].tolist() == ["2 of 3 answered: 'Which payments do you take?'",
                                   "answered: 'Do you sell gift cards?', 'Do you sell vouchers?'", view.STILL_ESCALATED]  # fmt: skip
    assert list(now.columns) == ["cluster", "label", "size", "now", "examples", "still_open"]
    assert [view.group_question(now, n) for n in (1, 2, 3)] == ["Klarna?", "Gift cards?", "Mars?"]  # the entry still needed
    assert view.group_question(groups, 1) == "PayPal?"  # nothing known about now: the most typical
    assert view.questions_to_ask_again(now, 1) == ["Klarna?", "PayPal?", "Apple Pay?"]  # the one written for first
