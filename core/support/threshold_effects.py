"""What each confidence threshold would have done on a team's own past questions.

The operating points were measured on Banking77 questions; a team's FAQ and customers differ. When a file of past
questions comes with the expected answer, every row's outcome at *any* threshold is known from one pass: a row is
answered at threshold ``t`` when nothing but the threshold holds it back (no unknown intent below the intent
threshold, no very negative customer, a knowledge base to match) and its answer confidence reaches ``t``; the answer
is then the best match's, right or wrong against the expected one. ``threshold_effects`` counts that for a range of
thresholds and ``suggest_threshold`` finds the lowest threshold (the most answers) whose wrong answers stay within a
budget, the same rule ``benchmarks/support.py`` uses to set the operating points on validation data.

With an expected-answer column every readable row is checked; an empty expected answer means the FAQ has none, so
answering that row is wrong (``core.support.batch``). Without the column no row is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_CHECKED_FOR_SUGGESTION = 20  # fewer checked questions than this: the figures move too much to suggest a threshold
SWEEP = tuple(round(t, 2) for t in np.arange(0.30, 0.96, 0.01))  # the range a chart shows
GRID = tuple(round(t, 2) for t in np.arange(0.0, 1.001, 0.01))  # thresholds a suggestion picks from (the page's slider steps)


@dataclass(frozen=True)
class RowOutcome:
    """One past question, as far as thresholds are concerned."""

    confidence: float  # the answer confidence (core.support.decision.answer_confidence)
    held_back: bool  # escalated at any threshold (unknown intent, very negative, empty knowledge base, empty question)
    right: bool | None  # the best match's answer is the expected one; None when no expected answer was given


@dataclass(frozen=True)
class Suggestion:
    threshold: float
    answered: int  # of the checked questions
    wrong: int
    checked: int
    max_wrong: float


def checked_count(outcomes: Sequence[RowOutcome]) -> int:
    """How many of the rows can be checked (an expected-answer column was given)."""
    return sum(o.right is not None for o in outcomes)


def threshold_effects(outcomes: Sequence[RowOutcome], thresholds: Iterable[float] = SWEEP) -> pd.DataFrame:
    """One row per threshold: ``answered`` (all questions), and of the checked questions (an expected answer given)
    ``checked``, ``right``, ``wrong``, ``escalated``, with their shares of the checked questions."""
    confidence = np.array([o.confidence for o in outcomes], dtype=float)
    free = ~np.array([o.held_back for o in outcomes], dtype=bool)
    checked = np.array([o.right is not None for o in outcomes], dtype=bool)
    right = np.array([bool(o.right) for o in outcomes], dtype=bool)
    n_checked = int(checked.sum())
    rows = []
    for t in thresholds:
        answered = free & (confidence >= t - 1e-9)
        n_right, n_wrong = int((answered & checked & right).sum()), int((answered & checked & ~right).sum())
        rows.append({
            "threshold": float(t), "answered": int(answered.sum()), "checked": n_checked, "right": n_right,
            "wrong": n_wrong, "escalated": n_checked - n_right - n_wrong,
            "right_share": n_right / n_checked if n_checked else 0.0, "wrong_share": n_wrong / n_checked if n_checked else 0.0,
            "escalated_share": (n_checked - n_right - n_wrong) / n_checked if n_checked else 0.0,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["threshold", "answered", "checked", "right", "wrong", "escalated",
                                       "right_share", "wrong_share", "escalated_share"])  # fmt: skip


def suggest_threshold(outcomes: Sequence[RowOutcome], max_wrong: float) -> Suggestion | None:
    """The lowest threshold of ``GRID`` (0.00 to 1.00 in steps of 0.01) at which at most ``max_wrong`` of the checked
    questions get a wrong answer (wrong answers only fall as the threshold rises), or None with fewer than
    ``MIN_CHECKED_FOR_SUGGESTION`` checked questions."""
    checked = checked_count(outcomes)
    if checked < MIN_CHECKED_FOR_SUGGESTION:
        return None
    effects = threshold_effects(outcomes, GRID)
    within = effects[effects["wrong_share"] <= max_wrong + 1e-12]
    if within.empty:  # even exact matches answer wrongly (the FAQ and the expected answers disagree)
        return None
    best = within.iloc[0]
    return Suggestion(float(best["threshold"]), int(best["right"] + best["wrong"]), int(best["wrong"]), checked, max_wrong)
