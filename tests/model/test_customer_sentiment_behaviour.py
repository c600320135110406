"""Behaviour of the shipped customer_sentiment model (the customer's tone on the Customer service page): upset
customers are negative, plain questions and plain problem reports neutral, thanks positive; the amount, the
product and the politeness formula around a message do not flip it. Sentences written for these tests, not
taken from the training templates (training_data/customer_messages.py) or from any dataset."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I've now called four times about the same missing payment and each agent tells me something different. Fed up.", "negative"),
        ("Absolutely disgraceful service, I want to close my account today", "negative"),
        ("why is this STILL not sorted?? i reported it last month", "negative"),
        ("Can I get a paper copy of my January bill?", "neutral"),
        ("The parcel tracking page says delivered but nothing came to my door.", "neutral"),
        ("My direct debit to the gym went out twice this month, could you look into it?", "neutral"),
        ("What documents do I need to add my partner to the policy?", "neutral"),
        ("Brilliant, the replacement phone arrived this morning, thank you for sorting it so quickly", "positive"),
        ("Just wanted to say your agent Priya was wonderful on the phone yesterday.", "positive"),
    ],
)
def test_minimum_functionality(customer_sentiment, text: str, expected: str) -> None:
    assert customer_sentiment.predict([text])[0].label == expected


@pytest.mark.parametrize(
    "template",
    [
        "I was billed {amount} for a subscription I cancelled, could you refund it?",
        "This is the second time you have charged me {amount} by mistake and I am really annoyed.",
        "Thank you, the {amount} credit shows on my account now.",
    ],
)
def test_invariance_to_amounts(customer_sentiment, template: str) -> None:
    labels = {customer_sentiment.predict([template.format(amount=a)])[0].label for a in ("£4.99", "$120", "EUR 1,250", "30 dollars")}
    assert len(labels) == 1, labels


@pytest.mark.parametrize(
    ("plain", "upset"),
    [
        ("My order hasn't arrived yet.", "My order hasn't arrived yet and frankly I'm sick of waiting."),
        ("The app logs me out when I open settings.", "The app logs me out when I open settings, it's driving me mad!!"),
    ],
)
def test_direction_frustration_makes_a_report_more_negative(customer_sentiment, plain: str, upset: str) -> None:
    labels = customer_sentiment.labels
    plain_p, upset_p = customer_sentiment.predict_proba([plain, upset])
    negative = labels.index("negative")
    assert upset_p[negative] > plain_p[negative]
    assert customer_sentiment.predict([upset])[0].label == "negative"


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(
            "Where is my parcel?",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known: the training templates give doubled marks to upset customers only (shipped_models/README.md)",
            ),
        ),
        "how do i change the delivery address on my order?",
        "Can you tell me when my new card will arrive?",
    ],
)
def test_invariance_a_doubled_question_mark_alone_does_not_make_a_customer_upset(customer_sentiment, question: str) -> None:
    # people type "??" without being upset; the words, not the punctuation, carry the tone
    single, doubled = customer_sentiment.predict([question, question[:-1] + "??"])
    assert single.label == "neutral"
    assert doubled.label == "neutral", doubled
