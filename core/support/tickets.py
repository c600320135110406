"""Ticket analytics: intent distribution, sentiment over time, deflection rate and clusters of the questions
the knowledge base could not answer confidently (exportable so the team can write the missing FAQ entries)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from core.dates import read_dates
from core.downloads import safe_csv
from core.privacy import mask_personal_data
from core.scoring.reading import file_lines, kept_input_names, no_column
from core.stats import main_span
from core.support.decision import Policy
from core.support.kb import RowIssue, load_kb, policy_for
from core.support.retrieval import content_words
from core.wording import loose_key

MAX_TICKETS = 50_000
MAX_CLUSTERED = 3_000  # agglomerative clustering is quadratic; a larger unanswered set is sampled
# Cosine distance at which groups stop merging (average linkage). benchmarks/unanswered_groups.py groups Banking77
# *training* questions: at 0.65 (tuned on crafted tickets) half the pairs grouped together mixed intents (precision
# 0.48; a walk found PayPal questions under "Do you sell gift cards?"); 0.5 has the best pairwise F1 and an F0.5 within
# 0.01 of the best (which gives up recall: 0.5 at 0.4).
CLUSTER_DISTANCE = 0.5
FAR_TICKET_GAP = pd.Timedelta(days=28)  # tickets the trend leaves out lie at least this far from the rest (``stats.main_span``)


class TicketFileError(ValueError):
    """The ticket export or the chosen columns cannot be used."""


@dataclass
class TicketReport:
    scored: pd.DataFrame  # one row per usable ticket: text (masked), timestamp, intent, sentiment, action, ...
    problems: list[RowIssue] = field(default_factory=list)
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)  # cluster, label, size, examples
    operating_point: str = ""  # the policy the tickets were answered with (``Policy.describe``); empty without a knowledge base
    file_columns: pd.DataFrame = field(default_factory=pd.DataFrame)  # the export's other columns (ticket id, ...), row for row

    @property
    def deflection_rate(self) -> float:
        return float((self.scored["action"] == "answer").mean()) if len(self.scored) else 0.0

    def intent_distribution(self) -> pd.DataFrame:
        """intent, tickets, answered: how many tickets of each intent, and how many of those the knowledge base
        would answer (0 without one), most asked first."""
        intents = self.scored["intent"].fillna("(no intent model)")
        counts = intents.value_counts()
        answered = intents[self.scored["action"] == "answer"].value_counts().reindex(counts.index, fill_value=0)
        return pd.DataFrame({"intent": counts.index, "tickets": counts.values, "answered": answered.values})

    @cached_property
    def charted_stamps(self) -> pd.Series:
        """The tickets' timestamps the sentiment trend shows: every one but a few far from the rest (``stats.main_span``:
        a ticket dated 1 Jan 1970 by an empty field would stretch the chart over decades). Found once per report: the
        trend, its period and its captions all ask on each rerun of the tab."""
        dated = self.scored["timestamp"].dropna()
        if dated.empty:
            return dated
        days = dated.dt.floor("D").value_counts().sort_index()
        lo, hi = main_span(days, FAR_TICKET_GAP)
        return dated[(dated >= days.index[lo]) & (dated < days.index[hi] + pd.Timedelta(days=1))]

    def far_tickets(self) -> tuple[pd.Series, pd.Series]:
        """The timestamps of the dated tickets the trend leaves out (``charted_stamps``): (before the rest, after it)."""
        dated, charted = self.scored["timestamp"].dropna(), self.charted_stamps
        left_out = dated.drop(charted.index)
        if charted.empty:
            return left_out, left_out
        return left_out[left_out < charted.min()].sort_values(), left_out[left_out > charted.max()].sort_values()

    def trend_period(self) -> str:
        """The period of the sentiment trend for these tickets ("D", "W" or "M"; ``trend_frequency``)."""
        dated = self.charted_stamps
        return trend_frequency(dated) if len(dated) else "D"

    def sentiment_over_time(self, freq: str | None = None) -> pd.DataFrame:
        """Tickets per period and sentiment, every period of the span and every sentiment present (0 where none),
        with each sentiment's share of the period's tickets (0 in an empty period) and whether the export covers only
        part of the period (``partial``: it starts after the period's first day or ends before its last, so the period
        holds fewer tickets for that reason alone); by default per ``trend_period``."""
        dated = self.scored.loc[self.charted_stamps.index]
        if dated.empty:
            return pd.DataFrame(columns=["period", "sentiment", "tickets", "share", "partial"])
        freq = freq or self.trend_period()
        periods = dated["timestamp"].dt.to_period(freq)
        counts = dated.assign(period=periods).groupby(["period", "sentiment"]).size().unstack(fill_value=0)
        span = pd.period_range(periods.min(), periods.max(), freq=freq)
        counts = counts.reindex(span, fill_value=0)
        counts.index = counts.index.start_time
        frame = counts.rename_axis(index="period", columns="sentiment").stack().reset_index(name="tickets")
        totals = frame.groupby("period")["tickets"].transform("sum")
        frame["share"] = (frame["tickets"] / totals.where(totals > 0)).fillna(0.0)
        first, last = dated["timestamp"].min().normalize(), dated["timestamp"].max().normalize()
        partial = {p.start_time for p in span if first > p.start_time or last < p.end_time.normalize()}
        frame["partial"] = frame["period"].isin(partial)
        return frame

    def scored_csv(self) -> bytes:
        """Every scored ticket with the export's other columns after the analysis, so a ticket can be found again by
        its own id; a column named like one of the analysis's is kept as ``input_<name>``."""
        kept = self.file_columns.set_axis(kept_input_names(list(self.file_columns.columns), self.scored.columns), axis=1)
        return safe_csv(pd.concat([self.scored.reset_index(drop=True), kept.reset_index(drop=True)], axis=1))


