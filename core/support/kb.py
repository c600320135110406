"""FAQ knowledge bases: import rules, versions (every change is a new version), rollback, the cached index.

Import rules (``check_faq``), per row of the file (line numbers count the header as line 1):
- an empty question or an empty answer is rejected (the reason names the line and column);
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
from sqlalchemy import func, select

from core.auth import record as record_event
from core.auth import require
from core.nlp.datacheck import LabelledFileError, read_labelled_file
from core.nlp.sentence_encoder import get_sentence_encoder
from core.storage import session_scope
from core.storage.tables import KnowledgeBase, KnowledgeBaseEntry, KnowledgeBaseVersion
from core.support.retrieval import ENCODER_NAME, IndexEntry, KBIndex, answer_key

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
        head = f"{self.kb}: {len(self.added)} added, {len(self.updated)} updated, {self.unchanged} unchanged, "
        head += f"{len(self.rejected)} rejected, {len(self.flagged)} flagged for review"
        return head + (f"; now version {self.version}" if self.version else "; nothing changed, no new version")

    def issues_frame(self) -> pd.DataFrame:
        rows = [{"status": "rejected", **asdict(i)} for i in self.rejected]
        rows += [{"status": "flagged for review", **asdict(i)} for i in self.flagged]
        return pd.DataFrame(rows, columns=["status", "line", "column", "question", "reason"])

    def as_dict(self) -> dict:
        return {
            "kb": self.kb, "version": self.version, "added": len(self.added), "updated": len(self.updated),
            "unchanged": self.unchanged, "embedded": self.embedded,
            "rejected": [asdict(i) for i in self.rejected], "flagged": [asdict(i) for i in self.flagged],
        }  # fmt: skip


def question_key(question: str) -> str:
    text = " ".join(question.lower().split()).rstrip("?!. ")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def read_faq_file(source: Path | bytes, name: str = "") -> pd.DataFrame:
    """Read an FAQ CSV (comma/semicolon/tab, UTF-8 or Latin-1) with every cell as text."""
    try:
        return read_labelled_file(source, name)
    except LabelledFileError as exc:
        raise FaqFileError(str(exc)) from exc


def suggest_faq_columns(frame: pd.DataFrame) -> tuple[str | None, str | None, str | None]:
    """Guess (question, answer, category) columns by name, else by position."""
    cols = list(frame.columns)
    lower = {c.lower(): c for c in cols}
    q = next((lower[n] for n in ("question", "questions", "q", "faq") if n in lower), cols[0] if cols else None)
    a = next((lower[n] for n in ("answer", "answers", "a", "response") if n in lower), None)
    if a is None:
        a = next((c for c in cols if c != q), None)
    cat = next((lower[n] for n in ("category", "class", "section", "topic") if n in lower), None)
    return q, a, cat


def check_faq(frame: pd.DataFrame, question_col: str, answer_col: str, category_col: str | None = None) -> FaqCheck:
    """Apply the import rules within the file (see the module docstring)."""
    for role, col in (("question", question_col), ("answer", answer_col), ("category", category_col)):
        if col is not None and col not in frame.columns:
            raise FaqFileError(f"the {role} column {col!r} is not in the file; columns: {', '.join(map(repr, frame.columns))}")
    if question_col == answer_col:
        raise FaqFileError("the question and answer columns must differ")
    check = FaqCheck(rows=[])
    by_key: dict[str, list[dict]] = {}
    for i, record in enumerate(frame.to_dict("records")):
        line = i + 2
        question, answer = _clean(record.get(question_col)), str(record.get(answer_col) or "").strip()
        category = _clean(record.get(category_col)) if category_col else ""
        if not question:
            check.rejected.append(RowIssue(line, question_col, "", "empty question"))
            continue
        if not answer:
            check.rejected.append(RowIssue(line, answer_col, question, "empty answer"))
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
        raise ValueError("give the knowledge base a name")
    if len(clean) > MAX_NAME:
        raise ValueError(f"the knowledge base name is longer than {MAX_NAME} characters")
    return clean


def _entries_of(session, version: KnowledgeBaseVersion | None) -> list[KnowledgeBaseEntry]:
    if version is None or not version.entry_ids:
        return []
    rows = {e.id: e for e in session.scalars(select(KnowledgeBaseEntry).where(KnowledgeBaseEntry.id.in_(version.entry_ids)))}
    return [rows[i] for i in version.entry_ids if i in rows]


def _version(session, kb: KnowledgeBase, number: int | None) -> KnowledgeBaseVersion | None:
    if number is None:
        return None
    return session.scalar(select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb.id, KnowledgeBaseVersion.version == number))


def _add_version(session, kb: KnowledgeBase, entry_ids: list[int], report: dict, note: str, created_by: str) -> int:
    latest = session.scalar(select(func.max(KnowledgeBaseVersion.version)).where(KnowledgeBaseVersion.kb_id == kb.id)) or 0
    session.add(KnowledgeBaseVersion(kb_id=kb.id, version=latest + 1, entry_ids=entry_ids, report=report, note=note, created_by=created_by))
    kb.active_version = latest + 1
    return latest + 1


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
    name = _kb_name(name)
    record_event("FAQ uploaded", name, detail={"file": file_name, "rows": len(frame)})
    check = check_faq(frame, question_col, answer_col, category_col)
    with session_scope() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
        if kb is None:
            kb = KnowledgeBase(name=name)
            session.add(kb)
            session.flush()
        current = _entries_of(session, _version(session, kb, kb.active_version))
        report = ImportReport(kb=name, version=None, rejected=check.rejected, flagged=check.flagged)
        by_key = {e.question_key: e for e in current}
        entry_ids = [e.id for e in current]
        new_rows: list[tuple[dict, KnowledgeBaseEntry | None]] = []  # (row, entry it replaces)
        for row in check.rows:
            old = by_key.get(question_key(row["question"]))
            if old is None:
                new_rows.append((row, None))
                report.added.append(row["question"])
            elif " ".join(old.answer.split()) != " ".join(row["answer"].split()) or (category_col and old.category != row["category"]):
                new_rows.append((row, old))
                report.updated.append(row["question"])
            else:
                report.unchanged += 1
        if not new_rows:
            return report
        # Reuse any stored vector of the same question text in this KB; embed only the rest.
        texts = sorted({row["question"] for row, _ in new_rows})
        known = {
            q: emb
            for q, emb in session.execute(
                select(KnowledgeBaseEntry.question, KnowledgeBaseEntry.embedding).where(
                    KnowledgeBaseEntry.kb_id == kb.id, KnowledgeBaseEntry.question.in_(texts), KnowledgeBaseEntry.encoder == ENCODER_NAME
                )
            )
        }
        missing = [q for q in texts if q not in known]
        if missing:
            for q, vec in zip(missing, get_sentence_encoder().encode(missing)):
                known[q] = vec.astype(np.float32).tobytes()
        report.embedded = len(missing)
        position = {eid: i for i, eid in enumerate(entry_ids)}
        for row, old in new_rows:
            entry = KnowledgeBaseEntry(
                kb_id=kb.id, question=row["question"], question_key=question_key(row["question"]), answer=row["answer"],
                category=row["category"] if category_col or old is None else old.category,
                embedding=known[row["question"]], encoder=ENCODER_NAME,
            )  # fmt: skip
            session.add(entry)
            session.flush()
            if old is not None:
                entry_ids[position[old.id]] = entry.id
            else:
                entry_ids.append(entry.id)
        note = f"import of {file_name}" if file_name else "import"
        report.version = _add_version(session, kb, entry_ids, report.as_dict(), note, created_by)
        return report


def import_faq_file(name: str, path: Path, question_col: str | None = None, answer_col: str | None = None,
                    category_col: str | None = None) -> ImportReport:  # fmt: skip
    frame = read_faq_file(path, str(path))
    q, a, c = suggest_faq_columns(frame)
    return import_faq(name, frame, question_col or q or "question", answer_col or a or "answer",
                      category_col if category_col else c, file_name=path.name)  # fmt: skip


def rollback_kb(name: str, version: int | None = None) -> int:
    """Make the entries of ``version`` (default: the version before the active one) current again, as a new
    version (history is kept, so a rollback can itself be rolled back). Returns the new version number."""
    created_by = require("analyst", "roll back knowledge bases").username
    record_event("knowledge base rolled back", name, detail={"to_version": version})
    with session_scope() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
        if kb is None:
            raise LookupError(f"no knowledge base named {name!r}")
        if version is None:
            version = (kb.active_version or 0) - 1
        target = _version(session, kb, version)
        if target is None or version < 1:
            raise LookupError(f"knowledge base {name!r} has no version {version} to roll back to")
        report = {"rollback_to": version, "entries": len(target.entry_ids)}
        return _add_version(session, kb, list(target.entry_ids), report, f"rollback to version {version}", created_by)


@dataclass(frozen=True)
class KBInfo:
    id: int
    name: str
    active_version: int | None
    entries: int
    versions: int


def list_kbs() -> list[KBInfo]:
    with session_scope() as session:
        out = []
        for kb in session.scalars(select(KnowledgeBase).order_by(KnowledgeBase.name)):
            versions = session.scalars(select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb.id)).all()
            active = next((v for v in versions if v.version == kb.active_version), None)
            out.append(KBInfo(kb.id, kb.name, kb.active_version, len(active.entry_ids) if active else 0, len(versions)))
        return out


def kb_versions(name: str) -> pd.DataFrame:
    with session_scope() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
        if kb is None:
            raise LookupError(f"no knowledge base named {name!r}")
        rows = [
            {"version": v.version, "active": v.version == kb.active_version, "entries": len(v.entry_ids), "note": v.note,
             "added": v.report.get("added", 0), "updated": v.report.get("updated", 0),
             "rejected": len(v.report.get("rejected", [])), "flagged": len(v.report.get("flagged", [])),
             "created_by": v.created_by, "created_at": v.created_at}
            for v in session.scalars(
                select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb.id).order_by(KnowledgeBaseVersion.version.desc())
            )
        ]  # fmt: skip
        return pd.DataFrame(rows)


def kb_entries(name: str) -> pd.DataFrame:
    """The active version's entries."""
    with session_scope() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
        if kb is None:
            raise LookupError(f"no knowledge base named {name!r}")
        entries = _entries_of(session, _version(session, kb, kb.active_version))
        return pd.DataFrame([{"question": e.question, "answer": e.answer, "category": e.category} for e in entries],
                            columns=["question", "answer", "category"])  # fmt: skip


