"""Batch answering: a file of past customer questions in, the same rows out (input order, input columns kept) with
what the assistant would have done for each: ``action`` (answer | escalate), ``answer`` (the FAQ answer or the
escalation text), ``matched_question``, ``confidence``, ``reasons``, ``intent``, ``sentiment``; with an expected
answer column also ``correct`` (the answer given is the expected one, ``answer_key`` rule; empty when escalated). An
expected answer may also name the FAQ entry by its question; an empty one means the FAQ has no answer to that
question: answering it is wrong, escalating it is not.

Reading is the batch-scoring reader (``core.scoring.reading``: CSV/Excel, encodings, delimiters); a record that
cannot be read (wrong number of fields) still gets its output row, escalated, with the line and the problem in
``reasons``, so nothing is lost. Batch answers are not logged as interactions (they are a test, not customers). The
report names the operating point (or custom threshold) the rows were answered with, and keeps each row's
``RowOutcome`` so the page can show what other thresholds would have done (``core.support.threshold_effects``).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from core.downloads import SafeCsvWriter
from core.repositories import knowledge_bases as kb_store
from core.scoring.reading import InputFileError, InputSpec, inspect_input, iter_chunks, kept_input_names, no_column
from core.support.assistant import ESCALATE_TEXT, MAX_QUESTION_CHARS, RERANK_WEIGHT, analyse
from core.support.decision import LOW_SIMILARITY, UNKNOWN_INTENT, Policy, decide
from core.support.kb import ImportReport, import_faq, load_kb, policy_for, question_key
from core.support.retrieval import answer_key
from core.support.threshold_effects import RowOutcome
from core.wording import count_of

ADDED_COLUMNS = ["action", "answer", "matched_question", "confidence", "reasons", "intent", "sentiment"]
CHUNK_ROWS = 256


@dataclass
class BatchReport:
    kb: str = ""  # the knowledge base the rows were answered from
    rows: int = 0
    answered: int = 0
    escalated: int = 0
    right: int = 0  # answered with the expected answer (only with an expected column)
    wrong: int = 0  # answered with another answer, or answered though none was expected (only with an expected column)
    checked: bool = False  # an expected answer column was given (and has a value in some row)
    unfilled_expected: str = ""  # the expected answer column given, empty in every row: nothing could be checked
    not_in_kb: list[int] = field(default_factory=list)  # lines whose expected answer is no answer of the knowledge base
    expected_in_kb: int = 0  # rows whose expected answer the knowledge base holds (what teaching can use)
    missed: dict[str, dict] = field(default_factory=dict, repr=False)  # question key -> a wording it missed (missed_wordings)
    unreadable: list[str] = field(default_factory=list)  # "line N: problem"
    renamed: dict[str, str] = field(default_factory=dict)  # an input column named like an added one -> its name in the output
    operating_point: str = ""  # the policy the rows were answered with, in words (Policy.describe)
    threshold: float | None = None  # its confidence threshold
    outcomes: list[RowOutcome] = field(default_factory=list, repr=False)  # one per row, in input order

    def summary(self) -> str:
        text = f"{count_of(self.rows, 'row')}: {self.answered} answered, {self.escalated} escalated"
        if self.checked:
            text += f"; of the answered, {self.right} right and {self.wrong} wrong (expected answer column)"
        if self.unfilled_expected:
            text += f"; the expected answer column {self.unfilled_expected!r} is empty in every row, so no answer was checked"
        text += f"; {count_of(len(self.unreadable), 'unreadable row')} (escalated, see reasons)" if self.unreadable else ""
        text += f"; {self.renamed_text()}" if self.renamed else ""
        return text + (f"; operating point: {self.operating_point}" if self.operating_point else "")

    def renamed_text(self) -> str:
        """"your column 'answer' is 'input_answer' in the output, beside the assistant's" ("" when none was)."""
        if not self.renamed:
            return ""
        pairs = ", ".join(f"{old!r} is {new!r}" for old, new in self.renamed.items())
        return f"your column{'s' if len(self.renamed) > 1 else ''} {pairs} in the output, beside the assistant's"


def _columns(columns: list[str], text_column: str, expected_column: str | None, name: str) -> None:
    for role, col in (("text", text_column), ("expected answer", expected_column)):
        if col is not None and col not in columns:
            raise InputFileError(f"{name}: {no_column(col, columns, role)}")


def _renamed_input_columns(columns: list[str]) -> dict[str, str]:
    """The input's columns named like a column the answers add (past tickets are often "question, answer", the
    agent's reply): kept in the output as ``input_answer``, as batch scoring keeps them, so neither is lost."""
    kept = kept_input_names(columns, ADDED_COLUMNS + ["correct"])
    return {old: new for old, new in zip(columns, kept, strict=True) if old != new}