def trend_frequency(stamps: pd.Series) -> str:
    """The pandas period for a trend over ``stamps``: "D" up to 31 days, "W" up to 26 weeks, else "M"."""
    span = stamps.max() - stamps.min()
    return "D" if span <= pd.Timedelta(days=31) else "W" if span <= pd.Timedelta(weeks=26) else "M"


PERIOD_NAMES = {"D": "day", "W": "week", "M": "month"}


def prepare_tickets(
    frame: pd.DataFrame,
    text_col: str,
    time_col: str | None = None,
    channel_col: str | None = None,
    agent_col: str | None = None,
    resolved_col: str | None = None,
) -> tuple[pd.DataFrame, list[RowIssue]]:
    """Validate the export: rows without text are skipped, unreadable timestamps are reported (the ticket is
    still analysed, only left out of the time chart). Every problem names its line and column."""
    roles = (("text", text_col), ("timestamp", time_col), ("channel", channel_col), ("agent", agent_col), ("resolved", resolved_col))
    for role, col in roles:
        if col is not None and col not in frame.columns:
            raise TicketFileError(no_column(col, frame.columns, role))
    if len(frame) > MAX_TICKETS:
        raise TicketFileError(f"the file has {len(frame):,} rows; at most {MAX_TICKETS:,} tickets are analysed at once")
    problems: list[RowIssue] = []
    rows = []
    stamps = read_dates(frame[time_col]).stamps.dt.tz_localize(None) if time_col else None
    for i, (line, record) in enumerate(zip(file_lines(frame), frame.to_dict("records"), strict=True)):
        text = " ".join(str(record.get(text_col) or "").split())
        if not text:
            problems.append(RowIssue(line, text_col, "", "empty message; skipped"))
            continue
        stamp = None
        if time_col:
            raw = str(record.get(time_col) or "").strip()
            stamp = stamps.iloc[i] if raw and pd.notna(stamps.iloc[i]) else None
            if stamp is None:
                problems.append(RowIssue(line, time_col, text[:80], f"{raw!r} is not a date/time; left out of the time chart"))
        rows.append({
            "line": line, "text": text, "timestamp": stamp,
            "channel": str(record.get(channel_col) or "") if channel_col else "",
            "agent": str(record.get(agent_col) or "") if agent_col else "",
            "resolved": str(record.get(resolved_col) or "") if resolved_col else "",
        })  # fmt: skip
    out = pd.DataFrame(rows, columns=["line", "text", "timestamp", "channel", "agent", "resolved"])
    out["timestamp"] = pd.to_datetime(out["timestamp"])
    if out.empty:
        raise TicketFileError(f"no ticket has text in column {text_col!r}")
    return out, problems


