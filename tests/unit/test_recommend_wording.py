"""Recommendations in words: the dataset picker and the evaluation set-up count with thousands separators."""

from __future__ import annotations

from datetime import datetime

from core.repositories.recommend_data import DatasetInfo
from core.views.recommendations import protocol_statement


def dataset(stats: dict) -> DatasetInfo:
    return DatasetInfo(id=3, name="shop", interactions_file="i.csv", items_file="c.csv", stats=stats, nightly_export=False,
                       export_k=10, last_export_at=None, created_at=datetime(2026, 12, 3, 9, 5))  # fmt: skip


def test_the_dataset_picker_counts_interactions_in_thousands() -> None:
    assert dataset({"usable interactions": 12720}).label == "v3 · shop · 12,720 interactions · 2026-12-03 09:05"
    assert dataset({"usable interactions": 1}).label == "v3 · shop · 1 interaction · 2026-12-03 09:05"
    assert dataset({}).label == "v3 · shop · ? interactions · 2026-12-03 09:05"


def test_the_evaluation_set_up_counts_users_and_held_out_interactions() -> None:
    meta = {"dataset_version": 2, "protocol_text": "leave-last-out by time", "seed": 42, "test_users": 1500,
            "test_interactions": 1, "ranking": "all items"}  # fmt: skip
    assert protocol_statement(meta) == ("Dataset v2 · leave-last-out by time · split seed 42 · 1,500 users with "
                                        "1 held-out interaction · ranked over all items.")  # fmt: skip
