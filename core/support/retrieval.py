"""Question embeddings and the per-version FAQ index (cosine over normalised mean-pooled MiniLM vectors).

Design choice (documented in README "Customer service"): retrieval embeds with the *base* encoder
(all-MiniLM-L6-v2, a sentence-similarity model), not with the intent model's encoder. The shipped intent
model is a LoRA merged into its own encoder, tuned for 77-way classification; embedding the FAQ with it would
tie every knowledge-base version to one intent model version (a promotion in Model Studio would force
re-embedding every KB). So one base-encoder pass per question serves retrieval, and it also serves intent and
sentiment whenever their active model is head-only (a frozen base encoder + linear head): their head is
applied to the same pooled vector (``TaskScorer``). A LoRA/full model needs its own pass.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.nlp.base_model import BASE_MODEL_NAME
from core.nlp.registry import find_active, load_version

ENCODER_NAME = BASE_MODEL_NAME
_STOPWORDS = frozenset(
    "a an the i me my we our you your it its is are was were be been am do does did to of in on at for from by "
    "with and or not no can could would should will how what when where why which who this that there here "
    "have has had get got please just so if as about into".split()
)
_WORD = re.compile(r"[a-z0-9]+")
_ANY_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class TaskScores:
    task: str
    version: int | None
    labels: list[str]
    probabilities: np.ndarray  # (n, len(labels))
    shared_pass: bool  # True when computed from the retrieval pass (head-only model)


def score_task(task: str, texts: Sequence[str], pooled: np.ndarray) -> TaskScores | None:
    """Class probabilities of the task's active model, or None when the task has no active model. A head-only
    model is applied to ``pooled`` (the retrieval pass); other models run their own pass."""
    info = find_active(task)
    if info is None:
        return None
    clf = load_version(info)
    if info.method == "head":
        head = clf.model.classifier
        weight = head.weight.detach().float().cpu().numpy()
        bias = head.bias.detach().float().cpu().numpy()
        logits = pooled @ weight.T + bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return TaskScores(task, info.version, list(clf.labels), probs.astype(np.float32), True)
    return TaskScores(task, info.version, list(clf.labels), clf.predict_proba(list(texts)), False)


def content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS}


def lexical_overlap(a: str, b: str) -> float:
    """Jaccard overlap of content words (0..1)."""
    wa, wb = content_words(a), content_words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def answer_key(answer: str) -> str:
    """What makes two FAQ answers the same answer: only their words count, not case, curly or straight
    quotes, punctuation or spacing (FAQ exports often hold one answer typed twice in different styles)."""
    return " ".join(_ANY_WORD.findall(unicodedata.normalize("NFKC", answer).casefold()))


@dataclass(frozen=True)
class IndexEntry:
    id: int
    question: str
    answer: str
    category: str


@dataclass(frozen=True)
class Match:
    entry: IndexEntry
    similarity: float  # cosine
    score: float  # ranking score (cosine + re-ranking bonus)


class KBIndex:
    """The entries of one knowledge-base version and their normalised question vectors (one row per entry; an
    empty index has a (0, embedding size) matrix). Never changed after it is built: a cached index is shared."""

    def __init__(self, entries: list[IndexEntry], matrix: np.ndarray, rerank_weight: float = 0.0) -> None:
        self.entries = entries
        self.matrix = matrix.astype(np.float32, copy=False)
        self.rerank_weight = rerank_weight

    def with_rerank_weight(self, rerank_weight: float) -> KBIndex:
        """The same entries and vectors (shared, not copied) with another re-ranking weight."""
        return KBIndex(self.entries, self.matrix, rerank_weight)

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, vector: np.ndarray, question: str, k: int = 3, candidates: int = 10) -> list[Match]:
        """The ``k`` best entries for one normalised question vector (cosine; top ``candidates`` re-ranked by
        lexical overlap when ``rerank_weight`` > 0). The same answer (``answer_key``) never appears twice."""
        if not self.entries:
            return []
        sims = self.matrix @ vector
        top = np.argsort(-sims)[: max(candidates, k * 3)]
        scored = [
            (float(sims[i]) + (self.rerank_weight * lexical_overlap(question, self.entries[i].question) if self.rerank_weight else 0.0), i)
            for i in top
        ]
        scored.sort(key=lambda pair: -pair[0])
        out: list[Match] = []
        seen_answers: set[str] = set()
        for score, i in scored:
            entry = self.entries[i]
            key = answer_key(entry.answer)
            if key in seen_answers:
                continue
            seen_answers.add(key)
            out.append(Match(entry, float(sims[i]), score))
            if len(out) == k:
                break
        return out
