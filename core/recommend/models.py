"""Rankers. Each is fitted on a binary user × item training matrix and scores users from their history
rows in one matrix product (no loop over users or items)."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import lapack

MODEL_LABELS = {
    "popularity": "Popularity",
    "ease": "EASE (collaborative)",
    "itemknn": "Item-kNN (collaborative)",
    "text": "Item text (MiniLM)",
    "text_tuned": "Item text tuned on behaviour",
    "hybrid": "Hybrid (EASE + text)",
}


def _column_counts(train: sparse.csr_matrix) -> np.ndarray:
    return np.asarray(train.sum(axis=0)).ravel()


def _top_k_columns(sim: np.ndarray, k: int) -> np.ndarray:
    """Keep the k largest entries of each column of a dense similarity matrix, zero the rest."""
    if k >= sim.shape[0]:
        return sim
    cut = np.argpartition(-sim, k, axis=0)[:k]
    kept = np.zeros_like(sim)
    np.put_along_axis(kept, cut, np.take_along_axis(sim, cut, axis=0), axis=0)
    return kept


def _spd_inverse(matrix: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix through its Cholesky factor (float32 LAPACK)."""
    if matrix.size == 0:
        return matrix
    factor, info = lapack.spotrf(matrix, lower=False, clean=True, overwrite_a=True)
    if info == 0:
        inverse, info = lapack.spotri(factor, lower=False, overwrite_c=True)
    if info != 0:  # not positive definite in float32: fall back to a general inverse
        return np.linalg.inv(matrix.astype(np.float64)).astype(np.float32)
    upper = np.triu(inverse)
    return upper + np.triu(inverse, 1).T


class Ranker:
    name = ""

    def fit(self, train: sparse.csr_matrix) -> Ranker:
        raise NotImplementedError

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        """(rows, n_items) scores; higher is better. Seen items are masked by the caller."""
        raise NotImplementedError


class Popularity(Ranker):
    name = "popularity"

    def fit(self, train: sparse.csr_matrix) -> Popularity:
        self.counts = _column_counts(train).astype(np.float32)
        return self

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (history.shape[0], len(self.counts))).copy()


class EASE(Ranker):
    """Embarrassingly Shallow Autoencoder (Steck 2019): B = I - P·diagMat(1/diag(P)), P = (XᵀX + λI)⁻¹,
    over items with at least ``min_count`` training interactions (at most ``max_items`` of them)."""

    name = "ease"

    def __init__(self, l2: float = 300.0, min_count: int = 2, max_items: int = 12000) -> None:
        self.l2, self.min_count, self.max_items = l2, min_count, max_items

    def fit(self, train: sparse.csr_matrix) -> EASE:
        counts = _column_counts(train)
        active = np.flatnonzero(counts >= self.min_count)
        if len(active) > self.max_items:
            active = np.sort(active[np.argsort(-counts[active], kind="stable")[: self.max_items]])
        self.n_items, self.active = train.shape[1], active
        x = train[:, active]
        gram = (x.T @ x).toarray().astype(np.float32)
        gram[np.diag_indices_from(gram)] += self.l2
        p = _spd_inverse(gram)
        b = p / -np.diag(p)
        b[np.diag_indices_from(b)] = 0.0
        self.weights = b.astype(np.float32)
        return self

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        out = np.zeros((history.shape[0], self.n_items), dtype=np.float32)
        if len(self.active):
            out[:, self.active] = np.asarray(history[:, self.active] @ self.weights)
        return out


