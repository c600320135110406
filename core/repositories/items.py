"""The SQL of feeds, their items (articles), company mentions and watchlists: feed rows and a crawl's write,
the filtered item queries of the Financial sentiment page, the items in an alert rule's scope, and
watchlist rows. The rules (what a
filter means, how a trend is bucketed, the spike test) live elsewhere in core; this module only reads and
writes rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, delete, false, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.repositories import daily_counts
from core.repositories import stories as story_rows
from core.repositories.owned import delete_owned, save_owned
from core.sentiment.entities import canonical_company
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, LabelCorrection, Watchlist, naive_utc, utcnow

# --- feeds -------------------------------------------------------------------------------------

INSERT_BATCH = 500  # rows per INSERT, well under SQLite's limit on bound parameters


@dataclass(frozen=True)
class FeedView:
    """A feed as plain data, safe to keep after the database session is closed."""

    id: int
    name: str
    url: str
    topics: list[str]
    enabled: bool
    interval_minutes: int
    last_fetched_at: datetime | None
    last_status: str | None  # ok | not_modified | empty | error; None before the first fetch
    last_error: str | None
    articles: int
    last_new_items: int = 0
    created_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None


class FeedTaken(Exception):
    """Another feed has this name (``field`` 'name') or URL ('url', ``other`` its name); 'either' when the
    database refused a duplicate a concurrent user added."""

    def __init__(self, field: str, other: str | None = None) -> None:
        super().__init__(field, other)
        self.field, self.other = field, other


def _view(feed: Feed, articles: int = 0) -> FeedView:
    return FeedView(
        id=feed.id, name=feed.name, url=feed.url, topics=list(feed.topics or []), enabled=bool(feed.enabled),
        interval_minutes=feed.interval_minutes, last_fetched_at=feed.last_fetched_at, last_status=feed.last_status,
        last_error=feed.last_error, articles=articles, last_new_items=feed.last_new_items or 0, created_at=feed.created_at,
        etag=feed.etag, last_modified=feed.last_modified,
    )


def list_feeds() -> list[FeedView]:
    """All feeds by name, with their last crawl result and how many articles each has."""
    with session_scope() as session:
        counts = dict(session.execute(select(Article.feed_id, func.count()).group_by(Article.feed_id)).all())
        return [_view(feed, counts.get(feed.id, 0)) for feed in session.scalars(select(Feed).order_by(Feed.name))]


def get_feed(feed_id: int) -> FeedView | None:
    """The feed (without its article count), or None."""
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        return None if feed is None else _view(feed)


def _check_unique(session: Session, name: str, url: str, feed_id: int | None = None) -> None:
    others = select(Feed.name).where(Feed.id != feed_id) if feed_id is not None else select(Feed.name)
    if session.scalar(others.where(func.lower(Feed.name) == name.lower())) is not None:
        raise FeedTaken("name", name)
    owner = session.scalar(others.where(Feed.url == url))
    if owner is not None:
        raise FeedTaken("url", owner)


def feed_clash(name: str, url: str) -> FeedTaken | None:
    """What writing a feed by name (``save_feed(..., by_name=True)``) would run into: another feed with this name in
    other letter case, or with this URL; None when it can be written."""
    with session_scope() as session:
        own = session.scalar(select(Feed.id).where(Feed.name == name))
        try:
            _check_unique(session, name, url, own)
        except FeedTaken as exc:
            return exc
    return None


def _apply(feed: Feed, **values: object) -> None:
    if "url" in values and values["url"] != feed.url and feed.id is not None:
        # a new URL is a new source: the old one's caching validators and last fetch say nothing about it, and the
        # worker's next cycle fetches it (its interval counts from a fetch)
        feed.etag = feed.last_modified = feed.last_fetched_at = feed.last_status = feed.last_error = None
        feed.last_new_items = 0
    for key, value in values.items():
        setattr(feed, key, value)


def save_feed(values: dict, feed_id: int | None = None, by_name: bool = False) -> tuple[int, str] | None:
    """Write a feed: a new one (neither ``feed_id`` nor ``by_name``), the one with ``feed_id`` (None when it
    does not exist), or the one named ``values['name']`` (created when missing). Returns (id, name).
    FeedTaken when another feed has the name (case-insensitively) or the URL."""
    try:
        with session_scope() as session:
            if feed_id is not None:
                feed = session.get(Feed, feed_id)
                if feed is None:
                    return None
            else:
                feed = session.scalar(select(Feed).where(Feed.name == values["name"])) if by_name else None
            _check_unique(session, values.get("name", feed.name if feed else ""), values.get("url", feed.url if feed else ""),
                          feed.id if feed else None)
            if feed is None:
                feed = Feed(name=values["name"], enabled=True)
                session.add(feed)
            elif values.get("name", feed.name) != feed.name:  # renamed: the alert rules that watch it follow
                from core.repositories.alerts import rename_scope

                rename_scope(session, "feed", feed.name, values["name"])
            _apply(feed, **values)
            session.flush()
            return feed.id, feed.name
    except IntegrityError as exc:  # another user added the same feed a moment ago
        raise FeedTaken("either") from exc


def delete_feed(feed_id: int, check: Callable[[str, list[str]], None] | None = None) -> str | None:
    """Delete the feed and (by the database's cascade, without loading them) its articles and mentions;
    returns its name, None when it was already gone. ``check(name, what watches it)`` runs inside the transaction
    and raises to refuse. A story whose lead item goes with the feed is counted through its first remaining item
    from then on."""
    with session_scope() as session:
        name = session.scalar(select(Feed.name).where(Feed.id == feed_id))
        if name is not None and check is not None:
            check(name, _watchers(session, "feed", name))
        led = list(session.scalars(select(Article.story_id).where(Article.feed_id == feed_id, Article.story_lead,
                                                                  Article.story_id.is_not(None))))
        session.execute(delete(Feed).where(Feed.id == feed_id))
        _promote_leads(session, led)
    return name


def delete_items_published_before(cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` items published before ``cutoff``, oldest first, with their company mentions (the
    database cascades); items a reviewer corrected stay, since their corrections are training data. A story whose lead
    item goes is counted through its first remaining item, and a story left without items goes too. Returns how many
    items were deleted."""
    corrected = select(LabelCorrection.article_id)
    query = (select(Article.id, Article.story_id, Article.story_lead)
             .where(Article.published_at < cutoff, Article.id.not_in(corrected))
             .order_by(Article.published_at, Article.id).limit(limit))  # fmt: skip
    with session_scope() as session:
        story_rows.lock_grouping(session)  # an item is never grouped into a story that is being deleted
        rows = session.execute(query).all()
        ids = [row.id for row in rows]
        for start in range(0, len(ids), INSERT_BATCH):
            session.execute(delete(Article).where(Article.id.in_(ids[start : start + INSERT_BATCH])))
        _promote_leads(session, sorted({row.story_id for row in rows if row.story_id is not None and row.story_lead}))
        story_rows.delete_empty(session, sorted({row.story_id for row in rows if row.story_id is not None}))
    return len(ids)


def _promote_leads(session: Session, story_ids: list[int]) -> None:
    """Make the first remaining item of each of these stories its lead."""
    for start in range(0, len(story_ids), INSERT_BATCH):
        firsts = (select(func.min(Article.id)).where(Article.story_id.in_(story_ids[start : start + INSERT_BATCH]))
                  .group_by(Article.story_id))
        session.execute(update(Article).where(Article.id.in_(firsts)).values(story_lead=True).execution_options(synchronize_session=False))


def _set_status(feed: Feed, now: datetime, status: str, new: int, error: str | None) -> None:
    """The crawl's result; a worker's claim on the feed ends with it (core/repositories/claims.py)."""
    feed.last_fetched_at, feed.last_status, feed.last_error, feed.last_new_items = now, status, error, new
    feed.crawl_claimed_until = feed.crawl_claimed_by = None


def _stored_guids(session: Session, feed_id: int, guids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(guids), INSERT_BATCH):
        batch = guids[start : start + INSERT_BATCH]
        found.update(session.scalars(select(Article.guid).where(Article.feed_id == feed_id, Article.guid.in_(batch))))
    return found


def _insert_new_articles(session: Session, feed_id: int, rows: dict[str, dict]) -> int:
    """Insert the rows (keyed by guid) not stored yet; one inserted a moment ago by another process is skipped too."""
    stored = _stored_guids(session, feed_id, list(rows))
    new_rows = [row for guid, row in rows.items() if guid not in stored]
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[session.get_bind().dialect.name]
    inserted = 0
    for start in range(0, len(new_rows), INSERT_BATCH):
        statement = insert(Article).values(new_rows[start : start + INSERT_BATCH])
        statement = statement.on_conflict_do_nothing(index_elements=["feed_id", "guid"]).returning(Article.id)
        inserted += len(session.execute(statement).all())  # rowcount is not reliable for this on every driver
    return inserted


def store_crawl(feed_id: int, rows: dict[str, dict], validators: tuple[str | None, str | None], status: str,
                warning: str | None, now: datetime) -> int | None:
    """In one transaction: insert the new item rows (keyed by guid), keep the feed's caching validators
    (ETag, Last-Modified) and its new status. Returns how many items were new; None when the feed is gone."""
    with session_scope() as session:
        # On PostgreSQL two crawls of one feed queue up on its row; SQLite locks the whole file anyway.
        feed = session.get(Feed, feed_id, with_for_update=session.get_bind().dialect.name == "postgresql")
        if feed is None:
            return None
        new = _insert_new_articles(session, feed_id, rows)
        feed.etag, feed.last_modified = validators
        if status == "not_modified" and warning is None and feed.last_status in ("ok", "not_modified"):
            warning = feed.last_error  # the same document as last time, with the same problems (if any)
        _set_status(feed, now, status, new, warning)
        return new


def record_feed_error(feed_id: int, now: datetime, error: str) -> None:
    """Store a failed fetch on the feed (nothing when the feed is gone)."""
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            _set_status(feed, now, "error", 0, error)


# --- scoring stored items ----------------------------------------------------------------------


@dataclass(frozen=True)
class ItemScores:
    """What scoring found for one stored item, ready to be written."""

    article_id: int
    values: dict
    companies: list[str]


def unscored_items(size: int) -> list[tuple[int, str, str]]:
    """The oldest unscored items: (id, title, summary)."""
    with session_scope() as session:
        rows = session.execute(
            select(Article.id, Article.title, Article.summary).where(Article.scored_at.is_(None)).order_by(Article.id).limit(size)
        ).all()
    return [tuple(row) for row in rows]


def store_item_scores(scored: list[ItemScores]) -> int:
    """Write the scores of the items no one has scored meanwhile; returns how many this call wrote.
    The update matches an item only while it is unscored, and only the call whose update matched adds
    its companies, in the same transaction: when the worker and the page (or two workers) score the
    same items at once, each item is written by exactly one of them and neither sees an error."""
    with session_scope() as session:
        return write_item_scores(session, scored)


def write_item_scores(session: Session, scored: list[ItemScores]) -> int:
    """``store_item_scores`` in the caller's transaction (the one holding the batch's claim, see
    ``core.repositories.claims.pending_batch``)."""
    written = 0
    for item in scored:  # in id order, so two writers lock rows in the same order (no deadlock)
        result = session.execute(
            update(Article)
            .where(Article.id == item.article_id, Article.scored_at.is_(None))
            .values(**item.values, companies=item.companies, scored_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            continue  # scored by someone else (or deleted with its feed) since we read it
        session.add_all(CompanyMention(article_id=item.article_id, company=company) for company in item.companies)
        session.flush()
        written += 1
    return written


# --- reviewer corrections of an item's labels ---------------------------------------------------


def store_correction(article_id: int, field: str, new_label: str, user: str, text_of: Callable[[str, str], str]) -> None:
    """Keep the correction (replacing an earlier one of the same item and field) and show the label on the
    item. ``text_of(title, summary)`` is the text kept for training. LookupError when there is no such item."""
    with session_scope() as session:
        article = session.get(Article, article_id)
        if article is None:
            raise LookupError(f"there is no item {article_id}")
        correction = session.scalar(
            select(LabelCorrection).where(LabelCorrection.article_id == article_id, LabelCorrection.field == field)
        )
        if correction is None:
            correction = LabelCorrection(article_id=article_id, field=field, old_label=getattr(article, field))
            session.add(correction)
        correction.new_label, correction.created_by, correction.created_at = new_label, user, utcnow()
        correction.text = text_of(article.title, article.summary)
        setattr(article, field, new_label)


def correction_count(field: str) -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(LabelCorrection).where(LabelCorrection.field == field)) or 0


def corrected_labels(field: str) -> list[tuple[str, str]]:
    """(text, corrected label) of every correction of ``field``, oldest first."""
    with session_scope() as session:
        rows = session.execute(
            select(LabelCorrection.text, LabelCorrection.new_label)
            .where(LabelCorrection.field == field)
            .order_by(LabelCorrection.created_at, LabelCorrection.id)
        ).all()
    return [tuple(row) for row in rows]


# --- the items of the Financial sentiment page -------------------------------------------------


@dataclass
class ArticleFilter:
    """What the user narrowed the view to; every field is optional."""

    start: datetime | None = None
    end: datetime | None = None
    feed_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    keyword: str = ""
    sentiments: list[str] = field(default_factory=list)
    count_stories: bool = False  # True: a story counts once, through its lead item (articles.story_lead)
    watchlist: str = ""  # a watchlist's name: items naming its companies or tickers, or holding one of its keywords

    @classmethod
    def last_days(cls, days: int, **kwargs) -> ArticleFilter:
        return cls(start=utcnow() - timedelta(days=days), **kwargs)


def _filtered(session: Session, query, flt: ArticleFilter):
    query = query.where(Article.scored_at.is_not(None))
    if flt.count_stories:
        query = query.where(Article.story_lead)
    if flt.start:
        query = query.where(Article.published_at >= flt.start)
    if flt.end:
        query = query.where(Article.published_at < flt.end)
    if flt.feed_ids:
        query = query.where(Article.feed_id.in_(flt.feed_ids))
    if flt.topics:
        query = query.where(Article.topic.in_(flt.topics))
    if flt.sentiments:
        query = query.where(Article.sentiment.in_(flt.sentiments))
    if flt.companies:
        keys = company_keys(flt.companies)
        query = query.where(Article.id.in_(select(CompanyMention.article_id).where(CompanyMention.company.in_(keys))))
    if flt.keyword.strip():
        like = f"%{flt.keyword.strip().lower()}%"  # bound parameter, never formatted into SQL
        query = query.where(or_(func.lower(Article.title).like(like), func.lower(Article.summary).like(like)))
    if flt.watchlist:
        query = query.where(_watchlist(session, flt.watchlist))  # what an alert rule scoped to it counts
    return query


def _sources_by_story(session: Session, articles: list[Article]) -> dict[int, int]:
    """How many distinct feeds reported the story of each of these items (an item not grouped yet: its own feed)."""
    from core.repositories.stories import story_sources

    story_ids = sorted({a.story_id for a in articles if a.story_id is not None})
    return story_sources(session, story_ids) if story_ids else {}


def _sources(article: Article, by_story: dict[int, int]) -> int:
    return by_story.get(article.story_id, 1) if article.story_id is not None else 1


def _corrections_of(session: Session, article_ids: list[int]) -> dict[int, dict[str, tuple[str | None, str]]]:
    """Per item, its corrected fields: field -> (the label it had before, who corrected it)."""
    found: dict[int, dict[str, tuple[str | None, str]]] = {}
    for start in range(0, len(article_ids), 900):  # SQLite's limit on bound parameters
        chunk = article_ids[start : start + 900]
        query = select(LabelCorrection.article_id, LabelCorrection.field, LabelCorrection.old_label, LabelCorrection.created_by)
        for article_id, which, old_label, user in session.execute(query.where(LabelCorrection.article_id.in_(chunk))):
            found.setdefault(article_id, {})[which] = (old_label, user)
    return found


def scored_articles(flt: ArticleFilter, limit: int | None = 500) -> list[dict]:
    """Scored items matching the filter, newest first (all of them when ``limit`` is None), as plain rows;
    ``corrections``: the fields a reviewer corrected -> (the label before, who); empty when none."""
    with session_scope() as session:
        query = _filtered(session, select(Article, Feed.name).join(Feed), flt)
        rows = session.execute(query.order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)).all()
        by_story = _sources_by_story(session, [a for a, _ in rows])
        corrections = _corrections_of(session, [a.id for a, _ in rows])
        return [
            {
                "id": a.id,
                "published_at": a.published_at,
                "feed": feed_name,
                "title": a.title,
                "link": a.link,
                "sentiment": a.sentiment,
                "confidence": a.sentiment_confidence,
                "prob_negative": a.prob_negative,
                "topic": a.topic,
                "companies": ", ".join(a.companies or []),
                "summary": a.summary,
                "sources": _sources(a, by_story),
                "corrections": corrections.get(a.id, {}),
            }
            for a, feed_name in rows
        ]


def scored_sentiments(flt: ArticleFilter, group_by: str) -> list[tuple[datetime, str, str]]:
    """(published_at, sentiment, group) of each scored item matching the filter; grouped by company, an
    item counts once per company it mentions."""
    with session_scope() as session:
        if group_by == "company":
            query = select(Article.published_at, Article.sentiment, CompanyMention.company.label("group")).join(
                CompanyMention, CompanyMention.article_id == Article.id
            )
        elif group_by == "feed":
            query = select(Article.published_at, Article.sentiment, Feed.name.label("group")).join(Feed)
        elif group_by == "topic":
            query = select(Article.published_at, Article.sentiment, Article.topic.label("group"))
        else:
            query = select(Article.published_at, Article.sentiment, literal("all").label("group"))
        return [tuple(row) for row in session.execute(_filtered(session, query, flt)).all()]


def _bucket(session: Session, frequency: str) -> ColumnElement:
    """The start of an item's day or hour, computed by the database (PostgreSQL date_trunc, SQLite strftime)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(frequency, Article.published_at)
    return func.strftime("%Y-%m-%d %H:00:00" if frequency == "hour" else "%Y-%m-%d 00:00:00", Article.published_at)


def _grouped(group_by: str):
    """(select of the group column, the group column) for a trend grouped by company, feed, topic or all items."""
    if group_by == "company":
        group = CompanyMention.company
        return select(group).select_from(Article).join(CompanyMention, CompanyMention.article_id == Article.id), group
    if group_by == "feed":
        return select(Feed.name).select_from(Article).join(Feed), Feed.name
    if group_by == "topic":
        return select(Article.topic).select_from(Article), Article.topic
    return select(literal("all")).select_from(Article), None


def _from_daily_counts(session: Session, flt: ArticleFilter, group_by: str, frequency: str, top: int) -> list[tuple] | None:
    """A daily trend of all items, per topic or per company over whole days, narrowed by sentiment at most, read from
    the daily counts where they are kept (PostgreSQL); None: count from the items."""
    if group_by not in daily_counts.GROUPINGS or frequency != "day":
        return None
    if flt.feed_ids or flt.topics or flt.companies or flt.keyword.strip() or flt.watchlist:
        return None
    days = daily_counts.whole_days(flt.start, flt.end)
    return None if days is None else daily_counts.counted_by_day(session, group_by, days, flt.sentiments, flt.count_stories, top)


def sentiment_buckets(flt: ArticleFilter, group_by: str, frequency: str, top: int) -> list[tuple[object, str, str, int]]:
    """(bucket start, group, sentiment, items) of the scored items matching the filter, counted by the database
    for the ``top`` largest groups; grouped by company, an item counts once per company it mentions."""
    base, group = _grouped(group_by)
    with session_scope() as session:
        counted = _from_daily_counts(session, flt, group_by, frequency, top)
        if counted is not None:
            return counted
        groups: list[str] | None = None
        if group is not None and group_by != "topic":  # topics are few: one pass, the largest picked from its rows
            largest = _filtered(session, base.where(group.is_not(None)), flt).group_by(group)
            groups = list(session.scalars(largest.order_by(func.count().desc(), group).limit(top)))
            if not groups:
                return []
        bucket = _bucket(session, frequency).label("bucket")
        label = group.label("group") if group is not None else literal("all").label("group")
        query = _filtered(session, base.with_only_columns(bucket, label, Article.sentiment, func.count()), flt)
        query = query.where(Article.sentiment.is_not(None))
        if groups is not None:
            query = query.where(group.in_(groups))
        grouped = query.group_by(bucket, group) if group is not None else query.group_by(bucket)
        rows = [tuple(row) for row in session.execute(grouped.group_by(Article.sentiment)).all()]
    if group is not None and groups is None:
        totals: dict[str, int] = {}
        for _, name, _, n in rows:
            if name is not None:
                totals[name] = totals.get(name, 0) + n
        keep = set(sorted(totals, key=lambda name: (-totals[name], name))[:top])
        rows = [row for row in rows if row[1] in keep]
    return rows


def feed_ids_named(name: str) -> list[int]:
    with session_scope() as session:
        return list(session.scalars(select(Feed.id).where(Feed.name == name)))


def filter_options() -> dict[str, list]:
    """Feeds (id, name), topics and the 200 most mentioned companies."""
    with session_scope() as session:
        feeds = [(f.id, f.name) for f in session.scalars(select(Feed).order_by(Feed.name))]
        topics = [t for t in session.scalars(select(Article.topic).distinct().order_by(Article.topic)) if t]
        companies = list(
            session.scalars(
                select(CompanyMention.company).group_by(CompanyMention.company).order_by(func.count().desc()).limit(200)
            )
        )
    return {"feeds": feeds, "topics": topics, "companies": companies}


def newest_published(flt: ArticleFilter) -> datetime | None:
    """The publication time of the newest scored item matching the filter, or None when none does."""
    with session_scope() as session:
        return session.scalar(_filtered(session, select(func.max(Article.published_at)), flt))


def scored_span() -> tuple[datetime, datetime] | None:
    """The first and last publication time of the scored items, or None when there are none."""
    with session_scope() as session:
        first, last = session.execute(
            select(func.min(Article.published_at), func.max(Article.published_at)).where(Article.scored_at.is_not(None))
        ).one()
    return (first, last) if first and last else None


def unscored_count(feed_id: int | None = None) -> int:
    """Items stored but not scored yet (of one feed, or of all)."""
    query = select(func.count()).select_from(Article).where(Article.scored_at.is_(None))
    if feed_id is not None:
        query = query.where(Article.feed_id == feed_id)
    with session_scope() as session:
        return int(session.scalar(query) or 0)


def articles_in_order(article_ids: list[int]) -> list[dict]:
    """The articles with these ids, in the given order, with their feed names (deleted ones left out)."""
    with session_scope() as session:
        rows = session.execute(
            select(Article, Feed.name).join(Feed, Feed.id == Article.feed_id).where(Article.id.in_(article_ids or [-1]))
        ).all()
        by_id = {article.id: (article, feed) for article, feed in rows}
        by_story = _sources_by_story(session, [article for article, _ in rows])
        return [
            {
                "title": article.title,
                "link": article.link,
                "sentiment": article.sentiment,
                "confidence": article.sentiment_confidence,
                "prob_negative": article.prob_negative,
                "published_at": article.published_at,
                "feed": feed,
                "sources": _sources(article, by_story),
            }
            for article, feed in (by_id[i] for i in article_ids if i in by_id)
        ]


# --- the items in an alert rule's scope ---------------------------------------------------------


def company_keys(companies: Iterable[str]) -> list[str]:
    """What stored mentions of these companies look like: each as given and as its gazetteer key (a watchlist's
    short name such as "Acme" is stored as typed, while its key reads it as the ticker ACME)."""
    given = [c.strip() for c in companies if c.strip()]
    return list(dict.fromkeys(given + [canonical_company(c) for c in given]))


def company_mentioned(company: str) -> bool:
    """Whether any stored item mentions this company (by name as typed or its key)."""
    with session_scope() as session:
        return session.scalar(select(Article.id).where(_mentions_any([company])).limit(1)) is not None


def _mentions_any(companies: list[str]) -> ColumnElement[bool]:
    keys = {key.lower() for key in company_keys(companies)}
    mentioned = select(CompanyMention.article_id).where(func.lower(CompanyMention.company).in_(sorted(keys)))
    return Article.id.in_(mentioned)


def _contains_any(words: list[str]) -> ColumnElement[bool]:
    clauses = []
    for word in (w.strip().lower() for w in words):
        if word:
            clauses += [
                func.lower(Article.title).contains(word, autoescape=True),
                func.lower(Article.summary).contains(word, autoescape=True),
            ]
    return or_(false(), *clauses)


def _feeds_tagged(session: Session, topic: str) -> list[tuple[int, str]]:
    """(id, name) of the feeds whose topic tags include ``topic`` (case ignored)."""
    wanted = topic.strip().lower()
    rows = session.execute(select(Feed.id, Feed.name, Feed.topics).order_by(Feed.name))
    return [(f.id, f.name) for f in rows if wanted in {str(t).lower() for t in f.topics or []}]


def known_topics() -> set[str]:
    """Every topic an item has been given and every feed's topic tag."""
    with session_scope() as session:
        topics = {t for t in session.scalars(select(Article.topic).distinct()) if t}
        for tags in session.scalars(select(Feed.topics)):
            topics.update(str(t) for t in tags or [])
    return topics


def feeds_tagged(topic: str) -> list[str]:
    """The names of the feeds tagged with ``topic``: an alert scoped to the topic counts all of their items."""
    with session_scope() as session:
        return [name for _, name in _feeds_tagged(session, topic)]


def _topic(session: Session, topic: str) -> ColumnElement[bool]:
    tagged_feeds = [feed_id for feed_id, _ in _feeds_tagged(session, topic)]
    return or_(func.lower(Article.topic) == topic.strip().lower(), Article.feed_id.in_(tagged_feeds))


def _watchlist(session: Session, name: str) -> ColumnElement[bool]:
    watchlist = session.scalar(select(Watchlist).where(Watchlist.name == name))
    if watchlist is None:
        return false()
    return or_(_mentions_any(list(watchlist.companies) + list(watchlist.tickers)), _contains_any(list(watchlist.keywords)))


def scope_filter(session: Session, scope_type: str, scope_value: str) -> ColumnElement[bool] | None:
    """The condition on Article for an alert scope; None for 'all'."""
    if scope_type == "all":
        return None
    if scope_type == "topic":
        return _topic(session, scope_value)
    if scope_type == "company":
        return _mentions_any([scope_value])
    if scope_type == "watchlist":
        return _watchlist(session, scope_value)
    if scope_type == "keyword":
        return _contains_any([scope_value])
    if scope_type == "feed":
        return Article.feed_id.in_(select(Feed.id).where(Feed.name == scope_value))
    raise ValueError(f"unknown scope type {scope_type!r}")


@dataclass(frozen=True)
class ScopeWindow:
    """The scored items of a scope published from ``start`` to ``end`` (``end`` itself included or not)."""

    scope: ColumnElement[bool] | None
    start: datetime
    end: datetime
    end_inclusive: bool = True
    stories: bool = False  # count each story once, through its lead item (articles.story_lead)

    def conditions(self) -> list:
        conditions = [Article.scored_at.is_not(None), Article.published_at >= self.start]
        if self.stories:
            conditions.append(Article.story_lead)
        conditions.append(Article.published_at <= self.end if self.end_inclusive else Article.published_at < self.end)
        return conditions if self.scope is None else [*conditions, self.scope]


def count_in_window(session: Session, window: ScopeWindow) -> tuple[int, int]:
    """(items, negative items) in the window."""
    negatives = func.coalesce(func.sum(case((Article.sentiment == "negative", 1), else_=0)), 0)
    items, negative = session.execute(select(func.count(Article.id), negatives).where(*window.conditions())).one()
    return int(items), int(negative)


def scope_span(session: Session, scope: ColumnElement[bool] | None, stories: bool) -> tuple[int, datetime | None, datetime | None]:
    """(scored items, or stories, of a scope at any time; the first and last publication time among them)."""
    conditions = [Article.scored_at.is_not(None), *([Article.story_lead] if stories else []), *([scope] if scope is not None else [])]
    count, first, last = session.execute(
        select(func.count(Article.id), func.min(Article.published_at), func.max(Article.published_at)).where(*conditions)
    ).one()
    return int(count), naive_utc(first) if first else None, naive_utc(last) if last else None


def worst_in_window(session: Session, window: ScopeWindow, limit: int) -> list[int]:
    """Ids of the most negative items, most negative (then newest) first."""
    query = (
        select(Article.id)
        .where(*window.conditions())
        .order_by(func.coalesce(Article.prob_negative, 0.0).desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def has_item_since(session: Session, window: ScopeWindow, published_after: datetime, scored_after: datetime | None) -> bool:
    """Whether the window holds an item published after ``published_after`` or (given) scored after ``scored_after``."""
    newer = Article.published_at > published_after
    if scored_after is not None:
        newer = or_(newer, Article.scored_at > scored_after)
    return session.scalar(select(Article.id).where(*window.conditions(), newer).limit(1)) is not None


# --- watchlists -------------------------------------------------------------------------------


def _watchlist_dict(w: Watchlist) -> dict:
    return {"id": w.id, "name": w.name, "companies": list(w.companies), "tickers": list(w.tickers),
            "keywords": list(w.keywords), "owner": w.owner}


def list_watchlists() -> list[dict]:
    with session_scope() as session:
        return [_watchlist_dict(w) for w in session.scalars(select(Watchlist).order_by(Watchlist.name))]


def save_watchlist(name: str, companies: list[str], tickers: list[str], keywords: list[str],
                   check_owner: Callable[[str | None], str]) -> int:
    """Create or update (by name); ``check_owner(current owner)`` runs inside the transaction and returns
    the owner of a new watchlist (it raises when the user may not change it)."""
    return save_owned(Watchlist, name, check_owner, {"companies": companies, "tickers": tickers, "keywords": keywords})


def delete_watchlist(name: str, check: Callable[[str | None, list[str]], None]) -> bool:
    """Delete the watchlist; False when there is none. ``check(owner, what watches it)`` ("alert rule 'X'",
    "digest 'Y'") runs inside the transaction and raises to refuse."""
    return delete_owned(Watchlist, name, lambda session, owner: check(owner, _watchers(session, "watchlist", name)))


def _watchers(session: Session, scope_type: str, name: str) -> list[str]:
    """The alert rules and digests that watch the watchlist or feed ``name``, in words."""
    from core.repositories.alerts import rules_using
    from core.repositories.digests import digests_using

    return ([f"alert rule {n!r}" for n in rules_using(session, scope_type, name)]
            + [f"digest {n!r}" for n in digests_using(session, scope_type, name)])  # fmt: skip


def watchlist_entries() -> list[tuple[list[str], list[str]]]:
    """(companies, tickers) of every watchlist."""
    with session_scope() as session:
        return [(list(w.companies), list(w.tickers)) for w in session.scalars(select(Watchlist))]
