"""The three operating points of the ask path ("answer more", "balanced", "be more careful"): each one's confidence
threshold and its measured effect, read from ``operating_points.json`` beside this module.

That file is written by ``python benchmarks/support.py --operating-points`` (or a full / ``--only-faq`` run) from
the validation tuning in benchmarks/results/support.json: each threshold is the lowest similarity at which at most
8 % / 5 % / 2 % of the in-scope validation questions get a wrong answer (``PRESET_MAX_WRONG``), measured for the
retrieval the product uses (``ask_path``: base encoder, BM25 weight, re-rank weight). The validation set is carved
from Banking77 *train*; the customer FAQ test split is only reported (``customer_faq_test``), never tuned on.

"custom" is the expert's choice: the threshold set by hand (``BEACON_SUPPORT_CONFIDENCE_THRESHOLD`` or the
page's custom slider), with no measured effect.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.support.decision import PRESET_MAX_WRONG

POINTS_FILE = Path(__file__).with_name("operating_points.json")
NAMES = tuple(PRESET_MAX_WRONG)  # from the most answered to the most careful
DEFAULT = "balanced"  # a wrong answer is worse than an escalation
CUSTOM = "custom"


@dataclass(frozen=True)
class OperatingPoint:
    name: str
    threshold: float  # answer only when the answer confidence reaches this
    max_wrong: float  # the most wrong answers (share of in-scope validation questions) it was tuned for
    answered: float  # share of in-scope validation questions answered
    wrong: float  # share of in-scope validation questions answered wrongly
    unknown_escalated: float  # share of validation questions of unknown intents escalated
    test_answered: float | None = None  # the same on the customer FAQ test split (reported, not tuned on)
    test_wrong: float | None = None


def point_name(name: str) -> str:
    """``name`` as the operating points spell it (case, spaces, '-' and '_' ignored: "be-more-careful" works in an
    environment variable); ValueError naming the choices when it is none of them."""
    clean = " ".join(str(name).replace("-", " ").replace("_", " ").lower().split())
    if clean not in (*NAMES, CUSTOM):
        choices = ", ".join(repr(n) for n in (*NAMES, CUSTOM))
        raise ValueError(f"unknown operating point {name!r} (BEACON_SUPPORT_OPERATING_POINT or --operating-point); choose one of {choices}")
    return clean


@lru_cache(maxsize=1)
def measured() -> dict:
    """The whole ``operating_points.json`` (note, ask path, validation set, points)."""
    try:
        data = json.loads(POINTS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{POINTS_FILE} cannot be read ({exc}); regenerate it: python benchmarks/support.py --operating-points") from exc
    missing = [n for n in NAMES if n not in data.get("points", {})]
    if missing:
        raise RuntimeError(f"{POINTS_FILE} has no operating point {', '.join(map(repr, missing))}; regenerate it")
    return data


def operating_point(name: str) -> OperatingPoint:
    """One of the three measured operating points (``point_name`` rules; "custom" has no measured point)."""
    name = point_name(name)
    if name == CUSTOM:
        raise ValueError("the custom operating point has no measured effect; give its threshold instead")
    p = measured()["points"][name]
    test = p.get("customer_faq_test", {})
    return OperatingPoint(name, float(p["threshold"]), float(p["max_wrong"]), float(p["answered"]), float(p["wrong"]),
                          float(p["unknown_escalated"]), test.get("answered"), test.get("wrong"))  # fmt: skip


def operating_points() -> list[OperatingPoint]:
    return [operating_point(n) for n in NAMES]
