"""What the Customer service page shows and decides (no streamlit here): the "answer more <-> be more careful" choice of
the ask box and the past-questions tab (its measured effect in words, the policy it gives), the knowledge-base tables,
which versions can be rolled back to, the column guesses for a ticket export, the import summary and the Log tab's
headline numbers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from core.downloads import safe_csv
from core.nlp import registry
from core.settings import get_settings
from core.staged_uploads import keep_upload, still_kept
from core.stats import wilson_interval
from core.support import operating_points as points
from core.support.assistant import AskedNow, answered_now, ask
from core.support.batch import BatchReport
from core.support.decision import EMPTY_KB, LOW_SIMILARITY, UNKNOWN_INTENT, VERY_NEGATIVE, Policy
from core.support.insights import NO_INTENT, QuestionInsights
from core.support.kb import ImportReport, KBInfo, RowIssue, TeamThreshold
from core.support.threshold_effects import MIN_CHECKED_FOR_SUGGESTION, checked_count, suggest_threshold, threshold_effects
from core.support.tickets import MAX_CLUSTERED, TicketReport
from core.views.batch_scoring import UploadCheck, check_upload
from core.wording import count_of, one_or_many, time_left

TICKET_COLUMN_NAMES = {  # role -> the column names it is guessed from, in order of preference (as help desks export them)
    "text": ("text", "message", "body", "description", "content", "comment", "question"),
    "timestamp": ("timestamp", "created at", "created", "created time", "created date", "date created", "time", "date",
                  "datetime", "opened at", "submitted at", "sent at"),
    "channel": ("channel", "via", "source"),
    "agent": ("agent", "assignee", "agent name", "owner"),
    "resolved": ("resolved", "solved", "is resolved"),
}
PROBLEMS_SHOWN = 20


OPERATING_POINTS = points.NAMES  # the choice's stops, from "answer more" to "be more careful"
CHOICE_LABEL = "Answer more ↔ Be more careful"


def ask_policy(confidence_threshold: float) -> Policy:
    """The decision policy with a custom threshold set on the page; the intent and sentiment thresholds from the settings."""
    return Policy.for_operating_point(points.CUSTOM, confidence_threshold)


def same_threshold(threshold: float | None, other: float | None) -> bool:
    """Whether two thresholds are the same to the slider's two decimals (False when either is missing): is the page's
    custom threshold the knowledge base's team threshold?"""
    return threshold is not None and other is not None and round(threshold, 2) == round(other, 2)


def chosen_policy(point: str, custom_threshold: float | None = None, team_threshold: float | None = None) -> Policy:
    """The policy of the page's choice: the operating point ``point``, or the custom threshold when one is given (the
    knowledge base's team threshold when it is that one)."""
    if custom_threshold is None:
        return Policy.for_operating_point(point)
    return Policy.for_team(team_threshold) if same_threshold(custom_threshold, team_threshold) else ask_policy(custom_threshold)


REASON_WORDS = {  # why the assistant escalated, as a support lead says it (the code stays in brackets and in the log)
    LOW_SIMILARITY: "no FAQ entry is close enough to the question",
    UNKNOWN_INTENT: "what the customer wants is unclear",
    EMPTY_KB: "the knowledge base has no entries",
    VERY_NEGATIVE: "the customer sounds very upset",
}


def escalation_text(reasons: list[str], confidence: float) -> str:
    """The warning an escalated question gets: "Escalate to an agent — no FAQ entry is close enough to the question
    (low similarity; confidence 0.17)."""
    words = "; ".join(REASON_WORDS.get(reason, reason) for reason in reasons) or "no reason recorded"
    return f"Escalate to an agent — {words} ({', '.join(reasons)}; confidence {confidence:.2f})."


THRESHOLD_HINT_LOOKS_AT = 50  # the newest questions to a knowledge base the hint counts
THRESHOLD_HINT_MIN_QUESTIONS = 10  # fewer say too little about the knowledge base
THRESHOLD_HINT_SHARE = 0.8  # escalated for low similarity at least this often: the threshold does not suit this FAQ


