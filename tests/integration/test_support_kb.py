"""Knowledge bases, ask, logging and ticket analytics on a real database (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import SupportInteraction
from core.views.customer_service import unanswered_groups_csv

FAQ = pd.DataFrame(
    {
        "question": ["How do I reset my PIN?", "My card has not arrived yet", "How do I close my account?",
                     "What fees do you charge for foreign currency payments?"],
        "answer": ["Open the app, go to Cards and choose Reset PIN.", "Cards arrive within 5 working days.",
                   "Go to Settings and choose Close account.", "We charge 1% on foreign currency payments."],
        "category": ["cards", "cards", "accounts", "fees"],
    }
)  # fmt: skip
INTENT_ROWS = [
    ("I forgot my PIN", "change_pin"), ("how can I change my pin number", "change_pin"), ("reset the PIN of my card", "change_pin"),
    ("new pin please", "change_pin"), ("my pin is blocked, how do I set a new one", "change_pin"),
    ("my card still has not arrived", "card_arrival"), ("where is my new card", "card_arrival"), ("card delivery is late", "card_arrival"),
    ("when will my card come", "card_arrival"), ("the card you sent never arrived", "card_arrival"),
    ("I want to close my account", "terminate_account"), ("delete my account please", "terminate_account"),
    ("how to cancel my account", "terminate_account"), ("shut down my bank account", "terminate_account"),
    ("I am leaving, close everything", "terminate_account"),
]  # fmt: skip


@pytest.fixture(scope="module")
def tiny_intent():
    from core.nlp.training import TrainingParams, train_classifier

    rows = INTENT_ROWS * 3
    return train_classifier([t for t, _ in rows], [lab for _, lab in rows], TrainingParams(method="head", epochs=60, seed=1))


@pytest.fixture
def models(tiny_models, tiny_intent):
    from core.nlp.registry import register_trained

    register_trained(tiny_intent, "intent", created_by="tests")
    return tiny_models


def policy():
    from core.support.decision import Policy

    return Policy(confidence_threshold=0.6, intent_threshold=0.0, negative_threshold=1.01)


def test_import_versions_incremental_embedding_and_rollback(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.nlp.sentence_encoder import SentenceEncoder as Encoder
    from core.support import kb as kbmod

    embedded: list[list[str]] = []
    original = Encoder.encode
    monkeypatch.setattr(Encoder, "encode", lambda self, texts, batch_size=64: (embedded.append(list(texts)), original(self, texts))[1])

    first = kbmod.import_faq("Cards", FAQ, "question", "answer", "category")
    assert (first.version, len(first.added), first.embedded) == (1, 4, 4)
    again = kbmod.import_faq("Cards", FAQ, "question", "answer", "category")
    assert again.version is None and again.unchanged == 4 and len(embedded) == 1  # no change: no version, no encoding

    change = FAQ.copy()
    change.loc[1, "answer"] = "Cards arrive within 3 working days."
    change.loc[len(change)] = ["Can I get a virtual card?", "Yes, in the app under Cards.", "cards"]
    second = kbmod.import_faq("Cards", change, "question", "answer", "category")
    assert (second.version, second.added, second.updated) == (2, ["Can I get a virtual card?"], ["My card has not arrived yet"])
    assert embedded[-1] == ["Can I get a virtual card?"]  # the updated answer reused its question's vector
    entries = kbmod.kb_entries("Cards")
    assert len(entries) == 5 and "3 working days" in entries.loc[entries.question == "My card has not arrived yet", "answer"].item()

    kbmod.import_faq("Loans", FAQ.head(1), "question", "answer")  # a second KB coexists
    assert {k.name: k.entries for k in kbmod.list_kbs()} == {"Cards": 5, "Loans": 1}

    assert kbmod.rollback_kb("Cards") == 3  # a rollback is a new version with version 1's entries
    entries = kbmod.kb_entries("Cards")
    assert len(entries) == 4 and "5 working days" in entries.loc[entries.question == "My card has not arrived yet", "answer"].item()
    assert kbmod.load_kb("Cards").version == 3 and len(kbmod.load_kb("Cards").index) == 4
    versions = kbmod.kb_versions("Cards")
    assert versions["version"].tolist() == [3, 2, 1] and versions["active"].tolist() == [True, False, False]
    with pytest.raises(LookupError, match="no version 9"):
        kbmod.rollback_kb("Cards", 9)


def test_the_encoder_runs_before_any_transaction_is_open(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import contextmanager

    from core.nlp.sentence_encoder import SentenceEncoder as Encoder
    from core.repositories import knowledge_bases as repository
    from core.support import kb as kbmod

    open_sessions: list[int] = [0]
    during_encoding: list[int] = []
    real_scope, real_encode = repository.session_scope, Encoder.encode

    @contextmanager
    def counted_scope(*args, **kwargs):
        open_sessions[0] += 1
        try:
            with real_scope(*args, **kwargs) as session:
                yield session
        finally:
            open_sessions[0] -= 1

    def encode(self, texts, batch_size=None):
        during_encoding.append(open_sessions[0])
        return real_encode(self, texts)

    monkeypatch.setattr(repository, "session_scope", counted_scope)
    monkeypatch.setattr(Encoder, "encode", encode)
    assert kbmod.import_faq("Cards", FAQ, "question", "answer", "category").version == 1  # a new knowledge base
    changed = FAQ.copy()
    changed.loc[len(changed)] = ["Can I get a virtual card?", "Yes, in the app under Cards.", "cards"]
    assert kbmod.import_faq("Cards", changed, "question", "answer", "category").version == 2
    assert during_encoding == [0, 0]


def _rollback_during_each_encoding(monkeypatch: pytest.MonkeyPatch, times: int) -> list[int]:
    """Another analyst rolls "Cards" back while this import embeds its questions (before it writes), ``times`` times."""
    from core.support import kb as kbmod

    rolled: list[int] = []
    real = kbmod._embeddings

    def embeddings(kb_id, questions):
        if len(rolled) < times:
            rolled.append(kbmod.rollback_kb("Cards"))
        return real(kb_id, questions)

    monkeypatch.setattr(kbmod, "_embeddings", embeddings)
    return rolled


def test_an_import_that_meets_a_concurrent_change_starts_over_on_the_new_version(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.support import kb as kbmod

    kbmod.import_faq("Cards", FAQ, "question", "answer", "category")
    changed = FAQ.copy()
    changed.loc[1, "answer"] = "Cards arrive within 3 working days."
    kbmod.import_faq("Cards", changed, "question", "answer", "category")
    rolled = _rollback_during_each_encoding(monkeypatch, times=1)
    extra = pd.DataFrame({"question": ["Can I get a virtual card?"], "answer": ["Yes, in the app."], "category": ["cards"]})
    report = kbmod.import_faq("Cards", extra, "question", "answer", "category")
    assert rolled == [3] and report.version == 4  # built on the rolled-back version, not on version 2
    entries = kbmod.kb_entries("Cards")
    assert len(entries) == 5 and "5 working days" in entries.loc[entries.question == "My card has not arrived yet", "answer"].item()


def test_an_import_that_keeps_meeting_changes_stops_with_a_clear_error_and_stores_nothing(db, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.support import kb as kbmod

    kbmod.import_faq("Cards", FAQ, "question", "answer", "category")
    kbmod.import_faq("Cards", FAQ.head(2), "question", "answer", "category")  # no change: still version 1
    kbmod.import_faq("Cards", FAQ.assign(answer=FAQ.answer + " Thanks."), "question", "answer", "category")
    rolled = _rollback_during_each_encoding(monkeypatch, times=kbmod.IMPORT_ATTEMPTS)
    extra = pd.DataFrame({"question": ["Can I get a virtual card?"], "answer": ["Yes, in the app."], "category": ["cards"]})
    with pytest.raises(kbmod.ImportConflict, match="changed by someone else 3 times .* nothing was imported; import the file again"):
        kbmod.import_faq("Cards", extra, "question", "answer", "category")
    assert rolled == [3, 4, 5]
    assert kbmod.kb_versions("Cards")["version"].tolist() == [5, 4, 3, 2, 1]
    assert "Can I get a virtual card?" not in kbmod.kb_entries("Cards").question.tolist()


def test_refused_input_leaves_no_audit_row(db) -> None:
    from core.auth import list_events
    from core.support import kb as kbmod

    with pytest.raises(kbmod.FaqFileError, match="no question column named 'no such column'; columns are: question, answer"):
        kbmod.import_faq("Cards", FAQ, "no such column", "answer")
    with pytest.raises(LookupError):
        kbmod.rollback_kb("Cards")
    kbmod.import_faq("Cards", FAQ, "question", "answer")
    with pytest.raises(LookupError, match="no version 7"):
        kbmod.rollback_kb("Cards", 7)
    assert [(e["action"], e["target"]) for e in list_events()] == [("FAQ uploaded", "Cards")]


def test_each_caller_gets_its_own_rerank_weight_over_shared_vectors(db) -> None:
    from core.support import kb as kbmod

    kbmod.import_faq("Cards", FAQ, "question", "answer")
    plain, reranked = kbmod.load_kb("Cards"), kbmod.load_kb("Cards", 0.2)
    assert (plain.index.rerank_weight, reranked.index.rerank_weight) == (0.0, 0.2)  # the first one is not changed by the second call
    assert plain.index.matrix is reranked.index.matrix and plain.index.matrix.shape == (4, 384)


def test_ask_answers_escalates_logs_masked_and_stores_feedback(db, models) -> None:
    from core.support.assistant import ask, interaction_log, record_feedback
    from core.support.kb import import_faq

    import_faq("Cards", FAQ, "question", "answer", "category")
    good = ask("Cards", "I forgot my PIN, how can I reset it? Mail me at jane.doe@example.com", policy=policy())
    assert good.decision.action == "answer" and good.matched_question == "How do I reset my PIN?"
    assert good.answer.startswith("Open the app") and good.intent == "change_pin" and good.intent_model_version == 1
    assert good.sentiment in {"negative", "neutral", "positive"} and good.sentiment_task == "sentiment"
    assert len(good.alternatives) == 2 and good.alternatives[0]["question"] != good.matched_question
    assert "[EMAIL]" in good.question and "jane.doe" not in good.question

    bad = ask("Cards", "What is the weather on Mars tomorrow?", policy=policy())
    assert bad.decision.escalate and bad.decision.reasons == ["low similarity"] and bad.answer == "Escalate to an agent."

    record_feedback(good.interaction_id, helpful=True)
    record_feedback(bad.interaction_id, helpful=False)
    with session_scope() as session:
        rows = {r.id: r for r in session.scalars(select(SupportInteraction))}
    assert rows[good.interaction_id].feedback == 1 and rows[bad.interaction_id].feedback == -1
    assert "jane.doe" not in rows[good.interaction_id].question and rows[bad.interaction_id].action == "escalate"
    log = interaction_log()
    assert log["feedback"].tolist() == ["not helpful", "helpful"]
    with pytest.raises(ValueError, match="empty"):
        ask("Cards", "   ")
    with pytest.raises(LookupError, match="no knowledge base named 'Nope'"):
        ask("Nope", "hello")


def test_ticket_analytics_find_the_unanswered_clusters(db, models) -> None:
    from core.support.kb import import_faq
    from core.support.tickets import analyse_tickets

    import_faq("Cards", FAQ, "question", "answer", "category")
    answered = ["I forgot my PIN, how can I reset it?", "how do I reset my pin", "my card has not arrived yet, where is it?"]
    crypto = ["Can I buy bitcoin with my account?", "Do you support buying bitcoin?", "How do I buy bitcoin in the app?",
              "bitcoin purchase possible?"]  # fmt: skip
    mortgage = ["What is the mortgage interest rate?", "mortgage rates for a new house", "How high are your mortgage interest rates?"]
    texts = answered + crypto + mortgage
    frame = pd.DataFrame({"text": texts, "ts": [f"2024-03-0{1 + i % 3} 10:00" for i in range(len(texts))], "channel": "chat"})
    frame.loc[len(frame)] = ["call me on +44 20 7946 0958 about bitcoin", "not a date", "phone"]
    report = analyse_tickets(frame, "text", kb_name="Cards", time_col="ts", channel_col="channel", policy=policy())
    assert report.deflection_rate == pytest.approx(3 / 11)
    assert [(p.line, p.column) for p in report.problems] == [(12, "ts")]
    top = report.clusters.head(2)
    assert "bitcoin" in top["label"].iloc[0] and top["size"].iloc[0] == 4  # the call-back request is a need of its own
    assert "mortgage" in top["label"].iloc[1] and top["size"].iloc[1] == 3
    assert report.clusters["size"].sum() == 8  # every escalated message is in a group
    downloaded = unanswered_groups_csv(report.clusters).decode()
    assert "[PHONE]" in downloaded and "7946" not in downloaded and "7946" not in report.scored.to_csv()
    assert report.scored["text"].iloc[-1] == "call me on [PHONE] about bitcoin"
    assert set(report.intent_distribution()["intent"]) <= {"change_pin", "card_arrival", "terminate_account"}
    over_time = report.sentiment_over_time()
    assert over_time["tickets"].sum() == 10 and over_time["period"].nunique() == 3  # the undated ticket is left out


def test_ticket_analytics_score_in_chunks_with_progress_and_the_same_result(db, models, tiny_intent,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from core.nlp.registry import register_trained
    from core.support import assistant
    from core.support.kb import import_faq
    from core.support.tickets import analyse_tickets

    import_faq("Cards", FAQ, "question", "answer", "category")
    texts = ["I forgot my PIN", "where is my new card", "Can I buy bitcoin?", "close my account please", "mortgage rates?",
             "my card never came", "how do I reset my pin", "do you sell gold?", "what fees for payments in dollars?"]  # fmt: skip
    frame = pd.DataFrame({"text": texts})
    whole = analyse_tickets(frame, "text", kb_name="Cards", policy=policy())

    monkeypatch.setattr(assistant, "ANALYSE_CHUNK", 4)
    seen: list[tuple[int, int]] = []
    chunked = analyse_tickets(frame, "text", kb_name="Cards", policy=policy(), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(4, 9), (8, 9), (9, 9)]
    pd.testing.assert_frame_equal(chunked.scored, whole.scored, check_exact=False, atol=1e-5)
    assert chunked.deflection_rate == whole.deflection_rate and len(chunked.clusters) == len(whole.clusters)

    def promote_after_the_first_chunk(done: int, total: int) -> None:
        if done == 4:
            register_trained(tiny_intent, "intent", activate=True)

    with pytest.raises(assistant.ModelChangedError, match="promoted while the texts were scored"):
        analyse_tickets(frame, "text", kb_name="Cards", policy=policy(), progress=promote_after_the_first_chunk)


def test_the_import_summary_reads_large_counts_with_separators():
    from core.support.kb import ImportReport

    report = ImportReport("Cards", 1, added=[f"q{i}" for i in range(1237)], unchanged=2048)
    assert report.summary() == "Cards: 1,237 added, 0 updated, 2,048 unchanged, 0 rejected, 0 flagged for review; now version 1"


def test_a_head_only_tone_model_reads_a_run_of_question_marks_as_one(db, models) -> None:
    from core.nlp.registry import find_active
    from core.support.assistant import analyse, sentiment_task

    assert sentiment_task() == "sentiment" and find_active("sentiment").method == "head"  # read off the retrieval pass
    tone = analyse(["Where is my new card??", "Where is my new card?", "Where is my new card"], None).sentiment.probabilities
    np.testing.assert_allclose(tone[0], tone[1], atol=1e-5)
    assert np.abs(tone[1] - tone[2]).max() > 1e-4  # the vectors are the text's own, not a neighbour's


def test_the_scored_tickets_download_keeps_the_exports_own_columns_row_for_row(db, models) -> None:
    import io

    from core.support.kb import import_faq
    from core.support.tickets import analyse_tickets

    import_faq("Cards", FAQ, "question", "answer", "category")
    frame = pd.DataFrame({"ticket_id": ["T-1", "T-2", "T-3"], "text": ["how do I reset my pin", "", "where is my new card"],
                          "intent": ["pin", "?", "card"], "ts": ["2024-03-01", "2024-03-02", "2024-03-03"]})  # fmt: skip
    report = analyse_tickets(frame, "text", kb_name="Cards", time_col="ts", policy=policy())
    download = pd.read_csv(io.BytesIO(report.scored_csv()), dtype=str)
    assert download["ticket_id"].tolist() == ["T-1", "T-3"]  # the empty ticket skipped, the ids still beside their texts
    assert download["text"].tolist() == ["how do I reset my pin", "where is my new card"]
    assert download["input_intent"].tolist() == ["pin", "card"]  # the file's own column, beside the model's intent
    assert "intent" in download.columns and "ts" not in download.columns  # the timestamp is already the analysis's
    assert all(len(p.split(".")[-1]) <= 4 for p in download["p_negative"])  # rounded as the confidence is


def test_a_question_asked_again_after_its_missing_answer_is_written_says_what_it_gets_now(db, models, monkeypatch) -> None:
    from core.settings import get_settings
    from core.support.assistant import interaction_log
    from core.support.kb import import_faq
    from core.views.customer_service import asked_again_text

    import_faq("Cards", FAQ, "question", "answer", "category")
    still = asked_again_text("Cards", ["What is the weather on Mars tomorrow?"], "Do you forecast the weather?")
    assert still.startswith("Asked again now, 'What is the weather on Mars tomorrow?' is still escalated (low similarity")
    import_faq("Cards", pd.DataFrame({"question": ["What is the weather on Mars tomorrow?"], "answer": ["We do not forecast it."]}),
               "question", "answer", None)  # fmt: skip
    group = ["What is the weather on Mars tomorrow?", "Recommend a good pizza place in Rome"]  # a group that mixes topics
    answered = asked_again_text("Cards", group, "What is the weather on Mars tomorrow?")
    assert answered.startswith("Asked again now, 'What is the weather on Mars tomorrow?' is answered with the new entry")
    assert answered.endswith(" Still escalated from the same group: 'Recommend a good pizza place in Rome'; where it asks "
                             "the same, add it to the entry as another way of asking (Knowledge bases tab).")  # fmt: skip
    assert "Still escalated" not in asked_again_text("Cards", group[:1], group[0])
    import_faq("Cards", pd.DataFrame({"question": ["My discount code does not work"], "answer": ["Codes are case-sensitive."]}),
               "question", "answer", None)  # fmt: skip
    monkeypatch.setenv("BEACON_SUPPORT_NEGATIVE_THRESHOLD", "0")  # every customer very negative: the tone alone escalates
    get_settings.cache_clear()
    upset = asked_again_text("Cards", ["My discount code does not work"], "My discount code does not work")
    assert upset == ("Asked again now, 'My discount code does not work' is still escalated (very negative sentiment): very "
                     "negative customers go to an agent whatever the FAQ holds; the entry answers calmer wordings of it.")  # fmt: skip
    assert interaction_log(10).empty  # a check, not a customer's question: nothing logged
