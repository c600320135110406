"""ORM tables: the only module that knows table layouts. Schema changes go through a migration."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def naive_utc(moment: datetime | None) -> datetime:
    """The database stores naive UTC times: ``moment`` as one (aware times converted), now when None."""
    if moment is None:
        return utcnow()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


class Base(DeclarativeBase):
    type_annotation_map = {dict: JSON, list: JSON}


class Feed(Base):
    """An RSS/Atom source registered by an analyst."""

    __tablename__ = "feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    topics: Mapped[list] = mapped_column(default=list)  # user-given topic tags
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_fetched_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[str | None] = mapped_column(String(20))  # ok | not_modified | empty | error
    last_error: Mapped[str | None] = mapped_column(Text)
    last_new_items: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # A worker fetching the feed holds it until then (core/repositories/claims.py); cleared when the result is stored
    crawl_claimed_until: Mapped[datetime | None] = mapped_column(DateTime)
    crawl_claimed_by: Mapped[str | None] = mapped_column(String(200))

    articles: Mapped[list[Article]] = relationship(back_populates="feed", cascade="all, delete-orphan")


class Article(Base):
    """One item of a feed, with its scores once the worker has scored it."""

    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid", name="uq_article_feed_guid"),
        Index("ix_articles_published", "published_at"),
        Index("ix_articles_scored", "scored_at"),
        Index("ix_articles_scored_published", "published_at", "id", postgresql_where=text("scored_at IS NOT NULL"),
              sqlite_where=text("scored_at IS NOT NULL")),
        Index("ix_articles_topic_published", "topic", "published_at"),
        Index("ix_articles_sentiment_published", "sentiment", "published_at"),
        Index("ix_articles_story", "story_id"),
        Index("ix_articles_lead_published", "published_at", "id", postgresql_where=text("scored_at IS NOT NULL AND story_lead"),
              sqlite_where=text("scored_at IS NOT NULL AND story_lead = 1")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int] = mapped_column(ForeignKey("feeds.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # plain text, HTML removed
    published_at: Mapped[datetime] = mapped_column(DateTime)  # falls back to fetch time
    fetched_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sentiment: Mapped[str | None] = mapped_column(String(20))
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    prob_negative: Mapped[float | None] = mapped_column(Float)
    prob_neutral: Mapped[float | None] = mapped_column(Float)
    prob_positive: Mapped[float | None] = mapped_column(Float)
    topic: Mapped[str | None] = mapped_column(String(100))
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    companies: Mapped[list] = mapped_column(default=list)
    sentiment_model_version: Mapped[int | None] = mapped_column(Integer)
    topic_model_version: Mapped[int | None] = mapped_column(Integer)
    scored_at: Mapped[datetime | None] = mapped_column(DateTime)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL", name="fk_articles_story"))
    # The item its story is counted by (the first item grouped into it); True for an item not in a story yet.
    story_lead: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    feed: Mapped[Feed] = relationship(back_populates="articles")
    mentions: Mapped[list[CompanyMention]] = relationship(back_populates="article", cascade="all, delete-orphan")


class Story(Base):
    """Items from several feeds that report the same news (core.stories); first seen and last seen times."""

    __tablename__ = "stories"
    __table_args__ = (Index("ix_stories_last_seen", "last_seen_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)  # the first item's title
    first_seen_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)


class CompanyMention(Base):
    """A company or ticker found in an article (one row per article and company)."""

    __tablename__ = "company_mentions"
    __table_args__ = (
        UniqueConstraint("article_id", "company", name="uq_mention"),
        Index("ix_company_mentions_company_article", "company", "article_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    company: Mapped[str] = mapped_column(String(200), index=True)

    article: Mapped[Article] = relationship(back_populates="mentions")


class DailyCount(Base):
    """Scored items per day, grouping (all, topic, company), key, sentiment ('' without a label) and story lead; kept
    current on PostgreSQL by triggers that mark changed days stale (core/repositories/daily_counts.py)."""

    __tablename__ = "daily_counts"
    __table_args__ = (
        Index("ix_daily_counts_grouping_day", "grouping", "day"),
        Index("ix_daily_counts_grouping_key_day", "grouping", "key", "day"),  # the largest groups' days
    )
    day: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    grouping: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(20), primary_key=True)
    story_lead: Mapped[bool] = mapped_column(Boolean, primary_key=True)  # the items a stories-mode trend counts
    items: Mapped[int] = mapped_column(Integer)


class DailyCountStaleDay(Base):
    """A day whose items changed since ``daily_counts`` was counted (appended by triggers; one day may appear many
    times)."""

    __tablename__ = "daily_count_stale_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[datetime] = mapped_column(DateTime, index=True)


class Watchlist(Base):
    __tablename__ = "watchlists"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    companies: Mapped[list] = mapped_column(default=list)  # names, e.g. "Nokia"
    tickers: Mapped[list] = mapped_column(default=list)  # e.g. "NOK"
    keywords: Mapped[list] = mapped_column(default=list)
    owner: Mapped[str] = mapped_column(String(100), default="")  # who may change it besides admins
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AlertRule(Base):
    """When to raise an alert: a scope, a window, a minimum count and a threshold or spike test."""

    __tablename__ = "alert_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope_type: Mapped[str] = mapped_column(String(20))  # all | topic | company | watchlist | keyword | feed
    scope_value: Mapped[str] = mapped_column(String(500), default="")
    window_hours: Mapped[float] = mapped_column(Float, default=24.0)
    min_items: Mapped[int] = mapped_column(Integer, default=5)
    count_items: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # count items, not stories
    mode: Mapped[str] = mapped_column(String(20), default="share")  # share | spike
    threshold: Mapped[float] = mapped_column(Float, default=0.5)  # share: min negative share; spike: factor
    baseline_days: Mapped[int] = mapped_column(Integer, default=7)
    cooldown_hours: Mapped[float] = mapped_column(Float, default=12.0)
    recipients: Mapped[list] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    owner: Mapped[str] = mapped_column(String(100), default="")  # who may change it besides admins
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    alerts: Mapped[list[Alert]] = relationship(back_populates="rule", cascade="all, delete-orphan")


class Alert(Base):
    """A fired rule and the state of its notification email."""

    __tablename__ = "alerts"
    # a deleted alert's number (in an email's ?alert= link) is never given to another (0024)
    __table_args__ = (UniqueConstraint("rule_id", "window_end", name="uq_alert_rule_window"), {"sqlite_autoincrement": True})
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    fired_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    window_start: Mapped[datetime] = mapped_column(DateTime)
    window_end: Mapped[datetime] = mapped_column(DateTime)
    scope_label: Mapped[str] = mapped_column(String(600))
    item_count: Mapped[int] = mapped_column(Integer)  # stories or items, as ``counted`` says
    counted: Mapped[str | None] = mapped_column(String(10))  # stories | items (the rule's count_items then); empty before 0020
    negative_count: Mapped[int] = mapped_column(Integer)
    negative_share: Mapped[float] = mapped_column(Float)
    baseline_share: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    article_ids: Mapped[list] = mapped_column(default=list)  # worst items first
    recipients: Mapped[list] = mapped_column(default=list)
    email_status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|sending|sent|failed|none
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_last_error: Mapped[str | None] = mapped_column(Text)
    email_next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)
    email_sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(20), default="open", server_default="open")  # core.alerts.workflow.STATES
    assignee: Mapped[str | None] = mapped_column(String(100))
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime)
    state_changed_by: Mapped[str | None] = mapped_column(String(100))
    state_changed_at: Mapped[datetime | None] = mapped_column(DateTime)

    rule: Mapped[AlertRule] = relationship(back_populates="alerts")


class ModelVersion(Base):
    """A trained classifier for one task; exactly one version per task is active."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("task", "version", name="uq_model_task_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(20))  # head | lora | full
    path: Mapped[str] = mapped_column(String(1000))  # folder relative to the model folder
    labels: Mapped[list] = mapped_column(default=list)
    params: Mapped[dict] = mapped_column(default=dict)
    metrics: Mapped[dict] = mapped_column(default=dict)
    data_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    device: Mapped[str] = mapped_column(String(50), default="cpu")
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)  # files removed; the row keeps its number taken
    deleted_by: Mapped[str | None] = mapped_column(String(200))