def threshold_hint(kb: str, analyst: bool) -> str | None:
    """A hint above the Ask box when most recent questions to a knowledge base without a measured team threshold were
    escalated because no entry was close enough. The operating points were measured on bank questions with three
    wordings per entry; an FAQ with one wording per entry, or another trade's words, gives lower similarities to the
    right entry, so it escalates nearly everything until the team picks its own threshold on its past questions. A
    team threshold set by hand is judged on the questions asked since it was set. None otherwise."""
    from core.support.assistant import interaction_log
    from core.support.kb import team_threshold

    team = team_threshold(kb)
    if team is not None and not team.by_hand:
        return None
    log = interaction_log(THRESHOLD_HINT_LOOKS_AT, kb, since=team.set_at if team else None)
    low = int(log["reasons"].str.contains(LOW_SIMILARITY, regex=False).sum())
    if len(log) < THRESHOLD_HINT_MIN_QUESTIONS or low < THRESHOLD_HINT_SHARE * len(log):
        return None
    who = ("answer a file of past questions with their expected answers on the Past questions tab" if analyst
           else "an analyst can answer a file of past questions with their expected answers (Past questions tab)")
    if team is not None:
        return (f"{low} of the {count_of(len(log), 'question')} to {kb} since its team threshold {team.value:.2f} was set "
                f"by hand were escalated because no FAQ entry was close enough. To find a threshold that suits {kb}, "
                f"{who}: it measures each threshold on them and suggests one.")  # fmt: skip
    return (f"{low} of the last {count_of(len(log), 'question')} to {kb} were escalated because no FAQ entry was close "
            "enough. The answer thresholds were measured on bank questions, and an FAQ worded differently often needs "
            f"its own: {who} to see how it does and to set a team threshold for {kb}.")  # fmt: skip


def nearby_entries(item: dict) -> tuple[str, list[dict]] | None:
    """The FAQ entries shown under an answer, with their expander's label: the next alternatives of an answered
    question; for an escalated one, the closest entries from the best match on, so the agent who takes it over
    sees what the FAQ holds nearby (nothing was sent to the customer). None when there is none."""
    if item["action"] == "escalate" and item.get("matched_question"):
        best = {"question": item["matched_question"], "answer": item.get("matched_answer", ""), "similarity": item["similarity"]}
        return "Closest FAQ entries (not sent: for the agent)", [best, *item["alternatives"]]
    return ("Next alternatives", item["alternatives"]) if item["alternatives"] else None


def intent_note(action: str, reasons: list[str], intent_confidence: float | None, reference: float | None = None) -> str | None:
    """The caption under the intent: its confidence, or when the question matched no FAQ entry, that the label is only
    the nearest intent the model knows (a question about the weather still gets a bank intent, often at a confidence
    near 1, which would read as certainty). A model that is unsure even of the FAQ's own questions (``reference``,
    its median there, below 0.9) gets that figure beside it, so 0.37 does not read as doubt."""
    if intent_confidence is None:
        return None
    if action == "escalate" and LOW_SIMILARITY in reasons:
        return "only the nearest intent the model knows: the question matched no FAQ entry"
    text = f"model confidence {intent_confidence:.2f}"
    if reference is not None and reference < 0.9:
        text += f" (typical for this FAQ's own questions: {reference:.2f})"
    return text


def intent_name(label: str | None) -> str:
    """An intent label as a support team reads it: ``card_payment_wrong_exchange_rate`` → "Card payment wrong exchange
    rate" (the model's labels are identifiers; a label already in words is kept as written)."""
    if not label:
        return "no intent model"
    words = " ".join(label.replace("_", " ").split())
    return words[:1].upper() + words[1:] if "_" in label else label


def top_intents(distribution: pd.DataFrame, shown: int = 20) -> pd.DataFrame:
    """The most frequent intents of a ticket export (``TicketReport.intent_distribution``), most first, named in words."""
    top = distribution.sort_values("tickets", ascending=False, kind="stable").head(shown)
    return top.assign(intent=[intent_name(label) for label in top["intent"]])


ANSWERED, ESCALATED = "answered from the FAQ", "escalated"
TICKET_OUTCOME_COLORS = {ANSWERED: "#2a9d8f", ESCALATED: "#8d99ae"}  # as Past questions' answered and escalated


def intent_outcomes(top: pd.DataFrame) -> pd.DataFrame:
    """intent, outcome, tickets: each of the top intents (``top_intents``) split into the tickets the knowledge base
    would answer and those it would escalate, for a stacked bar: what customers ask most and what goes unanswered."""
    rows = [(intent, outcome, n) for intent, total, done in zip(top["intent"], top["tickets"], top["answered"], strict=True)
            for outcome, n in ((ANSWERED, int(done)), (ESCALATED, int(total - done)))]  # fmt: skip
    return pd.DataFrame(rows, columns=["intent", "outcome", "tickets"])


def partial_periods_caption(report: TicketReport, trend: pd.DataFrame, unit: str) -> str | None:
    """What the lighter bars of the sentiment trend (``TicketReport.sentiment_over_time``) mean: the first or last
    period is only partly covered by the export, so it holds fewer tickets for that reason alone. None when none is."""
    periods = trend.drop_duplicates("period")
    if not periods["partial"].any():
        return None
    if len(periods) == 1:
        which = f"The only {unit} shown is"
    else:
        ends = [name for name, row in (("first", periods.iloc[0]), ("last", periods.iloc[-1])) if row["partial"]]
        which = f"The {' and the '.join(f'{end} {unit}' for end in ends)} {'are' if len(ends) > 1 else 'is'}"
    stamps = report.charted_stamps
    span = f"{stamps.min():%-d %b %Y} to {stamps.max():%-d %b %Y}"
    return (f"{which} only partly covered by the file (its tickets run from {span}): lighter bars, "
            f"lower for that reason alone.")


