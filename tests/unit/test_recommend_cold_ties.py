"""Cold-start evaluation: a model that knows nothing about the cold items (every one of them gets the same score)
reaches the random level, whatever the catalogue's order; and the result is the same for the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.recommend.data import Dataset
from core.recommend.evaluate import EvalConfig, evaluate
from core.recommend.models import top_k_random_ties

UNINFORMED = ("popularity", "itemknn", "ease")  # none of them learns anything about items held out of training


def popular_first(n_users: int = 300, n_items: int = 300, per_user: int = 12, seed: int = 0) -> Dataset:
    """Item popularity falls with the item's position (as in MovieLens), so ranking ties by position leaks."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_items + 1) ** 0.8
    weights /= weights.sum()
    rows = [(f"u{u}", f"i{i}") for u in range(n_users) for i in rng.choice(n_items, size=per_user, replace=False, p=weights)]
    items = pd.DataFrame({"item": [f"i{i}" for i in range(n_items)], "title": [f"Item {i}" for i in range(n_items)]})
    return Dataset.from_frames(pd.DataFrame(rows, columns=["user", "item"]), items)


def cold_recalls(ds: Dataset, seed: int) -> tuple[dict[str, float], float]:
    result = evaluate(ds, None, EvalConfig(seed=seed, models=UNINFORMED, cold_share=0.3))
    return {row["model"]: row["cold_recall@20"] for row in result.rows}, result.meta["cold_random_recall@20"]


def test_models_without_information_score_at_the_random_level_across_seeds():
    ds = popular_first()
    gaps = {name: [] for name in UNINFORMED}
    for seed in range(5):
        recalls, random_level = cold_recalls(ds, seed)
        assert 0.05 < random_level < 0.5  # more cold items than the list holds
        for name, recall in recalls.items():
            assert abs(recall - random_level) < 0.08, (seed, name, recall, random_level)
            gaps[name].append(recall - random_level)
    for name, values in gaps.items():
        assert abs(np.mean(values)) < 0.03, (name, values)  # no bias towards the catalogue's first items


def test_the_cold_start_result_is_reproducible_for_one_seed():
    ds = popular_first()
    assert cold_recalls(ds, 3) == cold_recalls(ds, 3)


def test_random_ties_keep_the_better_scores_first_and_follow_the_seed():
    scores = np.array([[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    first = top_k_random_ties(scores, 3, np.random.default_rng(7))
    assert first[:, 0].tolist() == [5, 0]  # a higher score always comes first
    assert np.array_equal(first, top_k_random_ties(scores, 3, np.random.default_rng(7)))
    tied = np.zeros((2000, 10))
    picks = np.bincount(top_k_random_ties(tied, 1, np.random.default_rng(1))[:, 0], minlength=10)
    assert picks.min() > 120  # every tied item leads about as often (expected 200 each)


def test_with_too_few_cold_items_the_test_is_not_run_and_the_page_says_why():
    from core.views.recommendations import cold_statement, results_table

    ds = popular_first(n_users=120, n_items=150)  # 10 % of the items with interactions: 15, fewer than a top 20
    result = evaluate(ds, None, EvalConfig(seed=1, models=UNINFORMED))
    assert result.meta["cold_items"] == 15 and result.meta["cold_measured"] is False
    assert all(row["cold_recall@20"] is None for row in result.rows)  # not 1.0 for every model
    assert "Cold-start Recall@20" not in results_table(result.rows).columns
    said = cold_statement(result.meta)
    assert said.startswith("Cold start: not measured on this dataset. Only 15 items could be held out") and "about 205" in said
    measured = evaluate(ds, None, EvalConfig(seed=1, models=UNINFORMED, cold_share=0.3))  # 45 cold items: measured
    assert measured.meta["cold_measured"] is True and all(row["cold_recall@20"] is not None for row in measured.rows)
    assert "Cold-start Recall@20" in results_table(measured.rows).columns
