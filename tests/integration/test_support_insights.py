"""What customers ask most and what goes unanswered, from logged questions on a real database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from core.repositories import knowledge_bases as kb_store
from core.storage import session_scope
from core.storage.tables import KnowledgeBase, SupportInteraction
from core.views.customer_service import unanswered_groups_csv

NOW = datetime(2026, 3, 10, 12, 0)


def log(kb_id: int | None, question: str, action: str, intent: str | None, days_ago: float, feedback: int | None = None,
        reasons: tuple[str, ...] = ()) -> None:
    with session_scope() as session:
        session.add(SupportInteraction(
            kb_id=kb_id, question=question, action=action, intent=intent, matched_question="How do I reset my PIN?",
            feedback=feedback, created_at=NOW - timedelta(days=days_ago), reasons=list(reasons),
        ))  # fmt: skip


def make_kb(name: str) -> int:
    with session_scope() as session:
        kb = KnowledgeBase(name=name)
        session.add(kb)
        session.flush()
        return kb.id


def seed() -> tuple[int, int]:
    cards, loans = make_kb("Cards"), make_kb("Loans")
    for i in range(3):
        log(cards, f"I forgot my PIN {i}", "answer", "change_pin", days_ago=1)
    log(cards, "reset pin please", "answer", "change_pin", days_ago=1, feedback=-1)
    log(cards, "where is my card", "answer", "card_arrival", days_ago=3, feedback=1)
    log(cards, "can I buy bitcoin with my card", "escalate", "card_arrival", days_ago=3)
    log(cards, "do you sell crypto", "escalate", None, days_ago=3)
    log(loans, "what is the loan rate", "escalate", "loan_rate", days_ago=2)
    log(cards, "an old question from last year", "answer", "change_pin", days_ago=400)
    return cards, loans


def test_counts_intents_days_and_feedback_for_a_period(db) -> None:
    from core.support.insights import question_insights

    seed()
    week = question_insights(days=7, now=NOW)
    assert (week.asked, week.count("answer"), week.count("escalate"), week.not_helpful) == (8, 5, 3, 1)
    intents = week.intent_counts()
    assert list(dict.fromkeys(intents["intent"])) == ["change_pin", "card_arrival", "(no intent model)", "loan_rate"]
    arrival = intents[intents["intent"] == "card_arrival"].set_index("decision")["questions"].to_dict()
    assert arrival == {"answered": 1, "escalated": 1}

    daily = week.per_day()
    assert daily["day"].min() == pd.Timestamp(NOW - timedelta(days=7)).floor("D")  # the period's empty days are drawn
    assert daily["day"].max() == pd.Timestamp("2026-03-10")  # to today, though nobody asked today
    assert daily["day"].nunique() == 8 and daily["questions"].sum() == 8
    by_day = daily.set_index(["day", "decision"])["questions"]
    assert by_day[(pd.Timestamp("2026-03-07"), "escalated")] == 2 and by_day[(pd.Timestamp("2026-03-09"), "answered")] == 4

    wrong = week.not_helpful_answers()
    assert wrong["question"].tolist() == ["reset pin please"] and wrong["kb"].tolist() == ["Cards"]

    assert question_insights(days=None, now=NOW).asked == 9  # all time keeps last year's question
    loans = question_insights("Loans", days=7, now=NOW)
    assert (loans.asked, loans.count("escalate")) == (1, 1)
    assert question_insights("Cards", days=2, now=NOW).asked == 4  # yesterday's four, not the ones of three days ago


def test_escalated_questions_are_grouped_by_meaning(tiny_models) -> None:
    from core.support.insights import question_insights

    cards = make_kb("Cards")
    for question in ("can I buy bitcoin with my card", "buying bitcoin with the card", "I want to buy bitcoin",
                     "what is your branch address in Leeds", "I forgot my PIN"):  # fmt: skip
        log(cards, question, "answer" if "PIN" in question else "escalate", None, days_ago=0)
    clusters = question_insights(days=None, now=NOW).unanswered_clusters()
    assert clusters["size"].tolist()[0] == 3 and "bitcoin" in clusters["label"].iloc[0]
    assert clusters["size"].sum() == 4 and "PIN" not in " ".join(clusters["examples"])  # answered questions are not gaps
    downloaded = unanswered_groups_csv(clusters.assign(now="still escalated", still_open=""))
    assert downloaded.decode().splitlines()[0] == "cluster,label,size,examples,now" and b"bitcoin" in downloaded


def test_the_period_is_capped_at_the_newest_questions(db, monkeypatch) -> None:
    from core.support import insights

    cards = make_kb("Cards")
    for i in range(4):
        log(cards, f"question {i}", "answer", None, days_ago=i)
    monkeypatch.setattr(insights, "MAX_QUESTIONS", 3)
    capped = insights.question_insights(days=None, now=NOW)
    assert capped.capped and capped.asked == 3 and "question 3" not in capped.questions["question"].tolist()
    assert kb_store.logged_questions(10, since=NOW - timedelta(days=1, hours=1))[-1][0].question == "question 1"


def test_a_question_that_matched_no_entry_is_not_counted_under_the_nearest_intent(db) -> None:
    from core.support.decision import LOW_SIMILARITY
    from core.support.insights import NO_MATCH, question_insights

    cards = make_kb("Cards")
    log(cards, "I forgot my PIN", "answer", "change_pin", days_ago=1)
    log(cards, "what's the weather tomorrow", "escalate", "card_arrival", days_ago=1, reasons=(LOW_SIMILARITY,))
    counts = question_insights(days=7, now=NOW).intent_counts().set_index("intent")["questions"].to_dict()
    assert counts == {"change_pin": 1, NO_MATCH: 1}  # not "card_arrival": the model knows no weather intent
