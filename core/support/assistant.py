"""Ask a question: retrieve from the KB, detect intent and sentiment, decide, log (PII-masked), feedback."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
import pandas as pd

from core.auth import requires
from core.nlp.registry import find_active
from core.nlp.sentence_encoder import get_sentence_encoder, normalise
from core.privacy import mask_personal_data
from core.repositories import knowledge_bases as kb_store
from core.settings import get_settings
from core.support.decision import Decision, Policy, decide, relative_intent_confidence
from core.support.kb import load_kb, policy_for
from core.support.retrieval import KBIndex, Match, TaskScores, score_task
from core.wording import count_of

INTENT_TASK = "intent"
# Lexical re-ranking of the top-10 cosine matches (Jaccard of content words): benchmarks/support.py measures
# accuracy@1 with and without it on the customer FAQ; the weight below is the measured better one.
RERANK_WEIGHT = 0.2
MAX_QUESTION_CHARS = 2000


def sentiment_task() -> str:
    """A ``customer_sentiment`` model when one is active; otherwise the active ``sentiment`` model, which is
    trained on *financial news* (not customer messages) and is used as the best available stand-in. Train a
    ``customer_sentiment`` task in Model Studio to replace it."""
    return "customer_sentiment" if find_active("customer_sentiment") else "sentiment"


_QUESTION_MARKS = re.compile(r"\?[?!]+")


def tone_text(text: str) -> str:
    """The text the customer's tone is read from: a run of question marks ("??", "???", "?!") counts as one. The
    shipped customer_sentiment model read "Where is my parcel??" as very upset (P(negative) 0.99, "?" 0.00: its
    templates give doubled marks to upset customers only), and the desk escalated a plain question unanswered; the
    words, not the marks, decide. Runs of "!" are left as typed."""
    return _QUESTION_MARKS.sub("?", text)


@dataclass
class Analysis:
    """Scores for a batch of texts against one KB index."""

    matches: list[list[Match]]
    intent: TaskScores | None
    sentiment: TaskScores | None
    decisions: list[Decision]
    vectors: np.ndarray
    intent_reference: float | None = None  # how sure the intent model is of the knowledge base's own questions

    def intent_evidence(self, i: int) -> float | None:
        """The intent model's top probability for text ``i`` relative to ``intent_reference`` (at most 1): what
        ``decide`` weighs (``core.support.decision.relative_intent_confidence``)."""
        return relative_intent_confidence(self.intent_of(i)[1], self.intent_reference)

    def intent_of(self, i: int) -> tuple[str | None, float | None]:
        if self.intent is None:
            return None, None
        row = self.intent.probabilities[i]
        return self.intent.labels[int(row.argmax())], float(row.max())

    def sentiment_of(self, i: int) -> tuple[str | None, float | None]:
        if self.sentiment is None:
            return None, None
        row = self.sentiment.probabilities[i]
        labels = self.sentiment.labels
        negative = float(row[labels.index("negative")]) if "negative" in labels else None
        return labels[int(row.argmax())], negative

    @staticmethod
    def joined(parts: list[Analysis]) -> Analysis:
        """One analysis of the chunks' texts, in order."""
        return Analysis(
            [m for part in parts for m in part.matches], _joined_scores([p.intent for p in parts]),
            _joined_scores([p.sentiment for p in parts]), [d for part in parts for d in part.decisions],
            np.concatenate([part.vectors for part in parts]), parts[0].intent_reference,
        )

    def reordered(self, positions: np.ndarray) -> Analysis:
        """The same analysis with text ``positions[i]`` as text ``i``."""
        pick = positions.tolist()

        def scores(task: TaskScores | None) -> TaskScores | None:
            return None if task is None else replace(task, probabilities=task.probabilities[positions])

        return Analysis([self.matches[i] for i in pick], scores(self.intent), scores(self.sentiment),
                        [self.decisions[i] for i in pick], self.vectors[positions], self.intent_reference)  # fmt: skip


class ModelChangedError(LookupError):
    """The active intent or sentiment model changed between the chunks of one batch (callers that handle a
    missing model handle this too)."""


def _joined_scores(parts: list[TaskScores | None]) -> TaskScores | None:
    if len({None if p is None else (p.task, p.version) for p in parts}) > 1:
        raise ModelChangedError("a model was promoted while the texts were scored; run it again")
    if parts[0] is None:
        return None
    return replace(parts[0], probabilities=np.concatenate([p.probabilities for p in parts]))


ANALYSE_CHUNK = 256  # texts per encoder pass when a batch reports progress


