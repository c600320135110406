"""Small, pure statistics the pages and digests share (no database, no streamlit)."""

from __future__ import annotations

import math

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
