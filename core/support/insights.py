"""What customers ask most and what goes unanswered, from the questions asked live (ask box, CLI): the support
team's view of the assistant once it is in use. Uploaded ticket exports are analysed in ``core.support.tickets``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pandas as pd

from core.storage.tables import utcnow
from core.support.assistant import FEEDBACK_WORDS, interaction_log
from core.support.decision import LOW_SIMILARITY
from core.support.tickets import cluster_unanswered

PERIODS = {"Last 7 days": 7, "Last 30 days": 30, "All time": None}  # the page's choice -> days back (None: everything)
MAX_QUESTIONS = 20_000  # the newest questions of the period are analysed; the page says when there were more
DECISIONS = {"answer": "answered", "escalate": "escalated"}  # stored action -> the word on the page
NO_INTENT = "(no intent model)"
NO_MATCH = "(matched no FAQ entry)"  # an escalated question far from every entry: its intent is only the nearest one


@dataclass
class QuestionInsights:
    questions: pd.DataFrame  # interaction_log's columns, newest first
    since: datetime | None
    until: datetime  # when the insights were taken (UTC)
    capped: bool  # True when the period held more than MAX_QUESTIONS questions

    @property
    def asked(self) -> int:
        return len(self.questions)

    def count(self, action: str) -> int:
        return int((self.questions["action"] == action).sum())

    @property
    def not_helpful(self) -> int:
        return int((self.questions["feedback"] == FEEDBACK_WORDS[False]).sum())

    def intent_counts(self, shown: int = 15) -> pd.DataFrame:
        """Questions per intent and decision for the ``shown`` most asked intents, most asked first; a question that
        matched no FAQ entry counts under NO_MATCH, not under the nearest intent the model knows."""
        intents = self.questions["intent"].fillna(NO_INTENT).replace("", NO_INTENT)
        unmatched = self.questions["reasons"].fillna("").str.contains(LOW_SIMILARITY, regex=False)
        frame = self.questions.assign(intent=intents.mask(unmatched, NO_MATCH), decision=self.questions["action"].map(DECISIONS))
        counts = frame.groupby(["intent", "decision"]).size().rename("questions").reset_index()
        order = counts.groupby("intent")["questions"].sum().sort_values(ascending=False, kind="stable").head(shown)
        counts = counts[counts["intent"].isin(order.index)]
        counts["rank"] = counts["intent"].map({name: i for i, name in enumerate(order.index)})
        return counts.sort_values(["rank", "decision"]).drop(columns="rank").reset_index(drop=True)

    def per_day(self) -> pd.DataFrame:
        """Questions per day (UTC) and decision, every day from the period's start (or the first question) to today."""
        if self.questions.empty:
            return pd.DataFrame(columns=["day", "decision", "questions"])
        days = pd.to_datetime(self.questions["asked_at"]).dt.floor("D")
        first = min(days.min(), pd.Timestamp(self.since).floor("D")) if self.since is not None else days.min()
        counts = (self.questions.assign(day=days, decision=self.questions["action"].map(DECISIONS))
                  .groupby(["day", "decision"]).size().unstack(fill_value=0))  # fmt: skip
        last = max(days.max(), pd.Timestamp(self.until).floor("D"))
        counts = counts.reindex(index=pd.date_range(first, last, freq="D"), columns=list(DECISIONS.values()), fill_value=0)
        counts = counts.rename_axis(index="day", columns="decision")
        return counts.stack().rename("questions").reset_index()

    def unanswered_clusters(self, top: int = 10) -> pd.DataFrame:
        """The escalated questions grouped by meaning (largest first): the FAQ entries worth writing next."""
        escalated = self.questions.loc[self.questions["action"] == "escalate", "question"]
        return _clusters(tuple(escalated), top).copy()

    def not_helpful_answers(self) -> pd.DataFrame:
        """Answers a user marked not helpful, newest first: the FAQ entries to check."""
        wrong = self.questions[self.questions["feedback"] == FEEDBACK_WORDS[False]]
        return wrong[["asked_at", "kb", "question", "action", "matched_question"]].reset_index(drop=True)


@lru_cache(maxsize=8)
def _clusters(texts: tuple[str, ...], top: int) -> pd.DataFrame:
    """Cached per set of questions: the Log tab is redrawn on every click, the embedding is the slow part."""
    return cluster_unanswered(list(texts), top=top)


def question_insights(kb_name: str | None = None, days: int | None = None, now: datetime | None = None) -> QuestionInsights:
    """The questions asked in the last ``days`` days (all when None) of one knowledge base (all when None)."""
    now = now or utcnow()
    since = now - timedelta(days=days) if days else None
    questions = interaction_log(MAX_QUESTIONS + 1, kb_name, since)
    capped = len(questions) > MAX_QUESTIONS
    return QuestionInsights(questions.head(MAX_QUESTIONS), since, now, capped)
