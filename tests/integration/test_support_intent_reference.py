"""A team's own intent model weighs in relative to how sure it is of the knowledge base's own questions: a
few-class model trained on a handful of examples gives 0.4-0.6 to questions it places right, which the raw
probability would count as doubt and escalate (real database, a real head-only model trained here)."""

from __future__ import annotations

import pandas as pd
import pytest

SHOP_INTENTS = {
    "Delivery": ["when will my order arrive", "how long is shipping", "where is my parcel", "delivery is late",
                 "do you ship to france", "my package has not arrived"],
    "Returns": ["how do I return this", "I want a refund", "send back an item", "return label please",
                "refund not received yet", "exchange for another size"],
    "Payments": ["which cards do you accept", "payment was declined", "can I pay with paypal", "pay in instalments",
                 "charged twice", "card refused at checkout"],
    "Account": ["reset my password", "forgot password", "delete my account", "change my email address",
                "can't log in", "account locked"],
}  # fmt: skip
FAQ = pd.DataFrame({
    "question": ["How long does delivery take?", "How do I return an item?", "Which payment methods do you accept?",
                 "How do I reset my password?"],
    "answer": ["Delivery takes 2-4 working days.", "Start a return under My orders.", "Cards, PayPal and Apple Pay.",
               "Click Forgot password on the sign-in page."],
})  # fmt: skip


@pytest.fixture
def shop(db):
    from core.nlp.registry import register_trained
    from core.nlp.training import TrainingParams, train_classifier
    from core.support.kb import import_faq

    texts = [t for ts in SHOP_INTENTS.values() for t in ts]
    labels = [label for label, ts in SHOP_INTENTS.items() for _ in ts]
    register_trained(train_classifier(texts, labels, TrainingParams(method="head", epochs=10, seed=1)), "intent", created_by="tests")
    import_faq("Shop", FAQ, "question", "answer")


def test_a_few_class_intent_model_is_weighed_against_its_confidence_on_the_faq(shop):
    from core.support.assistant import RERANK_WEIGHT, analyse, ask
    from core.support.decision import UNKNOWN_INTENT, Policy, answer_confidence, decide
    from core.support.kb import load_kb

    question = "when does my package arrive"
    index = load_kb("Shop", RERANK_WEIGHT).index
    analysis = analyse([question], index, Policy.for_operating_point("custom", 0.0))
    similarity, (intent, raw) = analysis.matches[0][0].similarity, analysis.intent_of(0)
    assert intent == "Delivery" and analysis.matches[0][0].entry.question == "How long does delivery take?"
    assert analysis.intent_reference is not None and analysis.intent_reference < 0.9  # unsure even of the FAQ's own questions
    relative = analysis.intent_evidence(0)
    assert relative == pytest.approx(min(1.0, raw / analysis.intent_reference)) and relative > raw
    raw_confidence, confidence = answer_confidence(similarity, raw), answer_confidence(similarity, relative)
    assert raw_confidence < confidence, (similarity, raw, relative)

    policy = Policy.for_operating_point("custom", (raw_confidence + confidence) / 2)
    assert UNKNOWN_INTENT in decide(similarity, raw, None, policy).reasons  # what the raw probability did
    [decision] = analyse([question], index, policy).decisions
    assert decision.action == "answer", decision.reasons
    shown = ask("Shop", question, policy=policy, log=False).as_dict()  # what the page shows beside the confidence
    assert shown["action"] == "answer" and shown["intent_reference"] == pytest.approx(analysis.intent_reference, abs=1e-4)


def test_the_reference_is_measured_once_per_knowledge_base_and_intent_version(shop, monkeypatch):
    from core.support import assistant
    from core.support.kb import load_kb

    index = load_kb("Shop", assistant.RERANK_WEIGHT).index
    first = assistant.intent_reference(index, 99)
    calls = []
    monkeypatch.setattr(assistant, "score_task", lambda *a: calls.append(a))
    assert assistant.intent_reference(index, 99) == first and not calls  # cached
    assert assistant.intent_reference(index, 100) is None and len(calls) == 1  # another intent version: measured again
