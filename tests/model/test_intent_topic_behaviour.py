"""Minimum functionality and invariance of the shipped intent (Banking77 labels) and topic models: plain cases
written for these tests, not taken from any dataset. Failures are xfail(strict=True) with the reason, never
edited to pass."""

from __future__ import annotations

import pytest

INTENT_CASES = [
    ("I think I lost my card somewhere on the train yesterday", "lost_or_stolen_card"),
    ("How can I change the PIN of my card?", "change_pin"),
    ("The shop declined my card when I tried to pay", "declined_card_payment"),
    ("I want to close my account with you", "terminate_account"),
    ("Why was I charged a fee for taking cash out of the ATM?", "cash_withdrawal_charge"),
    ("Where is the new card you sent me? It has not arrived", "card_arrival"),
    ("What is your exchange rate for euros to pounds?", "exchange_rate"),
]


@pytest.mark.parametrize(("text", "expected"), INTENT_CASES)
def test_intent_minimum_functionality(intent, text: str, expected: str) -> None:
    assert intent.predict([text])[0].label == expected


@pytest.mark.parametrize(
    "template",
    ["I sent {amount} to my sister but she has not received it", "Can I top up {amount} with a bank transfer?"],
)
def test_intent_invariance_to_amounts(intent, template: str) -> None:
    texts = [template.format(amount=a) for a in ("£20", "€350", "100 dollars", "5000 SEK")]
    labels = {text: p.label for text, p in zip(texts, intent.predict(texts))}
    assert len(set(labels.values())) == 1, labels


TOPIC_CASES = [
    ("The central bank raised its key interest rate by a quarter point", "Fed | Central Banks"),
    pytest.param(
        "Norrvik Industries beats quarterly earnings estimates as margins widen",
        "Earnings",
        marks=pytest.mark.xfail(strict=True, reason="shipped topic model (2026-11-23) says 'Financials'; for the rebuild"),
    ),
    ("Halden Foods agrees to buy a rival snack maker for $2 billion", "M&A | Investments"),
    ("Brent crude climbs above $90 a barrel after OPEC output cut", "Energy | Oil"),
    ("Caldera Mining names a new chief executive officer", "Personnel Change"),
]


@pytest.mark.parametrize(("text", "expected"), TOPIC_CASES)
def test_topic_minimum_functionality(topic, text: str, expected: str) -> None:
    assert topic.predict([text])[0].label == expected


TOPIC_TEMPLATES = ["{company} ({ticker}) declares a special dividend", "{company} ({ticker}) to buy back $1 billion of stock"]


@pytest.mark.parametrize("template", TOPIC_TEMPLATES)
def test_topic_invariance_to_company_names_and_tickers(topic, template: str) -> None:
    companies = [("Norrvik Industries", "NRVK"), ("Halden Foods", "HLDN"), ("Apple", "AAPL"), ("Siemens", "SIE")]
    texts = [template.format(company=c, ticker=t) for c, t in companies]
    labels = {text: p.label for text, p in zip(texts, topic.predict(texts))}
    assert len(set(labels.values())) == 1, labels
