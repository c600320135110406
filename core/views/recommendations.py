"""What the Recommendations page shows: the evaluation results as a table and a chart, and the evaluation set-up
in words (no streamlit here). The steps it starts live in ``core.recommend`` (``service``, ``store``, ``jobs``)."""

from __future__ import annotations

import pandas as pd

COLUMN_NAMES = {  # result keys -> the words on the page
    "name": "model", "ndcg@10": "NDCG@10", "recall@10": "Recall@10", "recall@20": "Recall@20", "hit_rate@10": "Hit rate@10",
    "coverage@10": "Catalogue coverage@10", "cold_recall@20": "Cold-start Recall@20", "ndcg@10_vs_popularity": "NDCG@10 vs popularity",
    "fit_s": "fit (s)", "eval_s": "evaluate (s)",
}  # fmt: skip
CHART_METRICS = ("NDCG@10", "Recall@10", "Recall@20", "Hit rate@10", "Catalogue coverage@10", "Cold-start Recall@20")


def results_table(rows: list[dict], k: int = 10) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    names = {key.replace("@10", f"@{k}"): label.replace("@10", f"@{k}") for key, label in COLUMN_NAMES.items()}
    frame = frame[[c for c in names if c in frame.columns]].rename(columns=names)
    return frame.round(4)


def chart_frame(rows: list[dict], k: int = 10) -> pd.DataFrame:
    table = results_table(rows, k)
    metrics = [m.replace("@10", f"@{k}") if "Recall@20" not in m else m for m in CHART_METRICS]
    return table.melt(id_vars="model", value_vars=[m for m in metrics if m in table.columns], var_name="metric", value_name="value")


def no_results_text(running: bool, may_evaluate: bool = True) -> str:
    """What the Evaluate tab says before a dataset version has results: while its first evaluation runs, that they are
    on the way (not "press Evaluate" under a running progress bar); to a viewer, who has no Evaluate button, who can."""
    if running:
        return "The results appear here when this evaluation finishes."
    if not may_evaluate:
        return "Not evaluated yet: an analyst or admin can run an evaluation here."
    return "Not evaluated yet: choose a protocol and press Evaluate."


def protocol_statement(meta: dict) -> str:
    """The evaluation set-up in words, shown next to every result."""
    split = meta["protocol_text"] + (f", {meta['test_ratio']:.0%} held out" if meta.get("test_ratio") else "")
    return (f"Dataset v{meta['dataset_version']} · {split} · split seed {meta['seed']} · {meta['test_users']} users with "
            f"{meta['test_interactions']} held-out interactions · ranked over {meta['ranking']}.")  # fmt: skip


def cold_statement(meta: dict) -> str:
    return (f"Cold start: {meta['cold_protocol']}. Random ranking would reach Recall@20 = {meta['cold_random_recall@20']:.3f} "
            f"over {meta['cold_users']} users.")  # fmt: skip
