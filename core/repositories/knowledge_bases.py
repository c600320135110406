"""FAQ knowledge bases: every query on ``support_kbs``, their versions and entries, and the logged questions
(``support_interactions``). The import rules and the index live in ``core.support``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.repositories.expired import delete_oldest_before
from core.storage import session_scope
from core.storage.tables import KnowledgeBase, KnowledgeBaseEntry, KnowledgeBaseVersion, SupportInteraction, utcnow
from core.wording import loose_key


class VersionChanged(Exception):
    """The knowledge base got a new version between reading it and writing the next one (a concurrent import)."""


@dataclass(frozen=True)
class Entry:
    id: int
    question: str
    question_key: str
    answer: str
    category: str
    embedding: bytes = b""


@dataclass(frozen=True)
class NewEntry:
    question: str
    question_key: str
    answer: str
    category: str
    embedding: bytes
    replaces: int | None  # the id of the entry it updates, None for a new question


@dataclass(frozen=True)
class ActiveVersion:
    kb_id: int | None  # None: no knowledge base of that name yet
    name: str
    version: int | None
    created_at: datetime | None
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class TeamThreshold:
    """The confidence threshold a team set for a knowledge base's questions, by whom and when; ``by_hand``: typed in (its
    effect not measured) rather than picked on ``checked`` past questions with an expected answer (None: not recorded,
    for thresholds set before the count was kept)."""

    value: float
    set_by: str
    set_at: datetime
    checked: int | None = None
    by_hand: bool = False


@dataclass(frozen=True)
class KBSummary:
    id: int
    name: str
    active_version: int | None
    entries: int
    versions: int
    team: TeamThreshold | None = None  # the threshold its team set for its questions


def missing_kb(name: str, then: str = "") -> LookupError:
    """"no knowledge base named 'Bnk' (did you mean 'Bank'?); knowledge bases: Bank, Shop", or, with none at all,
    "…; there are none yet" followed by ``then`` (what to do about it)."""
    with session_scope() as session:
        names = list(session.scalars(select(KnowledgeBase.name).order_by(KnowledgeBase.name)))
    meant = difflib.get_close_matches(name, names, 1, 0.6)
    if not names:
        return LookupError(f"no knowledge base named {name!r}; there are none yet{then}")
    shown = ", ".join(names[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
    return LookupError(f"no knowledge base named {name!r}{f' (did you mean {meant[0]!r}?)' if meant else ''}; knowledge bases: {shown}")


LISTED = 10  # knowledge base names a message lists


def _kb(session: Session, name: str) -> KnowledgeBase | None:
    """The knowledge base of that name, capitals and spaces ignored ("bank" is "Bank": one base per name)."""
    kb = session.scalar(select(KnowledgeBase).where(KnowledgeBase.name == name))
    if kb is None:
        key = loose_key(name)
        kb = next((other for other in session.scalars(select(KnowledgeBase)) if loose_key(other.name) == key), None)
    return kb


def _version(session: Session, kb_id: int, number: int | None) -> KnowledgeBaseVersion | None:
    if number is None:
        return None
    return session.scalar(select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb_id, KnowledgeBaseVersion.version == number))


def _entries(session: Session, version: KnowledgeBaseVersion | None, with_embeddings: bool) -> tuple[Entry, ...]:
    if version is None or not version.entry_ids:
        return ()
    rows = {e.id: e for e in session.scalars(select(KnowledgeBaseEntry).where(KnowledgeBaseEntry.id.in_(version.entry_ids)))}
    return tuple(
        Entry(e.id, e.question, e.question_key, e.answer, e.category, e.embedding if with_embeddings else b"")
        for e in (rows[i] for i in version.entry_ids if i in rows)
    )


def _add_version(session: Session, kb: KnowledgeBase, entry_ids: list[int], report: dict, note: str, created_by: str) -> int:
    latest = session.scalar(select(func.max(KnowledgeBaseVersion.version)).where(KnowledgeBaseVersion.kb_id == kb.id)) or 0
    session.add(KnowledgeBaseVersion(kb_id=kb.id, version=latest + 1, entry_ids=entry_ids, report=report, note=note, created_by=created_by))
    kb.active_version = latest + 1
    return latest + 1


def active_version(name: str, with_entries: bool = False, with_embeddings: bool = False) -> ActiveVersion:
    """The knowledge base's active version (``kb_id`` None when there is no knowledge base of that name)."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            return ActiveVersion(None, name, None, None)
        version = _version(session, kb.id, kb.active_version)
        entries = _entries(session, version, with_embeddings) if with_entries else ()
        return ActiveVersion(kb.id, kb.name, kb.active_version, version.created_at if version else None, entries)