def far_tickets_caption(report: TicketReport) -> str | None:
    """Which dated tickets the sentiment trend leaves out as far from the rest (``TicketReport.far_tickets``); None if none."""
    far, said = report.far_tickets(), []
    for stamps, side in zip(far, ("before", "after"), strict=True):
        if len(stamps):
            first, last = f"{stamps.min():%-d %b %Y}", f"{stamps.max():%-d %b %Y}"
            said.append(f"{count_of(len(stamps), 'ticket')} dated {first if first == last else f'{first} to {last}'}, far {side} the rest")
    if not said:
        return None
    left_out = sum(len(stamps) for stamps in far)
    return (f"{' and '.join(said)}, {one_or_many(left_out, 'is', 'are')} left out of this chart (a wrong date in the export, "
            "perhaps); every other figure counts them.")


def readable_log(log: pd.DataFrame) -> pd.DataFrame:
    """The question log as the Log tab shows it: intents in words, as on the Ask tab."""
    return log.assign(intent=[intent_name(label) if isinstance(label, str) and label else "" for label in log["intent"]])


DECISION_COLORS = {"answered": "#2ca02c", "escalated": "#ff7f0e"}


def log_counts(insights: QuestionInsights) -> list[tuple[str, str]]:
    """The Log tab's headline numbers: asked, answered and escalated (with their shares), marked not helpful."""
    asked = insights.asked
    answered, escalated = insights.count("answer"), insights.count("escalate")
    return [
        ("Questions asked", f"{asked:,}"), ("Answered", f"{answered:,} ({percent(answered / asked)})"),
        ("Escalated", f"{escalated:,} ({percent(escalated / asked)})"), ("Marked not helpful", f"{insights.not_helpful:,}"),
    ]  # fmt: skip


def log_intents(insights: QuestionInsights) -> pd.DataFrame:
    """The most asked intents by decision, named in words as on the Ask tab."""
    counts = insights.intent_counts()
    return counts.assign(intent=[intent_name(label) if label != NO_INTENT else label for label in counts["intent"]])


def group_label(clusters: pd.DataFrame, number: int, unit: str = "question") -> str:
    """An unanswered group as a choice: its number, words and size (in questions, or tickets on the Tickets tab)."""
    row = clusters.loc[clusters["cluster"] == number].iloc[0]
    return f"Group {number}: {row['label']} ({count_of(int(row['size']), unit)})"


def group_examples(clusters: pd.DataFrame, number: int) -> list[str]:
    """The group's listed examples, the one closest to its centre first."""
    examples = clusters.loc[clusters["cluster"] == number, "examples"].iloc[0]
    return str(examples).split(" | ")


def group_question(clusters: pd.DataFrame, number: int) -> str:
    """The suggested question of the group's new FAQ entry: its example closest to its centre (listed first), or once
    entries written since answer some of its examples (``with_answer_now``), the first one still escalated."""
    if "still_open" in clusters:
        still_open = clusters.loc[clusters["cluster"] == number, "still_open"].iloc[0]
        if still_open:
            return str(still_open)
    return group_examples(clusters, number)[0]


def questions_to_ask_again(clusters: pd.DataFrame, number: int) -> list[str]:
    """The group's listed questions, its suggested one (``group_question``) first: what is asked again once its
    missing answer is written."""
    suggested = group_question(clusters, number)
    return [suggested, *(question for question in group_examples(clusters, number) if question != suggested)]


def asked_again_text(kb: str, questions: list[str], entry_question: str) -> str:
    """The check after writing a group's missing answer: the group's questions (its most typical first) asked again
    (not logged) and what the knowledge base does with them now; one still escalated is named, so the team learns it
    now rather than from the next customer."""
    question, *others = questions
    result = ask(kb, question, log=False)
    if not result.decision.escalate:
        which = "the new entry" if result.matched_question == " ".join(entry_question.split()) else f"the entry {result.matched_question!r}"
        said = f"Asked again now, {question!r} is answered with {which} (confidence {result.decision.confidence:.2f})."
    elif result.decision.reasons == [VERY_NEGATIVE]:  # the entry matched; the tone alone sends it to an agent
        said = (f"Asked again now, {question!r} is still escalated ({VERY_NEGATIVE}): very negative customers go to an "
                "agent whatever the FAQ holds; the entry answers calmer wordings of it.")
    else:
        said = (f"Asked again now, {question!r} is still escalated ({', '.join(result.decision.reasons)}): word the entry's "
                "question the way customers ask, or add more ways of asking it in the Knowledge bases tab.")
    still = [other for other, now in zip(others, answered_now(kb, others), strict=True) if now.entry is None]  # one pass
    if still:
        one = len(still) == 1
        said += (f" Still escalated from the same group: {', '.join(map(repr, still))}; where {'it asks' if one else 'they ask'} "
                 f"the same, add {'it' if one else 'them'} to the entry as another way of asking (Knowledge bases tab).")
    return said


