"""The one answer-or-escalate decision and the FAQ import rules (pure logic, no database, no model)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.support.decision import LOW_SIMILARITY, UNKNOWN_INTENT, VERY_NEGATIVE, Policy, answer_confidence, decide
from core.support.kb import FaqFileError, check_faq, read_faq_file, suggest_faq_columns
from core.support.retrieval import IndexEntry, KBIndex, answer_key, lexical_overlap
from core.support.tickets import TicketFileError, cluster_label, cluster_unanswered, prepare_tickets

POLICY = Policy(confidence_threshold=0.6, intent_threshold=0.3, negative_threshold=0.9)


def test_confident_match_is_answered() -> None:
    d = decide(0.85, 0.9, 0.1, POLICY)
    assert d.action == "answer" and d.reasons == [] and d.confidence == pytest.approx(0.85)


@pytest.mark.parametrize(
    ("similarity", "intent", "negative", "reasons"),
    [
        (0.4, 0.9, 0.1, [LOW_SIMILARITY]),
        (0.9, 0.1, 0.1, [UNKNOWN_INTENT]),
        (0.9, 0.9, 0.95, [VERY_NEGATIVE]),
        (0.2, 0.05, 0.99, [LOW_SIMILARITY, UNKNOWN_INTENT, VERY_NEGATIVE]),
        (None, 0.9, 0.1, ["empty knowledge base"]),
    ],
)
def test_escalation_reasons(similarity, intent, negative, reasons) -> None:
    d = decide(similarity, intent, negative, POLICY)
    assert d.escalate and d.reasons == reasons
    assert "escalate to an agent" in d.explanation()


def test_a_question_the_faq_holds_as_written_is_answered_whatever_the_intent_model_makes_of_it() -> None:
    # a shop's "Do you have a shop in Leeds?", asked as its entry is written, to the shipped banking intent model
    assert decide(1.0, 0.05, 0.1, POLICY).action == "answer" and answer_confidence(1.0, 0.05) == pytest.approx(1.0)
    assert decide(0.992, 0.05, 0.1, POLICY).reasons == []  # the same words, other punctuation
    assert decide(0.95, 0.05, 0.1, POLICY).reasons == [UNKNOWN_INTENT]  # another wording: the intent model still counts
    assert decide(1.0, 0.05, 0.99, POLICY).reasons == [VERY_NEGATIVE]  # an upset customer still goes to a person


def test_weak_intent_lowers_confidence_below_threshold() -> None:
    # similarity alone passes, but the intent model barely recognises the question: (0.7 + 0.35) / 2 < 0.6
    assert answer_confidence(0.7, 0.35) == pytest.approx(0.525)
    assert decide(0.7, 0.35, None, POLICY).reasons == [UNKNOWN_INTENT]
    assert decide(0.7, None, None, POLICY).action == "answer"  # no intent model: similarity only


def test_threshold_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_SUPPORT_CONFIDENCE_THRESHOLD", "0.95")
    get_settings.cache_clear()
    try:
        assert decide(0.9).reasons == [LOW_SIMILARITY]
    finally:
        monkeypatch.delenv("BEACON_SUPPORT_CONFIDENCE_THRESHOLD")
        get_settings.cache_clear()
    assert decide(0.9).action == "answer"


def _faq(text: str) -> pd.DataFrame:
    return read_faq_file(text.encode("utf-8"), "faq.csv")


def test_import_rules_on_a_crafted_file() -> None:
    frame = _faq(
        "question,answer,category\n"
        "How do I reset my PIN?,Use the app.,cards\n"  # line 2: ok
        "What is the card limit?,,cards\n"  # line 3: empty answer
        ",Orphan answer,cards\n"  # line 4: empty question
        "how do I reset my pin,Use the app.,cards\n"  # line 5: repeat of line 2 (case, punctuation)
        "Can I close my account?,Yes in settings.,accounts\n"  # line 6: conflicts with line 7
        "can i close my account,No you cannot.,accounts\n"  # line 7
        "Where is my card?,It arrives in 5 days.,cards\n"  # line 8: ok
    )
    check = check_faq(frame, "question", "answer", "category")
    assert [r["line"] for r in check.rows] == [2, 8]
    rejected = {r.line: (r.column, r.reason) for r in check.rejected}
    assert rejected[3] == ("answer", "empty answer")
    assert rejected[4] == ("question", "empty question")
    assert "repeated row" in rejected[5][1] and "line 2" in rejected[5][1]
    assert [f.line for f in check.flagged] == [6, 7]
    assert all("different answers on lines 6, 7" in f.reason for f in check.flagged)


def test_questions_without_a_word_are_rejected_naming_the_column() -> None:
    frame = _faq("id,headline\n1,Profit rose sharply\n2.5,Shares fell\n#42,Sales fell\nÜbersicht?,Alles gut.\n")
    check = check_faq(frame, "id", "headline")
    assert [r["question"] for r in check.rows] == ["Übersicht?"]  # letters beyond ASCII are words too
    assert [(r.line, r.column, r.question) for r in check.rejected] == [(2, "id", "1"), (3, "id", "2.5"), (4, "id", "#42")]
    assert check.rejected[0].reason == "no words in the question, only numbers or symbols: does column 'id' hold the questions?"


def test_one_answer_typed_in_two_styles_is_a_repeat_not_a_conflict() -> None:
    frame = _faq(
        "question,answer\n"
        'What are the fees?,"See the \u201cFees & Charges\u201d page."\n'  # curly quotes
        "what are the fees,See the Fees & Charges page\n"  # straight, no final full stop
        "what are the fees?,See the Fees page.\n"  # really different: review all three
        "Where is my card?,It arrives in 5 days.\n"
        "Where is my card,it ARRIVES in 5 days!\n"
    )
    check = check_faq(frame, "question", "answer")
    assert [f.line for f in check.flagged] == [2, 3, 4]
    assert [r["line"] for r in check.rows] == [5]
    assert [(r.line, "repeated row" in r.reason) for r in check.rejected] == [(6, True)]
    assert answer_key("See the \u201cFees & Charges\u201d page.") == answer_key("see the fees  & charges page")
    assert answer_key("Gebühren: siehe Seite") != answer_key("Gebuhren: siehe Seite")  # letters beyond ASCII count


def test_faq_and_ticket_problems_name_the_file_s_line_below_a_title() -> None:
    from core.scoring.reading import read_whole_table

    faq = read_whole_table(b"Bank FAQ export,\n\nquestion,answer\nWhere is my card?,\nHow do I pay?,By transfer.\n", "faq.csv")
    check = check_faq(faq, "question", "answer")
    assert [(r.line, r.reason) for r in check.rejected] == [(4, "empty answer")] and [r["line"] for r in check.rows] == [5]
    tickets = read_whole_table(b"Tickets week 48\nmessage,when\nhello,02/01/2024\nhi,yesterday\n,31/01/2024\n", "t.csv")
    kept, problems = prepare_tickets(tickets, "message", "when")
    assert [(p.line, p.column) for p in problems] == [(4, "when"), (5, "message")]
    assert kept["timestamp"].dt.strftime("%Y-%m-%d").tolist()[0] == "2024-01-02"  # day-first: 31/01/2024 shows the order


def test_column_picker_and_missing_columns() -> None:
    frame = _faq("Frage;Antwort\nWo ist meine Karte?;Unterwegs.\n")
    assert suggest_faq_columns(frame)[:2] == ("Frage", "Antwort")
    numbered = _faq("Nr;Frage;Antwort;Bereich\n1;Wo ist meine Karte?;Unterwegs.;Karten\n2;Gebühren?;Keine.;Konto\n")
    assert suggest_faq_columns(numbered)[:2] == ("Frage", "Antwort")  # not the row number as the questions
    with pytest.raises(FaqFileError, match="no answer column named 'answer'; columns are: "):
        check_faq(frame, "Frage", "answer")
    with pytest.raises(FaqFileError, match="empty"):
        read_faq_file(b"  \n", "empty.csv")
    with pytest.raises(FaqFileError, match=r"faq.csv: the file has a header row \(question, answer\) but no data rows"):
        read_faq_file(b"question,answer\n", "faq.csv")


def test_index_search_and_lexical_rerank() -> None:
    entries = [IndexEntry(1, "reset my pin", "A", ""), IndexEntry(2, "card limit", "B", ""), IndexEntry(3, "pin reset", "A", "")]
    matrix = np.eye(3, dtype=np.float32)
    vec = np.array([0.5, 0.6, 0.1], dtype=np.float32)
    plain = KBIndex(entries, matrix).search(vec, "how do I reset my pin", k=2)
    assert [m.entry.id for m in plain] == [2, 1]
    reranked = KBIndex(entries, matrix, rerank_weight=0.5).search(vec, "how do I reset my pin", k=3)
    assert [m.entry.id for m in reranked] == [1, 2]  # entry 3 has the same answer as entry 1: not repeated
    styled = [IndexEntry(1, "q1", "Call us.", ""), IndexEntry(2, "q2", "call us", ""), IndexEntry(3, "q3", "Write to us.", "")]
    found = KBIndex(styled, np.eye(3, dtype=np.float32)).search(np.array([0.9, 0.8, 0.1], dtype=np.float32), "q", k=3)
    assert [m.entry.id for m in found] == [1, 3]  # "call us" is the same answer as "Call us." in another style
    assert lexical_overlap("reset my PIN", "pin reset") == 1.0


def test_ticket_problems_name_line_and_column() -> None:
    frame = pd.read_csv(io.StringIO("message,when\nhello,2024-01-02\n,2024-01-03\nhi,yesterday\n"), dtype=str, keep_default_na=False)
    tickets, problems = prepare_tickets(frame, "message", "when")
    assert tickets["text"].tolist() == ["hello", "hi"]
    assert [(p.line, p.column) for p in problems] == [(3, "message"), (4, "when")]
    assert "'yesterday' is not a date" in problems[1].reason
    with pytest.raises(TicketFileError, match="no timestamp column named 'date'; columns are: message, when"):
        prepare_tickets(frame, "message", "date")


def test_clusters_group_similar_vectors() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    vectors = np.stack([a + 0.01 * rng.normal(size=16) for _ in range(4)] + [b + 0.01 * rng.normal(size=16) for _ in range(2)])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = ["refund refund late"] * 2 + ["Refund  refund late", "where is my refund"] + ["crypto wallet", "crypto"]
    clusters = cluster_unanswered(texts, vectors.astype(np.float32))
    assert clusters["size"].tolist() == [4, 2]
    examples = [" ".join(e.casefold().split()) for e in clusters["examples"].iloc[0].split(" | ")]
    assert sorted(examples) == ["refund refund late", "where is my refund"]  # its wordings, not one message repeated
    assert "refund" in clusters["label"].iloc[0] and cluster_label(["crypto wallet"]) == "crypto, wallet"


def test_cluster_names_are_the_words_that_set_a_group_apart() -> None:
    from core.support.tickets import cluster_labels

    groups = [
        ["my card didn't arrive", "the card has not arrived", "card still not arrived", "new card not arrived"],
        ["my card was charged twice", "card charged twice for one payment", "double charge on my card"],
        ["card pin blocked", "I don't know my card pin"],
    ]
    names = cluster_labels(groups, top=2)
    assert names[0].split(", ")[0] == "arrived" and "charged" in names[1] and names[2].startswith("pin")
    assert not [name for name in names if name.startswith("card")]  # the most frequent word, but shared by every group
    assert not [w for name in cluster_labels(groups, top=5) for w in name.split(", ") if w in {"t", "didn", "don"}]  # contractions
    assert cluster_labels([["card card card"]])[0] == "card"  # one group: its most frequent words
    upset = ["This is the third time my order is late, absolutely useless service!!!", "hi, when will my parcel arrive?"]
    assert cluster_labels([upset], top=3)[0] == "arrive, late, order"  # not "absolutely, arrive, hi"
    relieved = ["Phew, my account has been upgraded back. What a relief!", "Wow, I'm back in my account, impressed"]
    assert "wow" not in cluster_labels([relieved], top=3)[0] and "impressed" not in cluster_labels([relieved], top=3)[0]


def test_intent_confidence_is_weighed_relative_to_the_models_confidence_on_the_faq():
    from core.support.decision import relative_intent_confidence

    assert relative_intent_confidence(0.2, 0.4) == pytest.approx(0.5)  # half as sure as of the FAQ's own questions
    assert relative_intent_confidence(0.5, 0.4) == 1.0  # surer than of those: no doubt at all
    assert relative_intent_confidence(0.7, None) == 0.7 and relative_intent_confidence(0.7, 0.0) == 0.7  # no reference
    assert relative_intent_confidence(None, 0.4) is None  # no intent model


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("Where is my parcel??", "Where is my parcel?"),
        ("where is my refund??? hello?!", "where is my refund? hello?"),
        ("Why?!?! Nobody answers", "Why? Nobody answers"),
        ("This is the third time I've asked!!!", "This is the third time I've asked!!!"),  # anger: left as typed
        ("Is it free? Thanks", "Is it free? Thanks"),
    ],
)
def test_the_tone_is_read_with_a_run_of_question_marks_as_one(typed: str, read: str) -> None:
    from core.support.assistant import tone_text

    assert tone_text(typed) == read