def version_entries(kb_id: int, number: int | None) -> tuple[Entry, ...]:
    """The entries of one version, with their embeddings, in the version's order."""
    with session_scope() as session:
        return _entries(session, _version(session, kb_id, number), with_embeddings=True)


def stored_embeddings(kb_id: int | None, questions: list[str], encoder: str) -> dict[str, bytes]:
    """Vectors already stored in this knowledge base for these exact question texts (by the same encoder)."""
    if kb_id is None or not questions:
        return {}
    query = select(KnowledgeBaseEntry.question, KnowledgeBaseEntry.embedding).where(
        KnowledgeBaseEntry.kb_id == kb_id, KnowledgeBaseEntry.question.in_(questions), KnowledgeBaseEntry.encoder == encoder
    )
    with session_scope() as session:
        return dict(session.execute(query).tuples().all())


def add_import_version(name: str, based_on: int | None, base_entry_ids: list[int], rows: list[NewEntry], encoder: str,
                       report: dict, note: str, created_by: str) -> int:  # fmt: skip
    """Store the new and updated entries and make a version of them the active one; creates the knowledge base when
    it is new. Raises VersionChanged when its active version is no longer ``based_on``."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            kb = KnowledgeBase(name=name)
            session.add(kb)
            session.flush()
        if kb.active_version != based_on:
            raise VersionChanged(name)
        entry_ids = list(base_entry_ids)
        position = {eid: i for i, eid in enumerate(entry_ids)}
        for row in rows:
            entry = KnowledgeBaseEntry(kb_id=kb.id, question=row.question, question_key=row.question_key, answer=row.answer,
                                       category=row.category, embedding=row.embedding, encoder=encoder)  # fmt: skip
            session.add(entry)
            session.flush()
            if row.replaces is not None:
                entry_ids[position[row.replaces]] = entry.id
            else:
                entry_ids.append(entry.id)
        return _add_version(session, kb, entry_ids, report, note, created_by)


def add_rollback_version(name: str, version: int | None, created_by: str) -> tuple[int, int]:
    """Make the entries of ``version`` (None: the one before the active one) current again as a new version.
    Returns (the version rolled back to, the new version number)."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            raise missing_kb(name)
        if version is None:
            version = (kb.active_version or 0) - 1
        target = _version(session, kb.id, version)
        if target is None or version < 1:
            raise LookupError(f"knowledge base {name!r} has no version {version} to roll back to")
        report = {"rollback_to": version, "entries": len(target.entry_ids)}
        return version, _add_version(session, kb, list(target.entry_ids), report, f"rollback to version {version}", created_by)


def _summary(session: Session, kb: KnowledgeBase) -> KBSummary:
    versions = session.scalars(select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb.id)).all()
    active = next((v for v in versions if v.version == kb.active_version), None)
    return KBSummary(kb.id, kb.name, kb.active_version, len(active.entry_ids) if active else 0, len(versions), _team(kb))


def _team(kb: KnowledgeBase) -> TeamThreshold | None:
    if kb.team_threshold is None:
        return None
    return TeamThreshold(kb.team_threshold, kb.team_threshold_by or "", kb.team_threshold_at or kb.created_at,
                         kb.team_threshold_checked, bool(kb.team_threshold_by_hand))  # fmt: skip


def list_kbs() -> list[KBSummary]:
    with session_scope() as session:
        return [_summary(session, kb) for kb in session.scalars(select(KnowledgeBase).order_by(KnowledgeBase.name))]


