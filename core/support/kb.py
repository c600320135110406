"""FAQ knowledge bases: import rules, versions (every change is a new version), rollback, the cached index.

Import rules (``check_faq``), per row of the file (line numbers count the header as line 1):
- an empty question or an empty answer is rejected (the reason names the line and column), and so is a question
  without a word (only numbers or symbols: an id column picked as the questions);
- the same question (case, spacing and trailing punctuation ignored) twice in the file with the *same*
  answer (``answer_key``: case, quotes, punctuation and spacing ignored): the repeat is rejected as a
  repeated row;
- the same question twice in the file with *different* answers: every such row is flagged for review and
  none is imported (the team decides which answer is right; nothing is silently merged);
- a question already in the knowledge base with a different answer or category is *updated*; with the same
  answer it is *unchanged*; a new question is *added*. Entries not in the file stay.
Only added and updated entries are embedded; an unchanged question text reuses its stored vector.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.auth import record as record_event
from core.auth import require
from core.nlp.datacheck import LabelledFileError, read_labelled_file
from core.nlp.sentence_encoder import get_sentence_encoder
from core.repositories import knowledge_bases as kb_store
from core.scoring.reading import file_lines, header_only, no_column
from core.support.retrieval import ENCODER_NAME, IndexEntry, KBIndex, answer_key
from core.wording import count_of, has_word

MAX_NAME = 200


class FaqFileError(ValueError):
    """The FAQ file or the chosen columns cannot be used (the message says what and where)."""


@dataclass
class RowIssue:
    line: int
    column: str
    question: str
    reason: str


@dataclass
class FaqCheck:
    rows: list[dict]  # usable rows: line, question, answer, category
    rejected: list[RowIssue] = field(default_factory=list)
    flagged: list[RowIssue] = field(default_factory=list)  # duplicate questions with different answers


@dataclass
class ImportReport:
    kb: str
    version: int | None  # the new version, None when nothing changed
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    rejected: list[RowIssue] = field(default_factory=list)
    flagged: list[RowIssue] = field(default_factory=list)
    embedded: int = 0  # questions that needed a new embedding

    def summary(self) -> str:
        head = f"{self.kb}: {len(self.added):,} added, {len(self.updated):,} updated, {self.unchanged:,} unchanged, "
        head += f"{len(self.rejected):,} rejected, {len(self.flagged):,} flagged for review"
        return head + (f"; now version {self.version}" if self.version else "; nothing changed, no new version")

    def issues_frame(self) -> pd.DataFrame:
        return _issues_frame([asdict(i) for i in self.rejected], [asdict(i) for i in self.flagged])

    def as_dict(self) -> dict:
        return {
            "kb": self.kb, "version": self.version, "added": len(self.added), "updated": len(self.updated),
            "unchanged": self.unchanged, "embedded": self.embedded,
            "rejected": [asdict(i) for i in self.rejected], "flagged": [asdict(i) for i in self.flagged],
        }  # fmt: skip


def _issues_frame(rejected: list[dict], flagged: list[dict]) -> pd.DataFrame:
    rows = [{"status": "rejected", **i} for i in rejected] + [{"status": "flagged for review", **i} for i in flagged]
    frame = pd.DataFrame(rows, columns=["status", "line", "column", "question", "reason"])
    return frame.sort_values("line", kind="stable", ignore_index=True)  # the file's order, to work through it


def import_issues(name: str, version: int) -> pd.DataFrame:
    """The rows of the file imported as this version that were not imported (rejected, or flagged for review), by line:
    the list a team works through after the import, kept with the version."""
    report = kb_store.version_report(name, version)
    return _issues_frame(report.get("rejected", []), report.get("flagged", []))


def question_key(question: str) -> str:
    text = " ".join(question.lower().split()).rstrip("?!. ")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def read_faq_file(source: Path | bytes, name: str = "") -> pd.DataFrame:
    """Read an FAQ CSV (comma/semicolon/tab/pipe; UTF-8, UTF-16 or Windows-1252/Latin-1) with every cell as text."""
    try:
        frame = read_labelled_file(source, name)
    except LabelledFileError as exc:
        raise FaqFileError(str(exc)) from exc
    if frame.empty:
        raise FaqFileError(header_only(name or "the file", frame.columns))
    return frame


def faq_columns_by_name(columns: list[str]) -> tuple[str | None, str | None, str | None]:
    """The (question, answer, category) columns named as such (case ignored), None for each that is not."""
    lower = {c.lower(): c for c in columns}
    q = next((lower[n] for n in ("question", "questions", "q", "faq") if n in lower), None)
    a = next((lower[n] for n in ("answer", "answers", "a", "response") if n in lower), None)
    cat = next((lower[n] for n in ("category", "class", "section", "topic") if n in lower), None)
    return q, a, cat


def suggest_faq_columns(frame: pd.DataFrame) -> tuple[str | None, str | None, str | None]:
    """Guess (question, answer, category) columns by name, else by position among the columns that hold words (not an
    id or number column), for a page's pickers, shown to confirm."""
    cols = list(frame.columns)
    q, a, cat = faq_columns_by_name(cols)
    wordy = [c for c in cols if c not in (q, a, cat) and _holds_words(frame[c])] or [c for c in cols if c not in (q, a)]
    q = q or (wordy.pop(0) if wordy else None)
    return q, a or next((c for c in [*wordy, *cols] if c != q), None), cat


