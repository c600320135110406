"""What the Customer service page shows and decides (no streamlit here): the policy of the ask box, the knowledge-base
tables, which versions can be rolled back to, the column guesses for a ticket export and the import summary."""

from __future__ import annotations

import pandas as pd

from core.settings import get_settings
from core.support.batch import BatchReport
from core.support.decision import Policy
from core.support.kb import ImportReport, KBInfo, RowIssue

TICKET_COLUMN_NAMES = {  # role -> the column names it is guessed from, in order of preference
    "text": ("text", "message", "body"),
    "timestamp": ("timestamp", "time", "date", "created_at"),
    "channel": ("channel",),
    "agent": ("agent",),
    "resolved": ("resolved",),
}
PROBLEMS_SHOWN = 20


def ask_policy(confidence_threshold: float) -> Policy:
    """The decision policy with the threshold chosen on the page; the intent and sentiment thresholds from the settings."""
    settings = get_settings()
    return Policy(confidence_threshold, settings.support_intent_threshold, settings.support_negative_threshold)


def kb_rows(kbs: list[KBInfo]) -> list[dict]:
    return [{"name": k.name, "active version": k.active_version, "entries": k.entries, "versions": k.versions} for k in kbs]


def rollback_choices(versions: pd.DataFrame) -> list[int]:
    """The versions one can roll back to: every one but the active one, newest first (as ``kb_versions`` lists them)."""
    if versions.empty:
        return []
    return [int(v) for v in versions.loc[~versions["active"], "version"]]


def guess_ticket_columns(columns: list[str]) -> dict[str, str | None]:
    """The likeliest column of the export for each role (by name, case ignored); the text falls back to the first column."""
    lower = [c.lower() for c in columns]
    guesses = {role: next((columns[lower.index(n)] for n in names if n in lower), None) for role, names in TICKET_COLUMN_NAMES.items()}
    if guesses["text"] is None and columns:
        guesses["text"] = columns[0]
    return guesses


def import_counts(report: ImportReport) -> list[tuple[str, int]]:
    return [("Added", len(report.added)), ("Updated", len(report.updated)), ("Unchanged", report.unchanged),
            ("Rejected", len(report.rejected)), ("Flagged for review", len(report.flagged))]  # fmt: skip


def problem_lines(problems: list[RowIssue], shown: int = PROBLEMS_SHOWN) -> tuple[list[str], int]:
    """The first ``shown`` problems of a ticket export in words, and how many more there are."""
    lines = [f"line {p.line}, column {p.column!r}: {p.reason}" for p in problems[:shown]]
    return lines, max(0, len(problems) - shown)


def batch_counts(report: BatchReport) -> list[tuple[str, str]]:
    """The counts shown after answering a file of past questions (wrong only when an expected answer column was given)."""
    share = lambda n: f"{n} ({n / report.rows:.0%})" if report.rows else "0"  # noqa: E731
    counts = [("Questions", str(report.rows)), ("Answered", share(report.answered)), ("Escalated", share(report.escalated))]
    if report.right or report.wrong:
        counts += [("Answered right", share(report.right)), ("Answered wrong", share(report.wrong))]
    return counts


QUESTION_COLUMN_NAMES = ("question", "questions", "text", "message", "body", "query")


def guess_question_column(columns: list[str]) -> int:
    """The position of the likeliest question column of a past-questions file (by name, case ignored; else the first)."""
    lower = [c.lower() for c in columns]
    return next((lower.index(n) for n in QUESTION_COLUMN_NAMES if n in lower), 0)


EXPECTED_ANSWER_COLUMN_NAMES = ("expected", "expected_answer", "expected answer", "answer", "correct_answer", "gold")


def guess_expected_column(columns: list[str], question_column: str) -> str | None:
    """The likeliest expected-answer column of a past-questions file (by name, case ignored), never the question column."""
    by_lower = {c.lower(): c for c in columns if c != question_column}
    return next((by_lower[n] for n in EXPECTED_ANSWER_COLUMN_NAMES if n in by_lower), None)
