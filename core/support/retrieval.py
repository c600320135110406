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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.nlp.base_model import BASE_MODEL_NAME
from core.nlp.registry import find_active, load_version

ENCODER_NAME = BASE_MODEL_NAME
RETRIEVAL_BASE = "fast"  # the base encoder of get_sentence_encoder() that embeds questions for retrieval
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
    model on the retrieval base is applied to ``pooled`` (the retrieval pass); other models run their own pass."""
    info = find_active(task)
    if info is None:
        return None
    clf = load_version(info)
    if info.method == "head" and info.base == RETRIEVAL_BASE:  # a head on another base needs its own encoder's pass
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


def bm25_tokens(text: str) -> list[str]:
    """Lower-case content words (stop words dropped), repeats kept: what BM25 counts."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS]


class BM25:
    """Okapi BM25 over a fixed list of documents (a sparse documents x terms weight matrix, built once).
    ``scores(query)`` sums, for each distinct query term, ``idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen))``."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.vocabulary: dict[str, int] = {}
        rows, cols, counts = [], [], []
        lengths = np.zeros(len(documents), dtype=np.float32)
        for d, text in enumerate(documents):
            tokens = bm25_tokens(text)
            lengths[d] = len(tokens)
            tf: dict[int, int] = {}
            for t in tokens:
                j = self.vocabulary.setdefault(t, len(self.vocabulary))
                tf[j] = tf.get(j, 0) + 1
            rows += [d] * len(tf)
            cols += list(tf)
            counts += list(tf.values())
        n, shape = len(documents), (len(documents), max(1, len(self.vocabulary)))
        tf_matrix = sparse.csr_matrix((np.array(counts, np.float32), (rows, cols)), shape=shape)
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=shape[1]).astype(np.float32)
        idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()) if n else 1.0, 1e-6))
        coo = tf_matrix.tocoo()
        weights = idf[coo.col] * coo.data * (k1 + 1) / (coo.data + norm[coo.row])
        self.weights = sparse.csc_matrix((weights.astype(np.float32), (coo.row, coo.col)), shape=shape)

    def scores(self, query: str) -> np.ndarray:
        """One BM25 score per document (0 where no query term occurs)."""
        terms = sorted({self.vocabulary[t] for t in bm25_tokens(query) if t in self.vocabulary})
        if not terms:
            return np.zeros(self.weights.shape[0], dtype=np.float32)
        return np.asarray(self.weights[:, terms].sum(axis=1)).ravel()


def fuse(similarities: np.ndarray, lexical: np.ndarray, lexical_weight: float) -> np.ndarray:
    """The hybrid ranking score: cosine similarity plus ``lexical_weight`` times the BM25 score scaled to 0..1 by
    the best BM25 score for this question (so the weight means the same on every knowledge base)."""
    if not lexical_weight:
        return similarities
    top = float(lexical.max()) if lexical.size else 0.0
    return similarities + (lexical_weight * lexical / top if top > 0 else 0.0)


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
    score: float  # ranking score (cosine + lexical bonus + re-ranking bonus)
    lexical: float = 0.0  # BM25 score over the entry's question and answer, scaled 0..1 by the best for this question


class KBIndex:
    """The entries of one knowledge-base version and their normalised question vectors (one row per entry; an
    empty index has a (0, embedding size) matrix). Never changed after it is built: a cached index is shared."""

    def __init__(self, entries: list[IndexEntry], matrix: np.ndarray, rerank_weight: float = 0.0, lexical_weight: float = 0.0,
                 _derived: dict | None = None) -> None:  # fmt: skip
        self.entries = entries
        self.matrix = matrix.astype(np.float32, copy=False)
        self.rerank_weight = rerank_weight
        self.lexical_weight = lexical_weight
        self._derived = _derived if _derived is not None else {}  # see ``derived``: shared by the copies of this index

    def with_rerank_weight(self, rerank_weight: float, lexical_weight: float | None = None) -> KBIndex:
        """The same entries, vectors and derived values (BM25, intent references; shared, not copied) with other weights."""
        lexical = self.lexical_weight if lexical_weight is None else lexical_weight
        return KBIndex(self.entries, self.matrix, rerank_weight, lexical, self._derived)

    def derived(self, key: object, build: Callable[[], object]) -> object:
        """A value computed from the entries (``build``), once per index under ``key``: the index is cached per
        knowledge-base version (``core.support.kb.load_kb``), so a new version computes it again."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]

    def bm25(self) -> BM25:
        """BM25 over each entry's question (counted twice: it is what a customer's wording resembles) and answer."""
        return self.derived("bm25", lambda: BM25([f"{e.question} {e.question} {e.answer}" for e in self.entries]))

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, vector: np.ndarray, question: str, k: int = 3, candidates: int = 10) -> list[Match]:
        """The ``k`` best entries for one normalised question vector (cosine; top ``candidates`` re-ranked by
        lexical overlap when ``rerank_weight`` > 0). The same answer (``answer_key``) never appears twice."""
        if not self.entries:
            return []
        sims = self.matrix @ vector
        lexical = self.bm25().scores(question) if self.lexical_weight else np.zeros_like(sims)
        top_lexical = float(lexical.max()) if lexical.size and lexical.max() > 0 else 1.0
        hybrid = fuse(sims, lexical, self.lexical_weight)
        top = np.argsort(-hybrid)[: max(candidates, k * 3)]
        rerank = self.rerank_weight
        scored = [(float(hybrid[i]) + (rerank * lexical_overlap(question, self.entries[i].question) if rerank else 0.0), i) for i in top]
        scored.sort(key=lambda pair: -pair[0])
        out: list[Match] = []
        seen_answers: set[str] = set()
        for score, i in scored:
            entry = self.entries[i]
            key = answer_key(entry.answer)
            if key in seen_answers:
                continue
            seen_answers.add(key)
            out.append(Match(entry, float(sims[i]), score, float(lexical[i]) / top_lexical))
            if len(out) == k:
                break
        return out