STILL_ESCALATED = "still escalated"
ALL_ANSWERED = "answered: "  # how Asked now starts for a group whose every listed question is answered now
UPSET_ESCALATED = "still escalated (upset customers)"  # every example very negative: they go to an agent whatever the FAQ holds


def with_answer_now(clusters: pd.DataFrame, kb: str) -> pd.DataFrame:
    """The groups of escalated questions with what ``kb`` does with each group's listed examples now (column ``now``):
    "answered: 'FAQ question'" once entries written since answer them all, "2 of 3 answered: 'FAQ question'" when
    only some are (the group is still open, and ``still_open`` holds its first example still escalated), else
    "still escalated" (UPSET_ESCALATED where every one escalates for the customer's very negative tone)."""
    examples = [group_examples(clusters, n) for n in clusters["cluster"]]
    entries = iter(answered_now(kb, [question for group in examples for question in group]))
    now = [[next(entries) for _ in group] for group in examples]
    out = clusters.copy()
    out.insert(out.columns.get_loc("size") + 1, "now", [_answered_text(group) for group in now])  # before the long examples
    # the first example still escalated where others are answered now: the question the group's entry still needs
    out["still_open"] = [next((q for q, n in zip(group, got) if n.entry is None), "") if any(n.entry for n in got) else ""
                         for group, got in zip(examples, now)]  # fmt: skip
    return out


def _answered_text(now: list[AskedNow]) -> str:
    answered = [n.entry for n in now if n.entry is not None]
    if not answered:
        return UPSET_ESCALATED if now and all(VERY_NEGATIVE in n.reasons for n in now) else STILL_ESCALATED
    which = ", ".join(map(repr, dict.fromkeys(answered)))  # the entries that answer, first seen first
    return ALL_ANSWERED + which if len(answered) == len(now) else f"{len(answered)} of {len(now)} answered: {which}"


def unanswered_groups_csv(clusters: pd.DataFrame) -> bytes:
    """The groups of escalated questions as shown (with "now" once ``with_answer_now`` added it), for download."""
    return safe_csv(clusters.drop(columns=["still_open"], errors="ignore"))


def first_open_group(clusters: pd.DataFrame) -> int | None:
    """The largest group not fully answered since (``with_answer_now``), where the missing-answer form starts, before
    any an entry cannot help (UPSET_ESCALATED); the largest group when none is known to be answered."""
    if "now" not in clusters:
        return int(clusters["cluster"].iloc[0]) if len(clusters) else None
    open_groups = clusters.loc[~clusters["now"].str.startswith(ALL_ANSWERED)]
    helped = open_groups.loc[open_groups["now"] != UPSET_ESCALATED, "cluster"]
    first = helped if len(helped) else open_groups["cluster"]
    return int(first.iloc[0]) if len(first) else None


def added_entry_text(report: ImportReport) -> str:
    """The outcome of adding one FAQ entry from the Log tab, with why it was refused if it was (e.g. an empty answer)."""
    problems = "; ".join(f"{r.column}: {r.reason}" for r in report.rejected)
    return report.summary() + (f" ({problems})" if problems else "")


def missed_wordings_caption(count: int, kb: str) -> str:
    """What adding the missed questions does."""
    return (f"{count_of(count, 'past question')} went unanswered or got another answer although {kb!r} holds the answer. "
            f"Added as questions of those entries (a new version of the knowledge base, which can be rolled back), the "
            f"assistant recognises these wordings next time.")


def taught_text(report: ImportReport) -> str:
    """The outcome of adding missed wordings, with the caveat that the same file no longer tests anything new."""
    if not report.version:
        return added_entry_text(report)
    return (f"{report.summary()}. Answering this file again now asks questions the knowledge base holds, so it "
            f"will look better than it is: test on other past questions.")


def operating_point_label(name: str) -> str:
    return name[:1].upper() + name[1:]


def default_choice() -> tuple[str, bool, str | None]:
    """Where the choice starts, from the settings: (operating point, custom threshold on, a problem to show or None).
    With "custom" in the settings the custom threshold is on and the choice rests at the default point; a name that
    is not an operating point is a problem in words, and the choice starts at the default point."""
    try:
        name = points.point_name(get_settings().support_operating_point)
    except ValueError as exc:
        return points.DEFAULT, False, f"{exc}; using {points.DEFAULT!r} until the setting is fixed"
    return (points.DEFAULT, True, None) if name == points.CUSTOM else (name, False, None)


