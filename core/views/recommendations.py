"""What the Recommendations page shows: the evaluation results as a table and a chart, and the evaluation set-up
in words (no streamlit here). The steps it starts live in ``core.recommend`` (``service``, ``store``, ``jobs``)."""

from __future__ import annotations

import math

import pandas as pd

from core.recommend import store
from core.recommend.evaluate import COLD_K
from core.recommend.jobs import JobView
from core.runs import status_label
from core.wording import count_of

COLUMN_NAMES = {  # result keys -> the words on the page (short: the table must fit without scrolling sideways)
    "name": "Model", "ndcg@10": "NDCG@10", "recall@10": "Recall@10", "recall@20": "Recall@20", "hit_rate@10": "Hit rate@10",
    "coverage@10": "Coverage@10", "cold_recall@20": "Cold-start Recall@20", "ndcg@10_vs_popularity": "× popularity",
    "fit_s": "Fit (s)", "eval_s": "Rank (s)",
}  # fmt: skip
COLUMN_HELP = {  # the same columns explained (the table's tooltips)
    "NDCG@10": "Ranking quality of the top 10 (1 = every held-out item at the top), averaged over users",
    "Recall@10": "Share of each user's held-out items found in their top 10", "Recall@20": "The same in the top 20",
    "Hit rate@10": "Share of users with at least one held-out item in their top 10",
    "Coverage@10": "Catalogue coverage: the share of the catalogue that appears in at least one user's list",
    "Cold-start Recall@20": "Recall@20 on items removed from training entirely (new catalogue items)",
    "× popularity": "NDCG@10 as a multiple of the Popularity baseline's (above 1: better than recommending best-sellers)",
    "Fit (s)": "Seconds to train the model", "Rank (s)": "Seconds to rank every test user's list",
}
CHART_METRICS = ("NDCG@10", "Recall@10", "Recall@20", "Hit rate@10", "Coverage@10", "Cold-start Recall@20")
SECONDS = ("Fit (s)", "Rank (s)")


def _at_k(label: str, k: int) -> str:
    return label.replace("@10", f"@{k}")


def results_table(rows: list[dict], k: int = 10) -> pd.DataFrame:
    """One row per model: its metrics (3 decimals), its NDCG as a multiple of popularity's and its times (2 decimals:
    most fit and rank in hundredths of a second, which 1 decimal showed as 0)."""
    frame = pd.DataFrame(rows)
    names = {_at_k(key, k): _at_k(label, k) for key, label in COLUMN_NAMES.items()}
    frame = frame[[c for c in names if c in frame.columns]].rename(columns=names)
    if "Cold-start Recall@20" in frame.columns and frame["Cold-start Recall@20"].isna().all():
        frame = frame.drop(columns="Cold-start Recall@20")  # not measured on this dataset: the caption says why
    return frame.round(3).round({c: 2 for c in SECONDS if c in frame.columns})


def column_help(k: int = 10) -> dict[str, str]:
    """The results table's tooltips, keyed by its column names for lists of length ``k``."""
    return {_at_k(label, k): _at_k(text, k) for label, text in COLUMN_HELP.items()}


def column_format(name: str) -> str:
    """Every metric with 3 decimals (0.210 beside 0.353, not 0.21), seconds with 2."""
    return "%.2f" if name in SECONDS else "%.3f"


def chart_frame(rows: list[dict], k: int = 10) -> pd.DataFrame:
    table = results_table(rows, k)
    metrics = [_at_k(m, k) if "Recall@20" not in m else m for m in CHART_METRICS]
    return table.melt(id_vars="Model", value_vars=[m for m in metrics if m in table.columns], var_name="metric", value_name="value")


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
    return (f"Dataset v{meta['dataset_version']} · {split} · split seed {meta['seed']} · {count_of(meta['test_users'], 'user')} with "
            f"{count_of(meta['test_interactions'], 'held-out interaction')} · ranked over {meta['ranking']}.")  # fmt: skip


def cold_statement(meta: dict) -> str:
    if meta.get("cold_measured") is False:  # evaluations stored before the check always ran the test
        share, k = meta["cold_share"], COLD_K
        needed = math.ceil((k + 0.5) / share)  # items with interactions for round(share * n) > k
        held = count_of(meta["cold_items"], "item")
        return (f"Cold start: not measured on this dataset. Only {held} could be held out of training ({share:.0%} of the "
                f"items with interactions), and ranking {held} puts all of them in any top {k}, so every model would score "
                f"1.0. It is measured from about {needed:,} items with interactions.")  # fmt: skip
    return (f"Cold start: {meta['cold_protocol']}. Random ranking would reach Recall@20 = {meta['cold_random_recall@20']:.3f} "
            f"over {meta['cold_users']:,} users.")  # fmt: skip


def saved_text(dataset_id: int, result: dict, seconds: float) -> str:
    """What the Data tab says once a save has finished: the new version, or the version that already holds the data."""
    if result.get("already_saved"):
        return (f"These files hold the same data as dataset version {result.get('saved_as') or f'v{dataset_id}'}: nothing new "
                "was saved. Evaluate it on the Evaluate tab.")
    return f"Saved as dataset version v{dataset_id} in {seconds:.0f} s. Evaluate it on the Evaluate tab."


def ended_text(job: JobView) -> tuple[str, str]:
    """(level, message) for a job that ended without succeeding: what was kept. A save stopped while embedding has
    already written its version, which stays (complete; its first evaluation embeds the item texts)."""
    reason = f"{job.title} · {status_label(job.status)}"
    detail = "" if job.status == "cancelled" else f": {job.error or 'no reason recorded'}"
    level = "warning" if job.status == "cancelled" else "error"
    if job.kind == "save" and job.dataset_id:
        return level, (f"{reason}{detail}. Dataset version v{job.dataset_id} was saved before it stopped; its item texts were "
                       "not embedded yet, so its first evaluation embeds them. If you do not want it, an admin can "
                       "delete it below (Delete a dataset version).")  # fmt: skip
    if job.status == "cancelled":
        earlier = job.kind == "evaluate" and bool(job.dataset_id) and bool(store.list_evaluations(job.dataset_id))
        kept = "nothing was saved" if job.kind == "save" else "no results were stored"
        return level, f"{reason}: {kept}{'; the earlier results stay as they were' if earlier else ''}."
    return level, f"{reason}{detail}. Nothing was changed."


def not_embedded_text(dataset_id: int, may_evaluate: bool) -> str:
    """What Explore says for a version whose item texts are not embedded yet (its save was cancelled while embedding,
    or the item-text base encoder was changed since), instead of embedding them in the page with no progress."""
    who = "Evaluate it on the Evaluate tab" if may_evaluate else "Once an analyst evaluates it"
    return (f"The item texts of dataset version v{dataset_id} are not embedded yet (its save was stopped before that, or the "
            f"item-text encoder changed since). {who}: the evaluation embeds them, with a progress bar, and its "
            "recommendations can then be explored here.")  # fmt: skip


def still_saving_text(dataset_id: int, action: str) -> str:
    """What Evaluate and Explore say while a version's save is still preparing it."""
    return (f"Dataset version v{dataset_id} is still being saved: its item texts are being embedded for the text-based "
            f"recommenders. You can {action} here when that finishes (this tab follows it).")
