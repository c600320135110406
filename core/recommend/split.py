"""Seeded held-out splits. Every split puts each interaction in exactly one of train or test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from core.recommend.data import Dataset

PROTOCOLS = {
    "random": "random per-user split (stratified: each user keeps the same share of their interactions in training)",
    "last": "leave-last-out by time (each user's latest interaction is held out)",
}


@dataclass
class Split:
    train: sparse.csr_matrix
    test: sparse.csr_matrix
    test_mask: np.ndarray  # per interaction of the dataset: True = held out
    protocol: str
    seed: int
    test_ratio: float


def _rank_within_user(user_idx: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Position of each interaction among its user's interactions ordered by ``keys``; and the user's count."""
    order = np.lexsort((keys, user_idx))
    counts = np.bincount(user_idx)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.empty(len(user_idx), dtype=np.int64)
    rank[order] = np.arange(len(user_idx)) - starts[user_idx[order]]
    return rank, counts[user_idx]


def split_random(ds: Dataset, test_ratio: float = 0.25, seed: int = 42) -> Split:
    """Per user, a random ``test_ratio`` share of the interactions is held out (at least one, never all);
    users with a single interaction stay in training."""
    if not 0 < test_ratio < 1:
        raise ValueError(f"the test share must be between 0 and 1, got {test_ratio}")
    rng = np.random.default_rng(seed)
    rank, count = _rank_within_user(ds.user_idx, rng.random(len(ds.user_idx)))
    n_test = np.clip(np.rint(count * test_ratio), 1, count - 1)
    mask = (count >= 2) & (rank < n_test)
    return Split(ds.matrix(~mask), ds.matrix(mask), mask, "random", seed, test_ratio)


def split_last(ds: Dataset, seed: int = 42) -> Split:
    """Each user's latest interaction (by timestamp; ties broken by a seeded coin) is held out."""
    if not ds.has_timestamps:
        raise ValueError("leave-last-out needs a timestamp column; map one in the interactions file or use the random split")
    rng = np.random.default_rng(seed)
    ts = np.nan_to_num(ds.timestamps, nan=-np.inf)
    order = np.lexsort((rng.random(len(ts)), ts, ds.user_idx))
    counts = np.bincount(ds.user_idx)
    ends = np.cumsum(counts) - 1
    mask = np.zeros(len(ts), dtype=bool)
    last = order[ends[counts >= 2]]
    mask[last] = True
    return Split(ds.matrix(~mask), ds.matrix(mask), mask, "last", seed, 0.0)


def make_split(ds: Dataset, protocol: str, test_ratio: float = 0.25, seed: int = 42) -> Split:
    if protocol == "random":
        return split_random(ds, test_ratio, seed)
    if protocol == "last":
        return split_last(ds, seed)
    raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def cold_items(ds: Dataset, share: float = 0.1, seed: int = 42, min_users: int = 1) -> np.ndarray:
    """A seeded sample of items with interactions, to be held out of training entirely (cold-start test)."""
    counts = np.bincount(ds.item_idx, minlength=ds.n_items)
    candidates = np.flatnonzero(counts >= min_users)
    rng = np.random.default_rng(seed + 1)
    n = max(1, int(round(len(candidates) * share)))
    return np.sort(rng.choice(candidates, size=min(n, len(candidates)), replace=False))