def team_threshold_text(kb: str, team: TeamThreshold) -> str:
    """Where the custom threshold starts from when the team set one for the knowledge base, and what it rests on."""
    basis = ("set by hand" if team.by_hand else "picked on the team's past questions" if team.checked is None
             else f"picked on {count_of(team.checked, 'past question')} with their expected answers")  # fmt: skip
    return (f"{kb} has a team threshold: {team.value:.2f}, {basis} by {team.set_by} on {team.set_at:%-d %b %Y}. Questions "
            "to it are answered at it unless you choose otherwise here (for this session).")  # fmt: skip


def percent(share: float, digits: int = 0) -> str:
    """A share as the pages write it: 0.034 -> "3 %"."""
    return f"{share * 100:.{digits}f} %"


CHOICES_CHANGED = ("The columns or the knowledge base were changed since these {what} were gone through: choose "
                   "**{again}** to see the results for the new choice (going back to the earlier choice shows them again).")
PAST_QUESTIONS_HINT = {False: "(Past questions tab)", True: "(as this tab does)"}  # where the page shows it: elsewhere / there


def effect_on_file(report: BatchReport | None, threshold: float) -> str | None:
    """What ``threshold`` would do on an answered file's questions with an expected answer, in words; None without
    such a file."""
    checked = checked_questions(report) if report is not None else 0
    if not checked:
        return None
    row = threshold_effects(report.outcomes, [threshold]).iloc[0]
    answered, wrong = int(row["right"] + row["wrong"]), int(row["wrong"])
    return (f"on the {count_of(checked, 'past question')} with an expected answer below, it would answer {answered:,} "
            f"({percent(answered / checked)}), {wrong:,} of them wrongly ({percent(wrong / checked)}), and escalate "
            f"{int(row['escalated']):,}")  # fmt: skip


def effect_text(point: str, custom_threshold: float | None = None, on_past_questions: bool = False,
                team: TeamThreshold | None = None, answered_file: BatchReport | None = None) -> str:
    """The measured effect of an operating point in words, or what a custom threshold means: the knowledge base's team
    threshold picked on the team's own past questions was measured there; one set by hand, or any other, was not,
    unless ``answered_file`` (past questions answered on the page) measures it."""
    where = PAST_QUESTIONS_HINT[on_past_questions]
    on_file = effect_on_file(answered_file, custom_threshold) if custom_threshold is not None else None
    if on_file:
        which = "The team threshold" if team is not None and same_threshold(custom_threshold, team.value) else "Custom threshold"
        return f"{which} {custom_threshold:.2f} is in use instead of the choice above: {on_file}."
    if team is not None and same_threshold(custom_threshold, team.value):
        if team.by_hand:
            return (f"The team threshold {custom_threshold:.2f} is in use instead of the choice above: it was set by hand "
                    f"and its effect was not measured; try it on your past questions {where}.")  # fmt: skip
        how_many = "" if team.checked is None else f"{team.checked:,} of "
        return (f"The team threshold {custom_threshold:.2f} is in use instead of the choice above: it was picked on "
                f"{how_many}the team's past questions; answer a file of them with it to see its effect {where}.")  # fmt: skip
    if custom_threshold is not None:
        return (f"Custom threshold {custom_threshold:.2f} is in use instead of the choice above: its effect was not measured; "
                f"try it on your past questions first {where}.")  # fmt: skip
    p = points.operating_point(point)
    return (f"On a validation set of bank questions: answers {percent(p.answered)} of the questions the FAQ covers, "
            f"gives a wrong answer to {percent(p.wrong, 1)} of them, and escalates {percent(p.unknown_escalated)} of the "
            f"questions it has no answer for (threshold {p.threshold:.2f}).")  # fmt: skip


def caveat_text(point: str = points.DEFAULT, on_past_questions: bool = False) -> str:
    """The honest limit of those numbers: they were measured on Banking77 questions, and did not carry over to the
    customer FAQ test questions (the figure of the chosen operating point)."""
    p = points.operating_point(point)
    text = "Measured on Banking77 questions, not on your FAQ"
    if p.test_wrong is not None:
        text += (f": on a customer FAQ's test questions the {point} point gave a wrong answer to "
                 f"{percent(p.test_wrong)} of them, so check on your own past questions "
                 f"{PAST_QUESTIONS_HINT[on_past_questions]}")  # fmt: skip
    return text + "."


def policy_words(described: str) -> str:
    """A policy in words after "at": "the operating point balanced (threshold 0.74)", "the custom threshold 0.60" or
    "the team threshold 0.48" (``described``: ``Policy.describe``)."""
    return f"the {described}" if described.startswith(("custom", "team")) else f"the operating point {described}"


def tickets_policy_text(report: TicketReport) -> str:
    """Which policy decided the deflection rate, and where to try another one."""
    if not report.operating_point:
        return "No knowledge base was chosen, so no ticket counts as answered."
    return (f"Answered with {policy_words(report.operating_point)}: a wrong answer is worse than an escalation, so a "
            "ticket is only counted as answered when the match is confident. To see how another operating point or "
            "threshold does, answer a file of past questions with it (Past questions tab).")  # fmt: skip


