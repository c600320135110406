"""Held-out splits: seeded, stratified per user, and never leaking a test interaction into training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.recommend.data import Dataset
from core.recommend.split import cold_items, make_split, split_last, split_random


def dataset(n_users: int = 40, n_items: int = 60, seed: int = 0, timestamps: bool = True) -> Dataset:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        count = int(rng.integers(1, 15))
        for j, item in enumerate(rng.choice(n_items, size=count, replace=False)):
            rows.append((f"u{u}", f"i{item}", float(1000 * u + j) if timestamps else np.nan))
    inter = pd.DataFrame(rows, columns=["user", "item", "timestamp"])
    items = pd.DataFrame({"item": [f"i{i}" for i in range(n_items)], "title": [f"Item {i}" for i in range(n_items)]})
    return Dataset.from_frames(inter, items)


@pytest.mark.parametrize("protocol", ["random", "last"])
def test_no_test_interaction_is_in_training(protocol):
    ds = dataset()
    split = make_split(ds, protocol, 0.25, seed=3)
    assert split.train.multiply(split.test).nnz == 0  # no user-item pair in both
    assert split.train.nnz + split.test.nnz == len(ds.user_idx)  # nothing lost
    assert (split.train + split.test != ds.matrix()).nnz == 0


def test_random_split_is_seeded_and_stratified_per_user():
    ds = dataset()
    a, b, c = split_random(ds, 0.25, 7), split_random(ds, 0.25, 7), split_random(ds, 0.25, 8)
    assert (a.test != b.test).nnz == 0
    assert (a.test != c.test).nnz > 0
    per_user_all = np.bincount(ds.user_idx, minlength=ds.n_users)
    per_user_test = np.diff(a.test.indptr)
    for total, held in zip(per_user_all, per_user_test):
        if total == 1:
            assert held == 0  # a single interaction stays in training
        else:
            assert held == min(max(round(total * 0.25), 1), total - 1)


def test_leave_last_out_holds_out_each_users_latest_interaction():
    ds = dataset()
    split = split_last(ds)
    for u in range(ds.n_users):
        mine = np.flatnonzero(ds.user_idx == u)
        held = mine[split.test_mask[mine]]
        if len(mine) < 2:
            assert len(held) == 0
        else:
            assert len(held) == 1 and ds.timestamps[held[0]] == ds.timestamps[mine].max()


def test_leave_last_out_needs_timestamps():
    with pytest.raises(ValueError, match="needs a timestamp column"):
        split_last(dataset(timestamps=False))


def test_cold_items_are_a_seeded_sample_of_items_with_interactions():
    ds = dataset()
    cold = cold_items(ds, 0.2, seed=1)
    assert np.array_equal(cold, cold_items(ds, 0.2, seed=1))
    assert np.isin(cold, ds.item_idx).all()
