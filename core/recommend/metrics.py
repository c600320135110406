"""Ranking metrics over top-k lists with binary relevance (every held-out interaction is relevant)."""

from __future__ import annotations

import numpy as np
from scipy import sparse


def relevance(topk: np.ndarray, test: sparse.csr_matrix) -> np.ndarray:
    """Boolean (users, k): whether each recommended item is among that user's held-out items.
    Row u of ``topk`` belongs to row u of ``test``."""
    rows = np.repeat(np.arange(topk.shape[0]), topk.shape[1])
    hits = np.asarray(test[rows, topk.ravel()]).reshape(topk.shape)
    return hits > 0


def ndcg_at_k(rel: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user NDCG@k: DCG of the list over the DCG of the ideal list (min(k, n_relevant) hits first)."""
    rel = rel[:, :k].astype(float)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = rel @ discounts[: rel.shape[1]]
    ideal_cum = np.concatenate(([0.0], np.cumsum(discounts)))
    idcg = ideal_cum[np.minimum(n_relevant, k)]
    return np.divide(dcg, idcg, out=np.zeros_like(dcg), where=idcg > 0)


def recall_at_k(rel: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user share of the held-out items found in the top k."""
    hits = rel[:, :k].sum(axis=1)
    return np.divide(hits, n_relevant, out=np.zeros(len(hits)), where=n_relevant > 0)


def hit_rate_at_k(rel: np.ndarray, k: int) -> np.ndarray:
    """Per-user 1 when at least one held-out item is in the top k."""
    return rel[:, :k].any(axis=1).astype(float)


def precision_at_k(rel: np.ndarray, k: int) -> np.ndarray:
    return rel[:, :k].sum(axis=1) / float(k)


def catalogue_coverage(topk: np.ndarray, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    return len(np.unique(topk[:, :k])) / float(n_items) if n_items else 0.0