def team_threshold(name: str) -> TeamThreshold | None:
    with session_scope() as session:
        kb = _kb(session, name)
        return _team(kb) if kb is not None else None


def set_team_threshold(name: str, value: float | None, set_by: str, checked: int | None = None) -> str:
    """Store (or with None clear) a knowledge base's team threshold with the number of past questions it was picked on,
    or (``checked`` None) as set by hand; the base's name as stored ("shop" finds Shop). LookupError when there is no
    such base."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            raise missing_kb(name)
        kb.team_threshold = value
        kb.team_threshold_by, kb.team_threshold_at = (set_by, utcnow()) if value is not None else (None, None)
        kb.team_threshold_checked = checked if value is not None else None
        kb.team_threshold_by_hand = value is not None and checked is None
        return kb.name


def delete_kb(name: str) -> KBSummary | None:
    """Delete a knowledge base with its versions and entries (the database cascades); the questions asked of it stay
    in the question log without it. What was deleted, or None when there is no knowledge base of that name."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            return None
        gone = _summary(session, kb)
        session.delete(kb)
        return gone


def version_history(name: str) -> list[dict]:
    """Every version of a knowledge base, newest first."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            raise missing_kb(name)
        query = select(KnowledgeBaseVersion).where(KnowledgeBaseVersion.kb_id == kb.id).order_by(KnowledgeBaseVersion.version.desc())
        return [
            {"version": v.version, "active": v.version == kb.active_version, "entries": len(v.entry_ids), "note": v.note,
             "added": v.report.get("added", 0), "updated": v.report.get("updated", 0),
             "rejected": len(v.report.get("rejected", [])), "flagged": len(v.report.get("flagged", [])),
             "created_by": v.created_by, "created_at": v.created_at}
            for v in session.scalars(query)
        ]  # fmt: skip


def version_report(name: str, version: int) -> dict:
    """What the import (or rollback) that made this version reported: counts and the rows it did not import."""
    with session_scope() as session:
        kb = _kb(session, name)
        if kb is None:
            raise missing_kb(name)
        found = session.scalar(select(KnowledgeBaseVersion).where(
            KnowledgeBaseVersion.kb_id == kb.id, KnowledgeBaseVersion.version == version))  # fmt: skip
        if found is None:
            raise LookupError(f"knowledge base {kb.name!r} has no version {version}")
        return dict(found.report)


def log_question(values: dict) -> int:
    """Store one asked question (already masked) and the decision given; returns its id."""
    with session_scope() as session:
        row = SupportInteraction(**values)
        session.add(row)
        session.flush()
        return row.id


def set_feedback(interaction_id: int, helpful: bool) -> None:
    with session_scope() as session:
        row = session.get(SupportInteraction, interaction_id)
        if row is None:
            raise LookupError(f"no logged question with id {interaction_id}")
        row.feedback = 1 if helpful else -1
        row.feedback_at = utcnow()


def logged_questions(
    limit: int = 200, kb_name: str | None = None, since: datetime | None = None
) -> list[tuple[SupportInteraction, str | None]]:
    """The latest logged questions with their knowledge base's name, newest first (detached rows); only those
    asked at or after ``since`` (UTC) when given."""
    with session_scope() as session:
        query = select(SupportInteraction, KnowledgeBase.name).outerjoin(KnowledgeBase, KnowledgeBase.id == SupportInteraction.kb_id)
        if kb_name:
            query = query.where(KnowledgeBase.name == kb_name)
        if since is not None:
            query = query.where(SupportInteraction.created_at >= since)
        query = query.order_by(SupportInteraction.created_at.desc(), SupportInteraction.id.desc()).limit(limit)
        return [(row, name) for row, name in session.execute(query).all()]


def delete_questions_asked_before(cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` logged questions asked before ``cutoff`` (UTC), oldest first; how many went."""
    return delete_oldest_before(SupportInteraction, SupportInteraction.created_at, cutoff, limit)