_index_cache: dict[tuple, KBIndex] = {}
_index_lock = threading.Lock()


@dataclass(frozen=True)
class LoadedKB:
    id: int
    name: str
    version: int | None
    index: KBIndex


def load_kb(name: str, rerank_weight: float = 0.0) -> LoadedKB:
    """The active version's index, built once per process and version (a new version or rollback is picked up
    at the next call)."""
    from core.settings import get_settings

    with session_scope() as session:
        kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
        if kb is None:
            raise LookupError(f"no knowledge base named {name!r}; import an FAQ first (python -m core kb import --name NAME faq.csv)")
        version = _version(session, kb, kb.active_version)
        # The version row's creation time is in the key: a database recreated at the same URL (a restored
        # backup, a test) reuses ids and version numbers, and must not get another database's index.
        key = (get_settings().database_url, kb.id, kb.active_version or 0, version.created_at if version else None)
        with _index_lock:
            index = _index_cache.get(key)
        if index is None:
            entries = _entries_of(session, version)
            vectors = [np.frombuffer(e.embedding, dtype=np.float32) for e in entries]
            matrix = np.stack(vectors) if vectors else np.zeros((0, 384), np.float32)
            index = KBIndex([IndexEntry(e.id, e.question, e.answer, e.category) for e in entries], matrix)
            with _index_lock:
                for stale in [k for k in _index_cache if k[:2] == key[:2]]:
                    del _index_cache[stale]
                _index_cache[key] = index
        index.rerank_weight = rerank_weight
        return LoadedKB(kb.id, kb.name, kb.active_version, index)