def batch_policy_text(report: BatchReport) -> str:
    """Which operating point a file of past questions was answered with, and the file's columns renamed in the answers."""
    text = f"Answered with {policy_words(report.operating_point)}." if report.operating_point else ""
    renamed = report.renamed_text()
    return f"{text} {renamed[0].upper()}{renamed[1:]}.".strip() if renamed else text


def kb_rows(kbs: list[KBInfo]) -> list[dict]:
    return [{"name": k.name, "active version": k.active_version, "entries": k.entries, "versions": k.versions,
             "team threshold": team_threshold_cell(k.team)} for k in kbs]  # fmt: skip


def team_threshold_cell(team: TeamThreshold | None) -> str:
    """A knowledge base's team threshold in the list of bases: "0.48 (25 past questions)", "0.67 (set by hand)", ""."""
    if team is None:
        return ""
    basis = "set by hand" if team.by_hand else "past questions" if team.checked is None else count_of(team.checked, "past question")
    return f"{team.value:.2f} ({basis})"


def kb_delete_question(kb: KBInfo) -> str:
    return (f"Delete the knowledge base {kb.name!r} with its {count_of(kb.versions, 'version')} (the active one has "
            f"{count_of(kb.entries, 'entry', 'entries')})? The questions already asked of it stay in the question log. "
            "This cannot be undone.")  # fmt: skip


def kb_deleted_text(kb: KBInfo) -> str:
    return f"Deleted the knowledge base {kb.name!r} and its {count_of(kb.versions, 'version')}."


def rollback_choices(versions: pd.DataFrame) -> list[int]:
    """The versions one can roll back to: every one but the active one, newest first (as ``kb_versions`` lists them)."""
    if versions.empty:
        return []
    return [int(v) for v in versions.loc[~versions["active"], "version"]]


def versions_with_import_issues(versions: pd.DataFrame) -> list[int]:
    """The versions whose import left rows out (rejected or flagged for review), newest first."""
    if versions.empty:
        return []
    return [int(v) for v in versions.loc[(versions["rejected"] + versions["flagged"]) > 0, "version"]]


def guess_ticket_columns(columns: list[str], longest_texts: str | None = None) -> dict[str, str | None]:
    """The likeliest column of the export for each role (by name; case, underscores and hyphens ignored); the text falls
    back to the column with the longest texts (``suggest_text_column``), else the first."""
    lower = [" ".join(c.lower().replace("_", " ").replace("-", " ").split()) for c in columns]
    guesses = {role: next((columns[lower.index(n)] for n in names if n in lower), None) for role, names in TICKET_COLUMN_NAMES.items()}
    if guesses["text"] is None and columns:
        guesses["text"] = longest_texts if longest_texts in columns else columns[0]
    return guesses


def progress_text(doing: str) -> Callable[[int, int], str]:
    """The words under a progress bar from now on: ``progress_text("Scoring tickets")(400, 2000)`` -> "Scoring
    tickets… 400 of 2,000 · about 1m 04s left" (the time left once the speed so far tells it)."""
    started = time.monotonic()

    def text(done: int, total: int) -> str:
        return f"{doing}… {min(done, total):,} of {total:,}{time_left(time.monotonic() - started, done, total)}"

    return text


def clusters_caption(report: TicketReport) -> str:
    """What the unanswered-questions table shows: how many groups of how many tickets, and whether sizes are estimates."""
    unanswered = int((report.scored["action"] != "answer").sum()) if len(report.scored) else 0
    if not unanswered:
        return "The knowledge base would answer every ticket."
    groups = "The largest group" if len(report.clusters) == 1 else f"The {len(report.clusters)} largest groups"
    text = f"{groups} of the {count_of(unanswered, 'ticket')} it would escalate"
    if unanswered > MAX_CLUSTERED:
        text += f"; the sizes are estimated from a sample of {MAX_CLUSTERED:,}"
    return text + "."


def import_counts(report: ImportReport) -> list[tuple[str, str]]:
    counts = [("Added", len(report.added)), ("Updated", len(report.updated)), ("Unchanged", report.unchanged),
              ("Rejected", len(report.rejected)), ("Flagged for review", len(report.flagged))]  # fmt: skip
    return [(name, f"{n:,}") for name, n in counts]


def problem_lines(problems: list[RowIssue], shown: int = PROBLEMS_SHOWN) -> tuple[list[str], int]:
    """The first ``shown`` problems of a ticket export in words, and how many more there are."""
    lines = [f"line {p.line}, column {p.column!r}: {p.reason}" for p in problems[:shown]]
    return lines, max(0, len(problems) - shown)