class TrainingRun(Base):
    """A fine-tuning job started from Model Studio or the CLI, with its live progress and result."""

    __tablename__ = "training_runs"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted run's number is never given to another (0023)
    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(String(100), index=True)
    method: Mapped[str] = mapped_column(String(20))  # head | lora | full
    params: Mapped[dict] = mapped_column(default=dict)
    labels: Mapped[list] = mapped_column(default=list)
    data_path: Mapped[str] = mapped_column(String(1000))  # cleaned training rows (CSV: text,label)
    data_fingerprint: Mapped[str] = mapped_column(String(64), default="")
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # queued | running | succeeded | failed | cancelled | interrupted
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    progress: Mapped[list] = mapped_column(default=list)  # [{epoch, step, total_steps, loss, val_*}]
    error: Mapped[str | None] = mapped_column(Text)
    device: Mapped[str] = mapped_column(String(50), default="")
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    model_version: Mapped[int | None] = mapped_column(Integer)  # the registered version on success
    result: Mapped[dict] = mapped_column(default=dict)  # metrics, comparison with the active version, worst rows


class LabelCorrection(Base):
    """A reviewer's fix of an article's sentiment or topic; the newest one per article and field counts."""

    __tablename__ = "label_corrections"
    __table_args__ = (UniqueConstraint("article_id", "field", name="uq_correction_article_field"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(20))  # sentiment | topic
    old_label: Mapped[str | None] = mapped_column(String(100))
    new_label: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)  # the scored text, kept so training does not depend on the article
    created_by: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ScoringRun(Base):
    """A batch scoring of an uploaded file: its options, live progress (a checkpoint per chunk) and result."""

    __tablename__ = "scoring_runs"
    __table_args__ = (Index("ix_scoring_runs_created_at", "created_at"), {"sqlite_autoincrement": True})  # see 0023
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    # queued | running | succeeded | failed | cancelled | interrupted
    stage: Mapped[str | None] = mapped_column(String(100))  # what an active run is doing now, e.g. "loading the model"
    file_name: Mapped[str] = mapped_column(String(500))  # the name the user uploaded
    input_path: Mapped[str] = mapped_column(String(1000))  # the stored upload, relative to the data folder
    input_spec: Mapped[dict] = mapped_column(default=dict)  # kind, encoding, delimiter, columns
    text_column: Mapped[str] = mapped_column(String(500))
    tasks: Mapped[list] = mapped_column(default=list)
    model_versions: Mapped[dict] = mapped_column(default=dict)  # task -> version, fixed when the run is created
    mask_pii: Mapped[bool] = mapped_column(Boolean, default=False)
    engine: Mapped[str] = mapped_column(String(20), default="local", server_default="local")  # local | ray (BEACON_RAY_ADDRESS)
    total_rows: Mapped[int | None] = mapped_column(Integer)  # records in the file (counted before scoring)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)  # records consumed, good and bad (resume point)
    parts_done: Mapped[int] = mapped_column(Integer, default=0)  # chunks written
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_empty: Mapped[int] = mapped_column(Integer, default=0)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0)  # unparseable rows, in the error report
    label_counts: Mapped[dict] = mapped_column(default=dict)  # task -> label -> rows
    scoring_seconds: Mapped[float] = mapped_column(Float, default=0.0)  # time spent scoring, over all attempts
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    pid: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), default="local user")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class KnowledgeBase(Base):
    """A named FAQ knowledge base (e.g. "Cards"); ``active_version`` is the version answers come from."""

    __tablename__ = "support_kbs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    active_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    team_threshold: Mapped[float | None] = mapped_column(Float)  # set by the team for its questions; None: the settings'
    team_threshold_by: Mapped[str | None] = mapped_column(String(200))
    team_threshold_at: Mapped[datetime | None] = mapped_column(DateTime)
    team_threshold_by_hand: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # not measured
    team_threshold_checked: Mapped[int | None] = mapped_column(Integer)  # how many past questions it was picked on