_CONTRACTIONS = re.compile(r"(n[’']t|[’'](s|re|ll|ve|d|m))\b", re.IGNORECASE)  # "didn't" -> "did", not "didn" and "t"
# Words customers add to any message (greetings, thanks, emphasis, exclamations, how they feel, "I need"): they never
# name what a group is about.
# Only for labels; retrieval keeps its own stop words (core.support.retrieval), which its benchmark tuned.
_FILLER = frozenset(
    "hi hello hey dear thanks thank thx pls plz ok okay yes yeah absolutely really very too also still already again "
    "ever even anyone someone something anything everything guys team sir madam hope need want know tell help "
    "asap urgent urgently wow phew oh ugh omg lol great brilliant awesome amazing terrible awful pathetic shocking "
    "impressed unhappy happy".split()
)


def cluster_labels(groups: list[list[str]], top: int = 3) -> list[str]:
    """Each group's most distinctive content words (class-based TF-IDF, as BERTopic names topics): frequent in the
    group and rare in the others, so a word most messages share ("card" at a card issuer) does not name every group.
    Contraction tails ("t" of "didn't"), numbers and filler ("hi", "absolutely", "need") are not words here."""
    counts = [Counter(w for t in texts for w in content_words(_CONTRACTIONS.sub(" ", t))
                      if len(w) > 1 and not w.isdigit() and w not in _FILLER) for texts in groups]  # fmt: skip
    overall: Counter[str] = Counter()
    for count in counts:
        overall.update(count)
    average = sum(overall.values()) / max(1, len(groups))
    labels = []
    for count in counts:
        ranked = sorted(count.items(), key=lambda pair: (-pair[1] * math.log(1 + average / overall[pair[0]]), pair[0]))
        labels.append(", ".join(w for w, _ in ranked[:top]) or "(no words)")
    return labels


def cluster_label(texts: list[str], top: int = 3) -> str:
    """The most frequent content words of one group of messages."""
    return cluster_labels([texts], top)[0]


def meaning_groups(vectors: np.ndarray, distance: float = CLUSTER_DISTANCE) -> np.ndarray:
    """A group number per text (rows of normalised ``vectors``): average-linkage agglomerative clustering on cosine
    distance, groups merging until they are ``distance`` apart."""
    if len(vectors) == 1:
        return np.zeros(1, dtype=int)
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=None, distance_threshold=distance, metric="cosine", linkage="average").fit_predict(vectors)


def distinct_texts(texts: list[str], n: int) -> list[str]:
    """The first ``n`` of ``texts`` that differ other than in case and spacing: a group's examples show its wordings,
    not one message sent three times."""
    seen: set[str] = set()
    kept = []
    for text in texts:
        key = loose_key(text)
        if key not in seen:
            seen.add(key)
            kept.append(text)
            if len(kept) == n:
                break
    return kept