@dataclass(frozen=True)
class _Answered:
    added: list[object]  # the cells added to the row (ADDED_COLUMNS)
    best_answer: str  # the best match's answer, given or not ("" without a match)
    held_back: bool  # escalated whatever the confidence threshold


def _answer_rows(texts: list[str], index, policy: Policy) -> list[_Answered]:  # noqa: ANN001 - KBIndex
    """What the assistant does with each text (an empty text is escalated without a model pass)."""
    asked = [i for i, t in enumerate(texts) if t.strip()]
    out = [_Answered(["escalate", ESCALATE_TEXT, "", 0.0, "empty question", "", ""], "", True) for _ in texts]
    if not asked:
        return out
    analysis = analyse([" ".join(texts[i].split())[:MAX_QUESTION_CHARS] for i in asked], index, policy)
    any_threshold = replace(policy, confidence_threshold=0.0)
    for j, i in enumerate(asked):
        decision, matches = analysis.decisions[j], analysis.matches[j]
        best = matches[0] if matches else None
        answer = best.entry.answer if best is not None and not decision.escalate else ESCALATE_TEXT
        (intent, _), (sentiment, negative) = analysis.intent_of(j), analysis.sentiment_of(j)
        held_back = decide(best.similarity if best else None, analysis.intent_evidence(j), negative, any_threshold).escalate
        added = [decision.action, answer, best.entry.question if best else "", decision.confidence, ", ".join(decision.reasons),
                 intent or "", sentiment or ""]  # fmt: skip
        out[i] = _Answered(added, best.entry.answer if best else "", held_back)
    return out


def answer_file(kb_name: str, source: Path, text_column: str, output: Path, expected_column: str | None = None,
                policy: Policy | None = None, progress: Callable[[int], None] | None = None,
                name: str | None = None) -> BatchReport:  # fmt: skip
    """Answer every row of ``source`` from knowledge base ``kb_name`` and write ``output`` (see the module docstring).
    ``progress`` is called with the number of rows done after each chunk."""
    name = name or source.name
    spec = inspect_input(source, name=name)
    _columns(spec.columns, text_column, expected_column, name)
    unfilled = expected_column if expected_column and not _has_values(spec, expected_column, name) else ""
    expected_column = None if unfilled else expected_column  # a column added but never filled in: no question "expects" nothing
    loaded = load_kb(kb_name, RERANK_WEIGHT)
    index = loaded.index
    by_answer = {answer_key(e.answer): e for e in index.entries}
    as_answer = _expected_as_answer(index.entries, by_answer)
    policy = policy or policy_for(kb_name)
    col, expected = spec.columns.index(text_column), spec.columns.index(expected_column) if expected_column else None
    report = BatchReport(kb=loaded.name, operating_point=policy.describe(), threshold=policy.confidence_threshold,
                         checked=expected is not None, unfilled_expected=unfilled, renamed=_renamed_input_columns(spec.columns))
    header = [report.renamed.get(c, c) for c in spec.columns] + ADDED_COLUMNS + (["correct"] if expected is not None else [])
    with output.open("w", encoding="utf-8", newline="") as fh:
        writer = SafeCsvWriter(fh)
        writer.writerow(header)
        for chunk in iter_chunks(spec, CHUNK_ROWS, name=name):
            answers = iter(_answer_rows([row[col] for row in chunk.rows], index, policy))
            rows = iter(chunk.rows)
            records = sorted([(line, None) for line in chunk.lines] + [(b.line, b) for b in chunk.bad], key=lambda r: r[0])
            for line, bad in records:
                if bad is not None:
                    row, added = _unreadable(report, line, bad.problem, len(spec.columns))
                    correct = "" if expected is not None else None
                else:
                    row, answered = next(rows), next(answers)
                    added = answered.added
                    wanted = as_answer(row[expected]) if expected is not None else None
                    report.outcomes.append(_outcome(answered, wanted))
                    correct = _correct(added, wanted) if wanted is not None else None
                    if wanted is not None:
                        _check_expected(report, line, row[col], wanted, added, correct, by_answer)
                _count(report, added, correct)
                writer.writerow(row + added + ([correct] if correct is not None else []))
            if progress:
                progress(report.rows)
    return report