class ItemKNN(Ranker):
    """Item-based k nearest neighbours on cosine similarity of the item columns."""

    name = "itemknn"

    def __init__(self, neighbours: int = 100, min_count: int = 1, max_items: int = 12000) -> None:
        self.k, self.min_count, self.max_items = neighbours, min_count, max_items

    def similarity(self, train: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        counts = _column_counts(train)
        active = np.flatnonzero(counts >= self.min_count)
        if len(active) > self.max_items:
            active = np.sort(active[np.argsort(-counts[active], kind="stable")[: self.max_items]])
        x = train[:, active]
        norms = np.sqrt(np.maximum(counts[active], 1e-9)).astype(np.float32)
        sim = (x.T @ x).toarray().astype(np.float32) / norms[:, None] / norms[None, :]
        sim[np.diag_indices_from(sim)] = 0.0
        return active, sim

    def fit(self, train: sparse.csr_matrix) -> ItemKNN:
        self.n_items = train.shape[1]
        self.active, sim = self.similarity(train)
        self.weights = sparse.csr_matrix(_top_k_columns(sim, self.k))
        return self

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        out = np.zeros((history.shape[0], self.n_items), dtype=np.float32)
        if len(self.active):
            out[:, self.active] = (history[:, self.active] @ self.weights).toarray()
        return out


class TextKNN(Ranker):
    """Item-text nearest neighbours: each item keeps its ``neighbours`` most similar items by the cosine of
    their MiniLM embeddings; a user's score for an item sums its similarity to the items in their history.
    Needs no interactions for the scored item, so it ranks brand-new (cold-start) items."""

    name = "text"

    def __init__(self, embeddings: np.ndarray, neighbours: int = 50, chunk: int = 2048, name: str = "text") -> None:
        self.embeddings = embeddings.astype(np.float32)
        self.k, self.chunk, self.name = neighbours, chunk, name

    def fit(self, train: sparse.csr_matrix | None = None) -> TextKNN:
        n = len(self.embeddings)
        k = min(self.k, n - 1) if n > 1 else 0
        rows, cols, vals = [], [], []
        for start in range(0, n, self.chunk):
            sims = self.embeddings @ self.embeddings[start : start + self.chunk].T  # (n, chunk): column j = item start+j
            sims[start + np.arange(sims.shape[1]), np.arange(sims.shape[1])] = -np.inf
            if k:
                cut = np.argpartition(-sims, k - 1, axis=0)[:k]
                rows.append(cut.ravel())
                cols.append(np.tile(np.arange(start, start + sims.shape[1]), k))
                vals.append(np.maximum(np.take_along_axis(sims, cut, axis=0).ravel(), 0.0))
        if rows:
            self.weights = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
        else:
            self.weights = sparse.csr_matrix((n, n), dtype=np.float32)
        return self

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        return np.asarray((history @ self.weights).toarray(), dtype=np.float32)

    def score_new_item(self, vector: np.ndarray, history: sparse.csr_matrix) -> np.ndarray:
        """Scores of a new item (not in the catalogue) for each history row: similarity to its k nearest items."""
        sims = self.embeddings @ vector.astype(np.float32)
        k = min(self.k, len(sims))
        keep = np.argpartition(-sims, k - 1)[:k]
        weights = np.zeros_like(sims)
        weights[keep] = np.maximum(sims[keep], 0.0)
        return np.asarray(history @ weights).ravel()


DEFAULT_TEXT_WEIGHT = 0.2  # the hybrid's text weight when no evaluation has chosen one
MIN_SERVING_TEXT_WEIGHT = 0.05  # a served hybrid keeps some text, or items nobody has interacted with would all score 0


def serving_text_weight(chosen: float | None) -> float:
    """The text weight a fitted recommender serves with: the one an evaluation chose (``None``: the default), at
    least ``MIN_SERVING_TEXT_WEIGHT``. Evaluation itself compares the weights as chosen, 0 included."""
    return DEFAULT_TEXT_WEIGHT if chosen is None else max(chosen, MIN_SERVING_TEXT_WEIGHT)


def _row_scale(scores: np.ndarray) -> np.ndarray:
    """Scale each row to a maximum absolute value of 1 so two rankers' scores can be blended."""
    top = np.abs(scores).max(axis=1, keepdims=True)
    return scores / np.where(top > 0, top, 1.0)


class Hybrid(Ranker):
    """A blend of a collaborative ranker and the text ranker: (1 - w)·cf + w·text on per-user scaled scores.
    Items without training interactions get their score from text alone: from ``cold_text`` (the text model
    tuned on behaviour) when given. The plain text model stays in the blend for the other items: it adds what
    behaviour does not already say (the tuned one measured worse there, benchmarks/results/recommend.json)."""

    name = "hybrid"

    def __init__(self, cf: Ranker, text: TextKNN, text_weight: float = DEFAULT_TEXT_WEIGHT, cold_text: TextKNN | None = None) -> None:
        self.cf, self.text, self.text_weight, self.cold_text = cf, text, text_weight, cold_text
        self.unseen = np.zeros(0, dtype=bool)

    def fit(self, train: sparse.csr_matrix) -> Hybrid:
        """Note which items have no training interactions; the parts are fitted by the caller (shared with
        the single-model rows)."""
        self.unseen = _column_counts(train) == 0
        return self

    def blend(self, cf: np.ndarray, text: np.ndarray, weight: float | None = None) -> np.ndarray:
        w = self.text_weight if weight is None else weight
        return (1.0 - w) * _row_scale(cf) + w * _row_scale(text)

    def score(self, history: sparse.csr_matrix) -> np.ndarray:
        scores = self.blend(self.cf.score(history), self.text.score(history))
        if self.cold_text is not None and self.unseen.any():
            scores[:, self.unseen] = self.text_weight * _row_scale(self.cold_text.score(history))[:, self.unseen]
        return scores


def mask_seen(scores: np.ndarray, history: sparse.csr_matrix) -> np.ndarray:
    """Set the scores of items already in each row's history to -inf (in place)."""
    rows = np.repeat(np.arange(history.shape[0]), np.diff(history.indptr))
    scores[rows, history.indices] = -np.inf
    return scores


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best items per row, best first (ties broken by item position)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.lexsort((part, -np.take_along_axis(scores, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)


def top_k_random_ties(scores: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the k best items per row, best first, equal scores in a random order drawn from ``rng`` (for
    evaluation: a model that cannot tell items apart must score at the random level, not at whatever level the
    catalogue's order happens to reach). Sorts whole rows: meant for small candidate sets."""
    k = min(k, scores.shape[1])
    order = np.lexsort((rng.random(scores.shape), -scores), axis=1)
    return order[:, :k]