def batch_counts(report: BatchReport) -> list[tuple[str, str]]:
    """The counts shown after answering a file of past questions (wrong only when an expected answer column was given)."""
    share = lambda n: f"{n:,} ({n / report.rows:.0%})" if report.rows else "0"  # noqa: E731
    counts = [("Questions", f"{report.rows:,}"), ("Answered", share(report.answered)), ("Escalated", share(report.escalated))]
    if report.checked:
        counts += [("Answered right", share(report.right)), ("Answered wrong", share(report.wrong))]
    return counts


OUTCOME_COLORS = {"Answered right": "#2a9d8f", "Answered wrong": "#d1495b", "Escalated": "#8d99ae"}


def point_threshold(point: str) -> float:
    """The confidence threshold of an operating point."""
    return points.operating_point(point).threshold


LINES_NAMED = 10


def expected_answers_problem(report: BatchReport, kb: str) -> str | None:
    """A warning when expected answers are not answers of the knowledge base (agents' own replies, another FAQ): such
    questions can never be answered right, so every answer to them counts as wrong; or when the column chosen is empty in
    every row, so nothing was checked. None when all are FAQ answers."""
    if report.unfilled_expected:
        return (f"The expected answer column {report.unfilled_expected!r} is empty in every row, so no answer was checked "
                f"(an empty cell means the FAQ has no answer to that question). Fill in the FAQ answer each question should "
                f"get, or choose (none) as the expected answer column.")
    if not report.not_in_kb:
        return None
    lines = ", ".join(map(str, report.not_in_kb[:LINES_NAMED])) + (", …" if len(report.not_in_kb) > LINES_NAMED else "")
    one = len(report.not_in_kb) == 1
    what = "1 expected answer is not an answer" if one else f"{len(report.not_in_kb):,} expected answers are not answers"
    return (f"{what} of the knowledge base {kb!r} ({'line' if one else 'lines'} {lines}): those questions can never be answered "
            f"right. The expected answer column should hold the FAQ answer each question should get, or that entry's FAQ "
            f"question (case, punctuation and spacing do not matter), or nothing where the FAQ has none.")


SOURCE_CHARS = 80  # a model version's notes (what it was trained on) as far as a caption quotes them


def intents_caption() -> str:
    """Where the intents of "what customers ask about most" come from (the active intent model and what it learned
    from), and what a team whose customers ask about other things does: the shipped model knows banking questions."""
    try:
        info = registry.active_version("intent")
    except LookupError:
        return ""
    notes = " ".join(info.notes.split())
    source = f": {notes[:SOURCE_CHARS]}{'…' if len(notes) > SOURCE_CHARS else ''}" if notes else ""
    return (f"Intents are the {len(info.labels):,} that the active intent model (v{info.version}{source}) knows: each "
            "question gets the nearest. If they do not fit what your customers ask, train an intent model on your own "
            "labelled questions in Model Studio (task intent).")


def nothing_to_teach_text(report: BatchReport) -> str:
    """Why no missed wording is offered: every question with an FAQ answer got it, or no expected answer is in the FAQ."""
    if not report.expected_in_kb:
        return "Nothing to add: no expected answer in this file is an answer (or question) of the FAQ, so none can be taught."
    return "Nothing to add: every question whose answer is in the FAQ was answered with it."


def checked_questions(report: BatchReport) -> int:
    """How many rows came with an expected answer (what the threshold table can check)."""
    return checked_count(report.outcomes)


def threshold_table(report: BatchReport) -> pd.DataFrame:
    """What each operating point (and the threshold the file was answered with, when custom) would have done on the
    file's questions: answered right, answered wrong, escalated, each as "5 (20 %)" of the checked questions."""
    used = {point_threshold(name): operating_point_label(name) for name in OPERATING_POINTS}
    if report.threshold is not None and round(report.threshold, 4) not in {round(t, 4) for t in used}:
        used[report.threshold] = "Team threshold" if report.operating_point.startswith("team") else "Custom (this file)"
    effects = threshold_effects(report.outcomes, list(used))
    cell = lambda n, share: f"{n} ({percent(share)})"  # noqa: E731
    return pd.DataFrame({
        "Choice": [used[t] for t in effects["threshold"]], "Threshold": effects["threshold"],
        "Answered right": [cell(n, x) for n, x in zip(effects["right"], effects["right_share"])],
        "Answered wrong": [cell(n, x) for n, x in zip(effects["wrong"], effects["wrong_share"])],
        "Escalated": [cell(n, x) for n, x in zip(effects["escalated"], effects["escalated_share"])],
    })  # fmt: skip


def threshold_sweep(report: BatchReport) -> pd.DataFrame:
    """Right, wrong and escalated shares of the checked questions at each threshold of the sweep, long form for a chart."""
    effects = threshold_effects(report.outcomes)
    long = effects.melt(id_vars="threshold", value_vars=["right_share", "wrong_share", "escalated_share"],
                        var_name="outcome", value_name="share")  # fmt: skip
    long["outcome"] = long["outcome"].map({"right_share": "Answered right", "wrong_share": "Answered wrong",
                                           "escalated_share": "Escalated"})  # fmt: skip
    return long