def _holds_words(values: pd.Series) -> bool:
    """Whether most filled cells of a column have a letter in them."""
    filled = values.dropna().astype(str).str.strip()
    filled = filled[filled != ""]
    return bool(len(filled)) and filled.map(has_word).mean() >= 0.5


def check_faq(frame: pd.DataFrame, question_col: str, answer_col: str, category_col: str | None = None) -> FaqCheck:
    """Apply the import rules within the file (see the module docstring)."""
    for role, col in (("question", question_col), ("answer", answer_col), ("category", category_col)):
        if col is not None and col not in frame.columns:
            raise FaqFileError(no_column(col, frame.columns, role))
    if question_col == answer_col:
        raise FaqFileError("the question and answer columns must differ")
    check = FaqCheck(rows=[])
    by_key: dict[str, list[dict]] = {}
    for line, record in zip(file_lines(frame), frame.to_dict("records"), strict=True):
        question, answer = _clean(record.get(question_col)), str(record.get(answer_col) or "").strip()
        category = _clean(record.get(category_col)) if category_col else ""
        if not question:
            check.rejected.append(RowIssue(line, question_col, "", "empty question"))
            continue
        if not answer:
            check.rejected.append(RowIssue(line, answer_col, question, "empty answer"))
            continue
        if not has_word(question):
            reason = f"no words in the question, only numbers or symbols: does column {question_col!r} hold the questions?"
            check.rejected.append(RowIssue(line, question_col, question, reason))
            continue
        by_key.setdefault(question_key(question), []).append({"line": line, "question": question, "answer": answer, "category": category})
    for rows in by_key.values():
        answers = {answer_key(r["answer"]) for r in rows}
        if len(answers) > 1:
            lines = ", ".join(str(r["line"]) for r in rows)
            for r in rows:
                reason = f"the same question has different answers on lines {lines}; not imported, review it"
                check.flagged.append(RowIssue(r["line"], answer_col, r["question"], reason))
            continue
        check.rows.append(rows[0])
        for r in rows[1:]:
            reason = f"repeated row (same question and answer as line {rows[0]['line']})"
            check.rejected.append(RowIssue(r["line"], question_col, r["question"], reason))
    check.rejected.sort(key=lambda r: r.line)
    check.flagged.sort(key=lambda r: r.line)
    check.rows.sort(key=lambda r: r["line"])
    return check


def _kb_name(name: str) -> str:
    clean = " ".join((name or "").split())
    if not clean:
        raise ValueError("Give the knowledge base a name.")
    if len(clean) > MAX_NAME:
        raise ValueError(f"The knowledge base name is longer than {MAX_NAME} characters.")
    return clean


IMPORT_ATTEMPTS = 3  # a concurrent import of the same knowledge base makes an import start over, at most this often


class ImportConflict(RuntimeError):
    """Other imports or rollbacks of the same knowledge base kept landing while this one was prepared; nothing of
    this import was stored."""


def _changes(check: FaqCheck, current: tuple[kb_store.Entry, ...], report: ImportReport,
             category_col: str | None) -> list[tuple[dict, kb_store.Entry | None]]:  # fmt: skip
    """The added and updated rows, each with the entry it replaces (None for a new question); counts them in ``report``."""
    by_key = {e.question_key: e for e in current}
    changed: list[tuple[dict, kb_store.Entry | None]] = []
    for row in check.rows:
        old = by_key.get(question_key(row["question"]))
        if old is None:
            changed.append((row, None))
            report.added.append(row["question"])
        elif " ".join(old.answer.split()) != " ".join(row["answer"].split()) or (category_col and old.category != row["category"]):
            changed.append((row, old))
            report.updated.append(row["question"])
        else:
            report.unchanged += 1
    return changed