def analyse(texts: Sequence[str], index: KBIndex | None, policy: Policy | None = None, k: int = 3,
            progress: Callable[[int], None] | None = None) -> Analysis:  # fmt: skip
    """Retrieval, intent, sentiment and the decision for each text, in chunks of ``ANALYSE_CHUNK``; ``progress`` is
    called with the number of texts done after each chunk."""
    policy = policy or Policy.from_settings()
    texts = list(texts)
    if len(texts) <= ANALYSE_CHUNK:
        analysis = _analyse_chunk(texts, index, policy, k)
        if progress:
            progress(len(texts))
        return analysis
    # shortest first, so each chunk's texts are of a length and the model passes pad little (as one pass would)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    parts = []
    for start in range(0, len(texts), ANALYSE_CHUNK):
        parts.append(_analyse_chunk([texts[i] for i in order[start:start + ANALYSE_CHUNK]], index, policy, k))
        if progress:
            progress(min(len(texts), start + ANALYSE_CHUNK))
    return Analysis.joined(parts).reordered(np.argsort(order))


def _analyse_chunk(texts: list[str], index: KBIndex | None, policy: Policy, k: int) -> Analysis:
    pooled = get_sentence_encoder().pooled(texts)
    vectors = normalise(pooled)
    intent = score_task(INTENT_TASK, texts, pooled)
    tone_texts = [tone_text(t) for t in texts]
    sentiment = score_task(sentiment_task(), tone_texts, _pooled_again(tone_texts, texts, pooled))
    reference = intent_reference(index, intent.version) if intent is not None and index is not None else None
    analysis = Analysis([], intent, sentiment, [], vectors, reference)
    for i, text in enumerate(texts):
        matches = index.search(vectors[i], text, k=k) if index is not None else []
        analysis.matches.append(matches)
        _, negative = analysis.sentiment_of(i)
        decision = decide(matches[0].similarity if matches else None, analysis.intent_evidence(i), negative, policy)
        analysis.decisions.append(decision)
    return analysis


def _pooled_again(changed_texts: list[str], texts: list[str], pooled: np.ndarray) -> np.ndarray:
    """``pooled`` with the rows of the texts that ``changed_texts`` changed encoded again (a head-only model reads
    the retrieval pass's vectors)."""
    changed = [i for i, (new, old) in enumerate(zip(changed_texts, texts, strict=True)) if new != old]
    if not changed:
        return pooled
    out = pooled.copy()
    out[changed] = get_sentence_encoder().pooled([changed_texts[i] for i in changed])
    return out


REFERENCE_SAMPLE = 200  # knowledge-base questions the intent reference is measured on (a median: a sample suffices)