def _unreadable(report: BatchReport, line: int, problem: str, width: int) -> tuple[list[str], list[object]]:
    """An unreadable row's output cells: blank input columns and an escalation that says which line and why."""
    report.unreadable.append(f"line {line}: {problem}")
    report.outcomes.append(RowOutcome(0.0, True, None))
    reason = f"unreadable row (line {line}: {problem})"
    return [""] * width, ["escalate", ESCALATE_TEXT, "", 0.0, reason, "", ""]


def _expected_as_answer(entries: list, by_answer: dict) -> Callable[[str], str]:
    """What an expected answer cell asks for, as an FAQ answer: the cell itself, or the answer of the FAQ question it
    names (teams often list the FAQ entry a question belongs to by its question; an answer's own words come first)."""
    by_question = {answer_key(e.question): e.answer for e in entries}

    def as_answer(cell: str) -> str:
        key = answer_key(cell)
        return cell if key in by_answer or key not in by_question else by_question[key]

    return as_answer


def _has_values(spec: InputSpec, column: str, name: str) -> bool:
    """Whether any row of the file has a value in ``column`` (a parse without answering)."""
    at = spec.columns.index(column)
    return any(row[at].strip() for chunk in iter_chunks(spec, CHUNK_ROWS, name=name) for row in chunk.rows)


def _right(answer: str, expected: str) -> bool:
    """Whether ``answer`` is the expected one; an empty expected answer (none in the FAQ) is never met."""
    return bool(expected.strip()) and answer_key(answer) == answer_key(expected)


def _outcome(answered: _Answered, expected: str | None) -> RowOutcome:
    """The row's outcome at any threshold; ``right`` is None without an expected answer column."""
    right = _right(answered.best_answer, expected) if expected is not None else None
    return RowOutcome(float(answered.added[3]), answered.held_back, right)


def _correct(added: list[object], expected: str) -> str:
    """"yes" / "no" when the row was answered (with an expected answer column), "" when it was escalated."""
    if added[0] != "answer":
        return ""
    return "yes" if _right(str(added[1]), expected) else "no"


def _count(report: BatchReport, added: list[object], correct: str | None) -> None:
    report.rows += 1
    report.answered += added[0] == "answer"
    report.escalated += added[0] != "answer"
    report.right += correct == "yes"
    report.wrong += correct == "no"


def read_answers(path: Path) -> list[dict]:
    """The rows of a written answers file (for the page and tests)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _check_expected(report: BatchReport, line: int, question: str, expected: str, added: list[object], correct: str,
                    by_answer: dict) -> None:  # fmt: skip
    """Note an expected answer the knowledge base does not hold (``not_in_kb``), and a question the assistant missed
    although the knowledge base holds its expected answer (``missed``): escalated because no entry was close enough
    (or the intent unclear), or answered with another answer."""
    if not expected.strip():
        return
    entry = by_answer.get(answer_key(expected))
    if entry is None:
        report.not_in_kb.append(line)
        return
    report.expected_in_kb += 1
    question, reasons = " ".join(question.split()), str(added[ADDED_COLUMNS.index("reasons")])
    missed = correct == "no" or (added[0] == "escalate" and any(r in reasons for r in (LOW_SIMILARITY, UNKNOWN_INTENT)))
    if missed and question:
        report.missed.setdefault(question_key(question), {"question": question, "answer": entry.answer, "category": entry.category})


def missed_wordings(kb_name: str, report: BatchReport) -> list[dict]:
    """The questions of an answered file the assistant missed although the knowledge base holds their answer, one
    row per new wording (``question``, the entry's ``answer`` and ``category``), ready to be added as FAQ questions.
    Questions the knowledge base holds now are left out (adding one would change that entry's answer; after
    ``add_wordings`` that is all of them)."""
    held = {question_key(e.question) for e in load_kb(kb_name).index.entries}
    return [wording for key, wording in report.missed.items() if key not in held]


def add_wordings(kb_name: str, wordings: list[dict]) -> ImportReport:
    """Add the missed wordings (``missed_wordings``) to the knowledge base as FAQ questions: a new version.
    LookupError when the knowledge base was deleted since (an import would create a new one of only these)."""
    if kb_store.active_version(kb_name).kb_id is None:
        raise LookupError(f"the knowledge base {kb_name!r} no longer exists (it was deleted), so nothing was added")
    frame = pd.DataFrame(wordings, columns=["question", "answer", "category"])
    return import_faq(kb_name, frame, "question", "answer", "category", file_name="the Past questions tab")