def suggestion(report: BatchReport, point: str = points.DEFAULT) -> tuple[float | None, str]:
    """(the threshold to offer or None, the sentence about it): the lowest threshold whose wrong answers on the file's
    checked questions stay within the wrong-answer budget of ``point`` (the default: balanced, 5 %)."""
    budget = points.operating_point(point).max_wrong
    found = suggest_threshold(report.outcomes, budget)
    checked = checked_questions(report)
    yours = f"your {count_of(checked, 'past question')}"
    if found is None and checked >= MIN_CHECKED_FOR_SUGGESTION:
        return None, (f"On {yours} even the highest threshold gives more than {percent(budget)} wrong answers: check that "
                      f"the expected answers are the FAQ's answers.")  # fmt: skip
    if found is None:
        return None, (f"Only {count_of(checked, 'past question')} with the expected answer column: add at least "
                      f"{MIN_CHECKED_FOR_SUGGESTION} for a suggested threshold (fewer move the figures too much), or set one by "
                      f"hand under Custom threshold above: its effect is then not measured.")  # fmt: skip
    if found.answered == 0:
        return None, (f"On {yours} no threshold answers any of them with at most {percent(budget)} wrong: add FAQ entries "
                      f"(or question wordings) for what customers ask.")  # fmt: skip
    _, high = wilson_interval(found.wrong, checked)
    return found.threshold, (
        f"On {yours}, threshold {found.threshold:.2f} answers the most ({found.answered:,}, "
        f"{percent(found.answered / checked)}) with at most {percent(budget)} wrong ({found.wrong:,} wrong), the "
        f"wrong-answer budget of the {point} point. With {checked:,} questions the wrong share on new questions could "
        f"still be up to {percent(high)} (95 % interval): more past questions narrow it.")  # fmt: skip


QUESTION_COLUMN_NAMES = ("question", "questions", "text", "message", "body", "query")
EXPECTED_ANSWER_COLUMN_NAMES = ("expected", "expected_answer", "expected answer", "answer", "correct_answer", "gold")
ANSWER_WORDS = {"expected", "answer", "answers", "correct", "gold"}  # a column named with one holds answers, not questions


def _words(column: str) -> set[str]:
    """The words of a column's name: "Customer_Text" -> {"customer", "text"}."""
    return set(re.split(r"[^0-9a-z]+", column.lower())) - {""}


def _named(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The column named one of ``names`` (case ignored; the first name found wins), else None."""
    by_lower = {c.lower(): c for c in reversed(columns)}
    return next((by_lower[n] for n in names if n in by_lower), None)


def _with_word(columns: list[str], words: set[str]) -> str | None:
    """The first column whose name holds one of ``words`` ("right_answer" holds "answer"), else None."""
    return next((c for c in columns if _words(c) & words), None)


def guess_question_column(columns: list[str], longest_texts: str | None = None) -> int:
    """The position of the likeliest question column of a past-questions file. Columns whose name says they hold
    answers ("right_answer") are passed over; of the others: one named as a question column, else the one with the
    longest texts (``UploadCheck.suggested_column``), else one whose name holds such a word ("customer_text"), else
    the first."""
    askable = [c for c in columns if not _words(c) & ANSWER_WORDS] or columns
    guess = (_named(askable, QUESTION_COLUMN_NAMES) or (longest_texts if longest_texts in askable else None)
             or _with_word(askable, set(QUESTION_COLUMN_NAMES)) or (askable[0] if askable else None))  # fmt: skip
    return columns.index(guess) if guess in columns else 0


def guess_expected_column(columns: list[str], question_column: str) -> str | None:
    """The likeliest expected-answer column of a past-questions file (by name, case ignored, else a name with an
    answer word: "right_answer"), never the question column."""
    others = [c for c in columns if c != question_column]
    return _named(others, EXPECTED_ANSWER_COLUMN_NAMES) or _with_word(others, ANSWER_WORDS)


def past_questions_upload(name: str, data: bytes, staged: Path | None = None) -> tuple[Path, UploadCheck]:
    """Keep an uploaded file of past questions once per upload (``staged``: the copy kept for it before; the answers are
    written beside it) and read its columns; InputFileError naming the file when it is unreadable, over the upload
    limit, or has a header and no rows."""
    if not still_kept(staged):
        staged = keep_upload("answer_uploads", name, data, default="questions")
    return staged, check_upload(staged, name)


def question_retention_note() -> str | None:
    """What the Log tab says about deleted questions, or None when every question is kept."""
    days = get_settings().keep_questions_days
    if days is None:
        return None
    return f"Questions are kept for {count_of(days, 'day')} (BEACON_KEEP_QUESTIONS_DAYS); the worker deletes older ones."