def cluster_unanswered(texts: list[str], vectors: np.ndarray | None = None, top: int = 10, examples: int = 3) -> pd.DataFrame:
    """Group similar unanswered messages (average-linkage agglomerative clustering on cosine distance); the
    ``top`` largest groups with a label, size and examples (personal data masked). ``vectors``: the texts' normalised
    embeddings when the caller has them; otherwise only the texts clustered (at most MAX_CLUSTERED) are embedded."""
    columns = ["cluster", "label", "size", "examples"]
    if not texts:
        return pd.DataFrame(columns=columns)
    idx = np.arange(len(texts))
    if len(idx) > MAX_CLUSTERED:
        idx = np.sort(np.random.default_rng(13).choice(idx, MAX_CLUSTERED, replace=False))
    sample = [texts[i] for i in idx]
    if vectors is None:
        from core.nlp.sentence_encoder import get_sentence_encoder, normalise

        sample_vectors = normalise(get_sentence_encoder().pooled(sample))
    else:
        sample_vectors = vectors[idx]
    labels = meaning_groups(sample_vectors)
    scale = len(texts) / len(sample)
    groups: dict[int, list[int]] = {}
    for pos, label in enumerate(labels):
        groups.setdefault(int(label), []).append(pos)
    ranked = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    names = cluster_labels([[sample[m] for m in members] for members in ranked])
    rows = []
    for n, (members, label) in enumerate(zip(ranked[:top], names), start=1):
        centre = sample_vectors[members].mean(axis=0)
        closest = sorted(members, key=lambda m: -float(sample_vectors[m] @ centre))
        rows.append({
            "cluster": n, "label": label, "size": int(round(len(members) * scale)),
            "examples": " | ".join(mask_personal_data(text) for text in distinct_texts([sample[m] for m in closest], examples)),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def analyse_tickets(
    frame: pd.DataFrame,
    text_col: str,
    kb_name: str | None = None,
    time_col: str | None = None,
    channel_col: str | None = None,
    agent_col: str | None = None,
    resolved_col: str | None = None,
    policy: Policy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TicketReport:
    """Score every ticket with the same path as the ask box; without a knowledge base nothing is deflected. Without
    a ``policy`` the knowledge base's own applies (its team threshold, else the settings').
    ``progress(done, total)`` is called as the tickets are scored."""
    from core.support.assistant import RERANK_WEIGHT, analyse

    roles = (text_col, time_col, channel_col, agent_col, resolved_col)
    tickets, problems = prepare_tickets(frame, *roles)
    index = load_kb(kb_name, RERANK_WEIGHT).index if kb_name else None
    policy = policy or (policy_for(kb_name) if kb_name else None)
    texts = tickets["text"].tolist()
    analysis = analyse(texts, index, policy, k=1, progress=progress and (lambda done: progress(done, len(texts))))
    intents, sentiments, negatives = [], [], []
    for i in range(len(texts)):
        intents.append(analysis.intent_of(i)[0])
        label, negative = analysis.sentiment_of(i)
        sentiments.append(label or "(no sentiment model)")
        negatives.append(negative)
    tickets["intent"] = intents
    tickets["sentiment"] = sentiments
    tickets["p_negative"] = [None if n is None else round(n, 4) for n in negatives]  # as the confidence: 0.0002, not 0.00017398…
    tickets["action"] = [d.action for d in analysis.decisions]
    tickets["reasons"] = [", ".join(d.reasons) for d in analysis.decisions]
    tickets["confidence"] = [d.confidence for d in analysis.decisions]
    tickets["matched_question"] = [m[0].entry.question if m else "" for m in analysis.matches]
    unanswered = [i for i, d in enumerate(analysis.decisions) if d.escalate]
    clusters = cluster_unanswered([texts[i] for i in unanswered], analysis.vectors[unanswered])
    tickets["text"] = [mask_personal_data(t) for t in texts]
    return TicketReport(tickets, problems, clusters, policy.describe() if policy else "", _file_columns(frame, tickets["line"], roles))


def _file_columns(frame: pd.DataFrame, lines: pd.Series, roles: tuple[str | None, ...]) -> pd.DataFrame:
    """The export's columns that were given no role, for the tickets on ``lines`` (their lines in the file)."""
    position = {line: i for i, line in enumerate(file_lines(frame))}
    others = [c for c in frame.columns if c not in roles]
    return frame.iloc[[position[line] for line in lines]][others].reset_index(drop=True)