class KnowledgeBaseEntry(Base):
    """One FAQ entry (immutable): a changed answer is a new row; versions list the rows they contain.
    ``embedding`` is the question's normalised float32 vector, reused when the question text is unchanged."""

    __tablename__ = "support_kb_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("support_kbs.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    question_key: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the normalised question
    answer: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(200), default="")
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    encoder: Mapped[str] = mapped_column(String(100))  # which encoder produced the embedding
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class KnowledgeBaseVersion(Base):
    """A snapshot of a knowledge base after one change (an import or a rollback)."""

    __tablename__ = "support_kb_versions"
    __table_args__ = (UniqueConstraint("kb_id", "version", name="uq_support_kb_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int] = mapped_column(ForeignKey("support_kbs.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    entry_ids: Mapped[list] = mapped_column(default=list)
    report: Mapped[dict] = mapped_column(default=dict)  # added / updated / unchanged / rejected rows with reasons
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="local user")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SupportInteraction(Base):
    """A question asked (ask box, CLI), the decision given, and the user's feedback. Texts are PII-masked."""

    __tablename__ = "support_interactions"
    __table_args__ = (Index("ix_support_interactions_created_at", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kb_id: Mapped[int | None] = mapped_column(ForeignKey("support_kbs.id", ondelete="SET NULL"), index=True)
    kb_version: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20), default="ask")  # ask | cli
    question: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(20))  # answer | escalate
    reasons: Mapped[list] = mapped_column(default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    similarity: Mapped[float] = mapped_column(Float, default=0.0)
    entry_id: Mapped[int | None] = mapped_column(Integer)
    matched_question: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(200))
    intent_confidence: Mapped[float | None] = mapped_column(Float)
    intent_model_version: Mapped[int | None] = mapped_column(Integer)
    sentiment: Mapped[str | None] = mapped_column(String(50))
    sentiment_negative: Mapped[float | None] = mapped_column(Float)
    alternatives: Mapped[list] = mapped_column(default=list)
    policy: Mapped[str | None] = mapped_column(String(100))  # what it was decided at (Policy.describe); None before 0028
    feedback: Mapped[int | None] = mapped_column(Integer)  # 1 thumbs up, -1 thumbs down
    feedback_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecDataset(Base):
    """A dataset version for recommendations: one upload of interactions plus catalogue, cleaned by the data check."""

    __tablename__ = "rec_datasets"
    __table_args__ = {"sqlite_autoincrement": True}  # a deleted version's number is never given to another (0024)
    id: Mapped[int] = mapped_column(primary_key=True)  # the dataset version shown to users
    name: Mapped[str] = mapped_column(String(200))
    interactions_file: Mapped[str] = mapped_column(String(500))  # the names the user uploaded
    items_file: Mapped[str] = mapped_column(String(500))
    folder: Mapped[str] = mapped_column(String(1000))  # cleaned tables, relative to the data folder
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    mapping: Mapped[dict] = mapped_column(default=dict)  # field -> column, for both files
    stats: Mapped[dict] = mapped_column(default=dict)  # counts from the data check
    issues: Mapped[list] = mapped_column(default=list)  # [level, message] from the data check
    nightly_export: Mapped[bool] = mapped_column(Boolean, default=False)  # refit + export top-N every night
    export_k: Mapped[int] = mapped_column(Integer, default=20)
    last_export_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(200), default="local user")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecEvaluation(Base):
    """One offline comparison of the recommenders on a dataset version, with the protocol and seed that produced it."""

    __tablename__ = "rec_evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("rec_datasets.id", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(20))  # random | last
    seed: Mapped[int] = mapped_column(Integer)
    test_ratio: Mapped[float | None] = mapped_column(Float)
    k: Mapped[int] = mapped_column(Integer)
    results: Mapped[list] = mapped_column(default=list)  # one dict per model: metrics, fit/eval seconds
    meta: Mapped[dict] = mapped_column(default=dict)  # sizes, cold-start set-up, text weight
    created_by: Mapped[str] = mapped_column(String(200), default="local user")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    """A person who signs in; the role decides what they may change (viewer < analyst < admin)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300), default="")  # argon2id; "" for identity-provider users
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """A signed-in browser session; only the token's sha256 is stored."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Who did what and when: sign-ins, uploads, scoring, training, promotions, feed/rule/user changes."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_at", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    username: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok | refused | failed
    detail: Mapped[dict] = mapped_column(default=dict)