def _embeddings(kb_id: int | None, questions: list[str]) -> tuple[dict[str, bytes], int]:
    """A vector per question: a stored one of the same question text in this knowledge base, else a new one (the
    encoder runs here, before any write transaction is opened). Returns them and how many were new."""
    known = kb_store.stored_embeddings(kb_id, questions, ENCODER_NAME)
    missing = [q for q in questions if q not in known]
    if missing:
        for q, vec in zip(missing, get_sentence_encoder().encode(missing)):
            known[q] = vec.astype(np.float32).tobytes()
    return known, len(missing)


def import_faq(
    name: str,
    frame: pd.DataFrame,
    question_col: str = "question",
    answer_col: str = "answer",
    category_col: str | None = None,
    file_name: str = "",
) -> ImportReport:
    """Create or update knowledge base ``name`` from an FAQ table; a change creates and activates a new version
    recorded as made by the acting user."""
    created_by = require("analyst", "import FAQs").username
    name = kb_store.active_version(_kb_name(name)).name  # as stored when it exists ("bank" imports into "Bank")
    check = check_faq(frame, question_col, answer_col, category_col)
    record_event("FAQ uploaded", name, detail={"file": file_name, "rows": len(frame)})
    for attempt in range(IMPORT_ATTEMPTS):
        current = kb_store.active_version(name, with_entries=True)
        report = ImportReport(kb=name, version=None, rejected=check.rejected, flagged=check.flagged)
        changed = _changes(check, current.entries, report, category_col)
        if not changed:
            return report
        known, report.embedded = _embeddings(current.kb_id, sorted({row["question"] for row, _ in changed}))
        rows = [
            kb_store.NewEntry(row["question"], question_key(row["question"]), row["answer"],
                              row["category"] if category_col or old is None else old.category, known[row["question"]],
                              old.id if old is not None else None)
            for row, old in changed
        ]  # fmt: skip
        note = f"import of {file_name}" if file_name else "import"
        try:
            report.version = kb_store.add_import_version(name, current.version, [e.id for e in current.entries], rows, ENCODER_NAME,
                                                         report.as_dict(), note, created_by)  # fmt: skip
            return report
        except kb_store.VersionChanged:
            if attempt == IMPORT_ATTEMPTS - 1:
                raise ImportConflict(f"knowledge base {name!r} was changed by someone else {IMPORT_ATTEMPTS} times while "
                                     "this import was prepared, so nothing was imported; import the file again") from None
    raise AssertionError("unreachable")


def import_faq_file(name: str, path: Path, question_col: str | None = None, answer_col: str | None = None,
                    category_col: str | None = None) -> ImportReport:  # fmt: skip
    frame = read_faq_file(path, str(path))
    q, a, c = faq_columns_by_name(list(frame.columns))
    unnamed = [role for role, given, found in (("question", question_col, q), ("answer", answer_col, a)) if not (given or found)]
    if unnamed:  # no guess by position where nobody sees the columns picked
        flags = " ".join(f"--{role}-column COL" for role in unnamed)
        raise FaqFileError(f"{path.name}: no column is named {' or '.join(map(repr, unnamed))} (columns: "
                           f"{', '.join(map(str, frame.columns))}); say which holds it: {flags}")
    return import_faq(name, frame, question_col or q, answer_col or a, category_col if category_col else c,
                      file_name=path.name)  # fmt: skip


def rollback_kb(name: str, version: int | None = None) -> int:
    """Make the entries of ``version`` (default: the version before the active one) current again, as a new
    version (history is kept, so a rollback can itself be rolled back). Returns the new version number."""
    created_by = require("analyst", "roll back knowledge bases").username
    target, new_version = kb_store.add_rollback_version(name, version, created_by)
    record_event("knowledge base rolled back", name, detail={"to_version": target})
    return new_version


def delete_kb(name: str) -> kb_store.KBSummary:
    """Delete a knowledge base with all its versions (admins); the questions already asked of it stay in the question
    log. What was deleted; LookupError when there is no knowledge base of that name."""
    require("admin", "delete knowledge bases")
    gone = kb_store.delete_kb(name)
    if gone is None:
        raise kb_store.missing_kb(name)
    record_event("knowledge base deleted", name, detail={"versions": gone.versions, "entries": gone.entries})
    return gone


TeamThreshold = kb_store.TeamThreshold


def team_threshold(name: str) -> TeamThreshold | None:
    """The confidence threshold the team set for this knowledge base's questions, or None (the settings' policy)."""
    return kb_store.team_threshold(name)