def intent_reference(index: KBIndex, intent_version: int | None) -> float | None:
    """The median top probability the active intent model gives the knowledge base's own questions (up to
    ``REFERENCE_SAMPLE`` of them, evenly spread), measured once per knowledge-base version (the index) and intent
    version. The shipped bank intent model is near 1 on a bank FAQ (and, overconfident, on others); a team's own
    few-class model may sit near 0.4 on questions it places right, which the raw probability would count as doubt."""
    if not index.entries:
        return None

    def measure() -> float | None:
        step = max(1, len(index.entries) // REFERENCE_SAMPLE)
        sample = [e.question for e in index.entries[::step][:REFERENCE_SAMPLE]]
        scores = score_task(INTENT_TASK, sample, get_sentence_encoder().pooled(sample))
        return None if scores is None else float(np.median(scores.probabilities.max(axis=1)))

    return index.derived(("intent reference", intent_version), measure)


ESCALATE_TEXT = "Escalate to an agent."


@dataclass
class AskResult:
    kb: str
    kb_version: int | None
    question: str  # as logged (personal data masked)
    decision: Decision
    answer: str  # the FAQ answer, or the escalation text
    matched_question: str
    similarity: float
    category: str
    intent: str | None
    intent_confidence: float | None
    intent_model_version: int | None
    sentiment: str | None
    sentiment_negative: float | None
    sentiment_task: str
    alternatives: list[dict] = field(default_factory=list)
    interaction_id: int | None = None
    intent_reference: float | None = None  # the intent model's median top probability on the knowledge base's questions
    matched_answer: str = ""  # the best entry's answer, also when it was not given (for the agent taking the question)

    def as_dict(self) -> dict:
        return {
            "kb": self.kb, "kb_version": self.kb_version, "question": self.question,
            "action": self.decision.action, "reasons": self.decision.reasons, "confidence": self.decision.confidence,
            "answer": self.answer, "matched_question": self.matched_question, "similarity": round(self.similarity, 4),
            "category": self.category, "intent": self.intent,
            "intent_confidence": None if self.intent_confidence is None else round(self.intent_confidence, 4),
            "intent_model_version": self.intent_model_version, "sentiment": self.sentiment,
            "sentiment_negative": None if self.sentiment_negative is None else round(self.sentiment_negative, 4),
            "sentiment_task": self.sentiment_task, "alternatives": self.alternatives, "interaction_id": self.interaction_id,
            "intent_reference": None if self.intent_reference is None else round(self.intent_reference, 4),
            "matched_answer": self.matched_answer,
        }  # fmt: skip


@requires("viewer", "ask the assistant")
def ask(kb_name: str, question: str, source: str = "ask", policy: Policy | None = None, log: bool = True) -> AskResult:
    """Answer ``question`` from knowledge base ``kb_name`` or escalate; logged with personal data masked. Without a
    ``policy``: the base's team threshold when one is set, else the settings' operating point."""
    question = " ".join((question or "").split())
    if not question:
        raise ValueError("the question is empty")
    question = question[:MAX_QUESTION_CHARS]
    kb = load_kb(kb_name, RERANK_WEIGHT)
    policy = policy or policy_for(kb_name)  # none chosen: the base's team threshold
    analysis = analyse([question], kb.index, policy)
    decision = analysis.decisions[0]
    matches = analysis.matches[0]
    best = matches[0] if matches else None
    intent, intent_conf = analysis.intent_of(0)
    sentiment, negative = analysis.sentiment_of(0)
    result = AskResult(
        kb=kb.name, kb_version=kb.version, question=mask_personal_data(question), decision=decision,
        answer=best.entry.answer if best and not decision.escalate else ESCALATE_TEXT,
        matched_question=best.entry.question if best else "", similarity=best.similarity if best else 0.0,
        category=best.entry.category if best else "", intent=intent, intent_confidence=intent_conf,
        intent_model_version=analysis.intent.version if analysis.intent else None, sentiment=sentiment,
        sentiment_negative=negative, sentiment_task=analysis.sentiment.task if analysis.sentiment else sentiment_task(),
        alternatives=[{"question": m.entry.question, "answer": m.entry.answer, "similarity": round(m.similarity, 4)} for m in matches[1:3]],
        intent_reference=analysis.intent_reference, matched_answer=best.entry.answer if best else "",
    )  # fmt: skip
    if log:
        result.interaction_id = kb_store.log_question({
            "kb_id": kb.id, "kb_version": kb.version, "source": source, "question": result.question, "action": decision.action,
            "reasons": list(decision.reasons), "confidence": decision.confidence, "similarity": result.similarity,
            "entry_id": best.entry.id if best else None, "matched_question": result.matched_question, "intent": intent,
            "intent_confidence": intent_conf, "intent_model_version": result.intent_model_version, "sentiment": sentiment,
            "sentiment_negative": negative, "alternatives": result.alternatives, "policy": policy.describe(),
        })  # fmt: skip
    return result


@dataclass(frozen=True)
class AskedNow:
    """What a knowledge base does with a question now: the FAQ question of the entry it answers with, or None where it
    escalates, and then why (``Decision.reasons``)."""

    entry: str | None
    reasons: tuple[str, ...] = ()


@requires("viewer", "ask the assistant")
def answered_now(kb_name: str, questions: Sequence[str]) -> list[AskedNow]:
    """Each question as the knowledge base would take it now (at its team threshold): asked together, not logged. The
    Log tab marks the groups of escalated questions that an entry written since answers."""
    if not questions:
        return []
    kb, policy = load_kb(kb_name, RERANK_WEIGHT), policy_for(kb_name)

    def answer() -> list[AskedNow]:
        analysis = analyse(list(questions), kb.index, policy)
        return [AskedNow(None, tuple(d.reasons)) if d.escalate or not m else AskedNow(m[0].entry.question)
                for d, m in zip(analysis.decisions, analysis.matches, strict=True)]  # fmt: skip

    # once per knowledge-base version (the index), threshold, models and questions: the Log tab reruns on every click
    models = tuple(getattr(find_active(task), "version", None) for task in (INTENT_TASK, sentiment_task()))
    return kb.index.derived(("answered now", policy.describe(), models, tuple(questions)), answer)


FEEDBACK_WORDS = {True: "helpful", False: "not helpful"}  # words, not emoji: a table, a CSV and every browser show them


@requires("viewer", "give feedback on answers")
def record_feedback(interaction_id: int, helpful: bool) -> None:
    """Store thumbs up (``helpful``) or down on a logged answer; a second click replaces the first. LookupError, in
    words, when the question has left the log meanwhile (``BEACON_KEEP_QUESTIONS_DAYS``)."""
    try:
        kb_store.set_feedback(interaction_id, helpful)
    except LookupError:
        days = get_settings().keep_questions_days
        kept = f" (questions are kept for {count_of(days, 'day')})" if days else ""
        raise LookupError(f"The feedback was not stored: this question is no longer in the log{kept}.") from None


LOG_COLUMNS = ["asked_at", "kb", "question", "action", "reasons", "confidence", "policy", "matched_question", "intent",
               "sentiment", "feedback", "source"]  # fmt: skip


def interaction_log(limit: int = 200, kb_name: str | None = None, since: datetime | None = None) -> pd.DataFrame:
    """The latest logged questions (masked), newest first; only those asked at or after ``since`` (UTC) when given."""
    rows = kb_store.logged_questions(limit, kb_name, since)
    return pd.DataFrame(
        [{"asked_at": r.created_at, "kb": name, "question": r.question, "action": r.action, "reasons": ", ".join(r.reasons),
          "confidence": r.confidence, "policy": r.policy, "matched_question": r.matched_question, "intent": r.intent,
          "sentiment": r.sentiment, "feedback": FEEDBACK_WORDS[r.feedback > 0] if r.feedback else "", "source": r.source}
         for r, name in rows],
        columns=LOG_COLUMNS,
    )  # fmt: skip
