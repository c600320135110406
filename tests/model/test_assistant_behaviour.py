"""The customer-service assistant on the shipped models escalates clearly unrelated questions instead of answering
them with the nearest FAQ entry, and still answers a plain paraphrase of an entry (so escalation is not the only
thing it does). FAQ and questions written for this test."""

from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.usefixtures("shared_accurate_encoder")  # the shipped sentiment model (conftest)

FAQ = pd.DataFrame(
    [
        ("How do I change my card PIN?", "Open the app, choose Card, then Change PIN.", "cards"),
        ("My card has been lost or stolen, what should I do?", "Freeze the card in the app at once and order a new one.", "cards"),
        ("When will my new card arrive?", "Cards arrive within 3-5 working days of ordering.", "cards"),
        ("Why was my card payment declined?", "Check your balance and that online payments are enabled.", "payments"),
        ("How do I top up my account by bank transfer?", "Send money to the account details shown under Top up.", "top-up"),
        ("How long does a transfer to another bank take?", "Most transfers arrive the same day; some take up to 2 days.", "transfers"),
        ("How do I close my account?", "Withdraw your balance, then choose Close account in Settings.", "account"),
        ("Is there a fee for cash withdrawals?", "Two withdrawals a month are free; then 2% per withdrawal.", "fees"),
    ],
    columns=["question", "answer", "category"],
)
UNRELATED = [
    "What is the capital of France?",
    "Can you recommend a good lasagne recipe?",
    "Who won the football world cup in 2018?",
    "What will the weather be like in Lisbon tomorrow?",
    "How many moons does Jupiter have?",
    "Write me a poem about autumn leaves",
]


@pytest.fixture
def cards_kb(db):
    from core.nlp.defaults import install_default_models
    from core.support.kb import import_faq

    install_default_models()
    import_faq("Cards", FAQ, "question", "answer", "category")
    return "Cards"


def test_clearly_unrelated_questions_are_escalated(cards_kb) -> None:
    from core.support.assistant import ask

    results = {q: ask(cards_kb, q, log=False).decision for q in UNRELATED}
    assert {q: d.action for q, d in results.items()} == dict.fromkeys(UNRELATED, "escalate"), results


def test_a_plain_paraphrase_of_an_entry_is_answered(cards_kb) -> None:
    from core.support.assistant import ask

    result = ask(cards_kb, "How can I change the PIN on my card?", log=False)
    assert result.decision.action == "answer", result.decision
    assert result.matched_question == "How do I change my card PIN?"