def set_team_threshold(name: str, threshold: float | None, checked: int | None = None) -> str:
    """Make ``threshold`` the confidence threshold of every question asked of ``name`` that does not choose its own (the
    Ask box's starting point, batch answering, the command line), or clear it with None. ``checked``: how many past
    questions with an expected answer it was picked on (None: set by hand, its effect not measured). What was done."""
    actor = require("analyst", "set a knowledge base's threshold")
    if threshold is not None:
        threshold = float(threshold)
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"a confidence threshold is between 0 and 1, not {threshold:g}")
        threshold = round(threshold, 2)
    before = kb_store.team_threshold(name)
    name = kb_store.set_team_threshold(name, threshold, actor.username, checked)
    if threshold is None:
        record_event("knowledge base threshold cleared", name)
        return f"{name} has no team threshold any more: its questions are answered at the settings' operating point."
    basis = "by hand" if checked is None else count_of(checked, "past question")
    record_event("knowledge base threshold set", name, detail={"threshold": threshold, "basis": basis})
    if before is not None and before.by_hand and checked is not None and round(before.value, 2) == threshold:
        return (f"{threshold:.2f} stays the team threshold of {name}, now measured: it rests on {basis} with their expected "
                "answers instead of being set by hand.")
    return f"{threshold:.2f} is now the team threshold of {name}: everyone's questions to it are answered at it by default."


def policy_for(name: str):  # noqa: ANN201 - a Policy (core.support.decision)
    """The policy questions to ``name`` get when none is chosen: its team threshold, else the settings'."""
    from core.support.decision import Policy

    team = kb_store.team_threshold(name)
    return Policy.for_team(team.value) if team else Policy.from_settings()


KBInfo = kb_store.KBSummary


def list_kbs() -> list[KBInfo]:
    return kb_store.list_kbs()


def kb_versions(name: str) -> pd.DataFrame:
    return pd.DataFrame(kb_store.version_history(name))


def kb_entries(name: str) -> pd.DataFrame:
    """The active version's entries."""
    kb = kb_store.active_version(name, with_entries=True)
    if kb.kb_id is None:
        raise kb_store.missing_kb(name)
    return pd.DataFrame([{"question": e.question, "answer": e.answer, "category": e.category} for e in kb.entries],
                        columns=["question", "answer", "category"])  # fmt: skip


def answer_of(name: str, question: str) -> str | None:
    """The answer the active version of ``name`` gives ``question`` as an entry of its own (the same question up to
    case, spacing and end punctuation, as an import matches them), or None: importing that question replaces it."""
    key = question_key(question)
    kb = kb_store.active_version(name, with_entries=True)
    return next((e.answer for e in kb.entries if question_key(e.question) == key), None)


_index_cache: dict[tuple, KBIndex] = {}  # never changed in place: an entry is replaced by a new dict
_index_lock = threading.Lock()


@dataclass(frozen=True)
class LoadedKB:
    id: int
    name: str
    version: int | None
    index: KBIndex


def _embedding_size() -> int:
    """The length of the base encoder's vectors (for an empty index)."""
    return int(get_sentence_encoder().model.config.hidden_size)


def _build_index(kb_id: int, version: int | None) -> KBIndex:
    entries = kb_store.version_entries(kb_id, version)
    if entries:
        matrix = np.stack([np.frombuffer(e.embedding, dtype=np.float32) for e in entries])
    else:
        matrix = np.zeros((0, _embedding_size()), np.float32)
    return KBIndex([IndexEntry(e.id, e.question, e.answer, e.category) for e in entries], matrix)


def load_kb(name: str, rerank_weight: float = 0.0) -> LoadedKB:
    """The active version's index, built once per process and version (a new version or rollback is picked up
    at the next call). Each caller gets its own index object with its ``rerank_weight``; the cached vectors are shared."""
    from core.settings import get_settings

    global _index_cache
    kb = kb_store.active_version(name)
    if kb.kb_id is None:
        raise kb_store.missing_kb(name, then=": import an FAQ first (python -m core kb import --name NAME faq.csv)")
    # The version row's creation time is in the key: a database recreated at the same URL (a restored
    # backup, a test) reuses ids and version numbers, and must not get another database's index.
    key = (get_settings().database_url, kb.kb_id, kb.version or 0, kb.created_at)
    index = _index_cache.get(key)
    if index is None:
        index = _build_index(kb.kb_id, kb.version)
        with _index_lock:
            _index_cache = {**{k: v for k, v in _index_cache.items() if k[:2] != key[:2]}, key: index}
    return LoadedKB(kb.kb_id, kb.name, kb.version, index.with_rerank_weight(rerank_weight))
