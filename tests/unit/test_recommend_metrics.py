"""Ranking metrics against hand-computed examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from core.recommend import metrics


def test_relevance_marks_held_out_items_in_the_list():
    test = sparse.csr_matrix(np.array([[0, 1, 0, 1, 0], [1, 0, 0, 0, 0]], dtype=np.float32))
    topk = np.array([[3, 0, 1], [2, 4, 0]])
    assert metrics.relevance(topk, test).tolist() == [[True, False, True], [False, False, True]]


def test_ndcg_by_hand():
    # user 0: hits at ranks 1 and 3, 2 relevant -> DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2(3)
    # user 1: hit at rank 3 only, 1 relevant -> DCG = 0.5, IDCG = 1
    rel = np.array([[True, False, True], [False, False, True]])
    got = metrics.ndcg_at_k(rel, np.array([2, 1]), 3)
    assert got[0] == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert got[1] == pytest.approx(0.5)


def test_ndcg_ideal_list_is_capped_at_k_and_no_relevant_gives_zero():
    rel = np.array([[True, True], [False, False]])
    got = metrics.ndcg_at_k(rel, np.array([5, 0]), 2)  # 5 relevant but only 2 slots: a perfect list scores 1
    assert got.tolist() == [pytest.approx(1.0), 0.0]


def test_recall_hit_rate_precision_by_hand():
    rel = np.array([[True, False, True, False], [False, False, False, True]])
    n_rel = np.array([4, 1])
    assert metrics.recall_at_k(rel, n_rel, 2).tolist() == [0.25, 0.0]
    assert metrics.recall_at_k(rel, n_rel, 4).tolist() == [0.5, 1.0]
    assert metrics.hit_rate_at_k(rel, 2).tolist() == [1.0, 0.0]
    assert metrics.hit_rate_at_k(rel, 4).tolist() == [1.0, 1.0]
    assert metrics.precision_at_k(rel, 4).tolist() == [0.5, 0.25]


def test_catalogue_coverage_counts_distinct_items_in_the_top_k():
    topk = np.array([[0, 1, 7], [1, 2, 8]])
    assert metrics.catalogue_coverage(topk, 10, 2) == pytest.approx(3 / 10)  # items 0, 1, 2
    assert metrics.catalogue_coverage(topk, 10, 3) == pytest.approx(5 / 10)