class WorkerStatus(Base):
    """What the worker's last cycle did, written at the end of every cycle (one row per worker name), the cycle
    step in progress, and a heartbeat the running worker writes every tick, also during a long cycle. A heartbeat
    that stops changing means the worker is stopped or cannot write to the database."""

    __tablename__ = "worker_status"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_cycle_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # None before the first cycle ends
    failed_steps: Mapped[list] = mapped_column(JSON, default=list)  # step names, e.g. ["crawl"]
    tick_seconds: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)  # the worker's last heartbeat
    busy_step: Mapped[str | None] = mapped_column(String(30), nullable=True)  # the cycle step started last
    busy_since: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class JobLease(Base):
    """A lease on one period of a job that must run once across all workers (the nightly export), or on
    the sole-worker slot of a SQLite database. Whoever inserts the row (or takes over an expired, unfinished
    one) holds it until ``expires_at``; ``done_at`` marks the period as done (``core.leases``)."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    period: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)


class RecJob(Base):
    """A recommendation job run outside the page (saving a dataset version, evaluating one), with the stage it
    is in and its progress for the page to poll. Life and status words as in ``core.runs``."""

    __tablename__ = "rec_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # save | evaluate
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    stage: Mapped[str] = mapped_column(String(200), default="waiting for the job process to start")
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    params: Mapped[dict] = mapped_column(default=dict)  # save: name, file names, mapping; evaluate: protocol, seed, ...
    dataset_id: Mapped[int | None] = mapped_column(Integer)  # evaluate: the version; save: the version written
    result: Mapped[dict] = mapped_column(default=dict)  # save: dataset id; evaluate: evaluation id
    folder: Mapped[str] = mapped_column(String(1000), default="")  # the job's files, relative to the data folder
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)


class DigestSubscription(Base):
    """A digest: a scope, a schedule in the subscriber's time zone (daily at a time, or weekly on a day) and recipients."""

    __tablename__ = "digest_subscriptions"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    scope_type: Mapped[str] = mapped_column(String(20))  # all | topic | company | watchlist | keyword
    scope_value: Mapped[str] = mapped_column(String(500), default="")
    frequency: Mapped[str] = mapped_column(String(10), default="daily")  # daily | weekly
    weekday: Mapped[int | None] = mapped_column(Integer)  # weekly: 0 = Monday … 6 = Sunday
    send_time: Mapped[str] = mapped_column(String(5), default="08:00")  # HH:MM, local to time_zone
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # a zoneinfo name
    recipients: Mapped[list] = mapped_column(default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    owner: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    sends: Mapped[list[DigestSend]] = relationship(back_populates="subscription", cascade="all, delete-orphan")


class DigestSend(Base):
    """One period of a digest, claimed once across workers (unique subscription + period) and sent at most once."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("subscription_id", "period_key", name="uq_digest_send_period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("digest_subscriptions.id", ondelete="CASCADE"), index=True)
    period_key: Mapped[str] = mapped_column(String(40))  # the local date the digest is due on
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="sending")  # sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime)  # while 'sending': when the send started
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)

    subscription: Mapped[DigestSubscription] = relationship(back_populates="sends")
