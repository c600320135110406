"""Small, pure statistics the pages and digests share (no database, no streamlit)."""

from __future__ import annotations

import math

import pandas as pd

Z_95 = 1.959963984540054  # the two-sided 95 % quantile of the normal distribution


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float] | None:
    """The Wilson score interval for a share of ``successes`` out of ``n`` (95 % by default), as (low, high)
    within [0, 1]; None when there is nothing to estimate (``n`` == 0). Unlike the normal approximation it
    stays inside [0, 1] and is wide for few items: 1 of 1 gives (0.21, 1.0), not a confident 100 %."""
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"a share needs 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    share = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (share + z2 / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / denominator
    # 0 of n and n of n have an exact bound at 0 or 1; rounding must not put it a hair inside
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def share_text(share: float | None) -> str:
    """A share as tables and digests write it: "12%", or "–" where there is none (no items; a share rule's baseline)."""
    return "–" if share is None or math.isnan(share) else f"{share:.0%}"


FAR_SHARE = 0.02  # at most this share of all counted may lie far from the rest
FAR_GAP_TO_REST = 2  # "far": behind a gap more than this many times the span of the rest (the rest would fill under a third)


def main_span(counts: pd.Series, min_gap: pd.Timedelta) -> tuple[int, int]:
    """Positions (first, last) in ``counts`` (a count per time, sorted by time) of the span that holds the data, leaving
    out a few counts at either end far from the rest: together at most FAR_SHARE of the total, behind a gap longer than
    ``min_gap`` and than FAR_GAP_TO_REST times the span of the rest. One 2016 story in feeds of 2026, or a ticket dated
    1 Jan 1970 by an empty field, would otherwise squeeze every other point of a chart into a sliver."""
    times, floor = list(counts.index), FAR_SHARE * counts.sum()
    lo, hi = 0, len(times) - 1
    if hi < 1:
        return lo, hi
    before = counts.cumsum().to_numpy()  # before[k - 1]: the count of the first k times
    after = before[-1] - before  # after[k]: the count after time k
    cut = [k for k in range(1, hi + 1) if before[k - 1] <= floor
           and times[k] - times[k - 1] > max(min_gap, FAR_GAP_TO_REST * (times[hi] - times[k]))]  # fmt: skip
    if cut:
        lo = max(cut, key=lambda k: times[k] - times[k - 1])
    cut = [k for k in range(lo, hi) if after[k] <= floor
           and times[k + 1] - times[k] > max(min_gap, FAR_GAP_TO_REST * (times[k] - times[lo]))]  # fmt: skip
    if cut:
        hi = max(cut, key=lambda k: times[k + 1] - times[k])
    return lo, hi
