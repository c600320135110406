"""What the Financial sentiment page shows and decides (no streamlit here): links and the page's URL
turned into filter presets, the filtered items, sentiment summaries and trends, a chart point resolved
to the items behind it (from plain values: the page reads Plotly's click payload), "Fetch now" on a feed,
and the feeds table. Everything returned is plain data (dataclasses, dicts, DataFrames); the SQL is in
``core.repositories.items``.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from core.auth import current_actor, record, require
from core.downloads import safe_csv
from core.feeds import CrawlOutcome, FeedView, crawl_due_feeds, crawl_feed
from core.nlp.datacheck import SENTIMENT_LABELS
from core.nlp.registry import NoActiveModel, find_active
from core.repositories import alerts as alert_rows
from core.repositories import items
from core.repositories.items import ArticleFilter
from core.sentiment import entities, score_pending_articles
from core.sentiment.retention import first_day_kept
from core.sentiment.score_items import ScoringProgress
from core.settings import get_settings
from core.stats import main_span, wilson_interval
from core.storage.tables import naive_utc, utcnow
from core.stories.assign import group_new_items
from core.views.app import DEFAULT_DAYS, SENTIMENT_COLORS, Notice, date_range, error_text, today
from core.wording import count_of, one_or_many

__all__ = ["SENTIMENT_COLORS", "ArticleFilter", "date_range", "error_text"]  # shared names the page reaches through this module

log = logging.getLogger(__name__)

SENTIMENTS = SENTIMENT_LABELS
GROUPINGS = {"topic": "Topic", "company": "Company", "feed": "Feed", "all": "All items"}
FREQUENCIES = {"day": "Daily", "week": "Weekly", "hour": "Hourly"}
WEEKLY_FROM_DAYS = 92  # a date range longer than this opens the Trends tab weekly: daily points there are mostly thin
MEASURES = {"negative_share": "Negative share", "net_sentiment": "Net sentiment", "items": "Item count"}
COUNTS = {"stories": "Stories", "items": "Items"}  # what the page counts: a story once (through its lead item), or every item
DEFAULT_COUNT = "stories"
COUNT_HELP = (
    "Stories: an item carried by several feeds (a syndicated story) counts once, with the time, sentiment, topic and "
    "companies of the first item Beacon grouped into it, and the Items table shows one row per story with its Sources. "
    "Items: every item counts."
)
ITEMS_TAB = "Items"  # the Financial sentiment tab an alert link opens
SETUP_HINT = "Install the default models with `make run` (or `python -m core setup`), then reload this page."
FEED_STATUS = {
    "ok": "OK",
    "not_modified": "OK (unchanged)",
    "empty": "no items in the feed",
    "error": "error",
    None: "not fetched yet",
}
PANDAS_FREQUENCY = {"day": "D", "week": "W-MON", "hour": "h"}
ARTICLE_COLUMNS = [
    "id", "published_at", "feed", "title", "link", "sentiment", "confidence", "prob_negative", "topic", "companies", "summary",
    "sources", "corrections",
]


# --- start-up ---------------------------------------------------------------------------------


def model_notices() -> list[Notice]:
    """What to tell the user about missing models: without a sentiment model nothing can be scored."""
    notices = []
    if find_active("sentiment") is None:
        notices.append(Notice("warning", f"No active sentiment model yet, so new items cannot be scored. {SETUP_HINT}"))
        return notices
    if find_active("topic") is None:
        notices.append(Notice("info", f"No active topic model: items get sentiment and companies but no topic. {SETUP_HINT}"))
    return notices


def default_interval() -> int:
    return get_settings().crawl_interval_minutes


# --- filters ----------------------------------------------------------------------------------


@dataclass
class FilterPreset:
    """Initial filter values, from the page defaults or a link (e.g. from an alert email)."""

    start: date
    end: date
    feed_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    keyword: str = ""
    sentiments: list[str] = field(default_factory=list)
    count: str = DEFAULT_COUNT  # stories | items
    watchlist: str = ""
    note: str = ""  # plain text: what the link preset (contains user content; show it as text)
    problems: list[str] = field(default_factory=list)  # plain text: link parts that were ignored


def _parse_when(value: str | None) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is None else parsed.astimezone(UTC).replace(tzinfo=None)


def _first(params: Mapping[str, object], key: str) -> str:
    value = params.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "").strip()


def preset_from_query(
    params: Mapping[str, object], feeds: Sequence[tuple[int, str]] = (), on: date | None = None, days: int = DEFAULT_DAYS
) -> FilterPreset:
    """Filter values for ``?scope_type=topic&scope=Earnings&start=...&end=...`` (the alert email
    link); without parameters, the last ``days`` days. Unusable parts are listed in ``problems``."""
    on = on or today()
    preset = FilterPreset(start=on - timedelta(days=days), end=on)
    start_raw, end_raw = _first(params, "start"), _first(params, "end")
    start, end = _parse_when(start_raw), _parse_when(end_raw)
    if start_raw and start is None:
        preset.problems.append(f"the start date {start_raw!r} is not a date")
    if end_raw and end is None:
        preset.problems.append(f"the end date {end_raw!r} is not a date")
    if start:
        preset.start = start.date()
        preset.end = max(on, preset.start)
    if end:
        # A window ending exactly at midnight does not reach into that day; a bare date is inclusive.
        has_time = len(end_raw) > 10
        last = end - timedelta(microseconds=1) if has_time and end.time() == time.min and (start is None or end > start) else end
        preset.end = last.date()
        if not start:
            preset.start = min(preset.start, preset.end)
    if preset.start > preset.end:
        preset.problems.append("the link's start date is after its end date; the dates were swapped")
        preset.start, preset.end = preset.end, preset.start
    _apply_filter_params(preset, params, feeds)
    scope_type, scope = _first(params, "scope_type"), _first(params, "scope")
    described = _apply_scope(preset, scope_type, scope, feeds)
    if described or start or end:
        parts = [described] if described else []
        if start or end:
            parts.append(f"{preset.start:%Y-%m-%d} to {preset.end:%Y-%m-%d}")
        preset.note = "Filters set by the link you opened: " + ", ".join(parts) + "."
    return preset


def _all(params: Mapping[str, object], key: str) -> list[str]:
    value = params.get(key)
    values = value if isinstance(value, list | tuple) else [value]
    return list(dict.fromkeys(str(v).strip() for v in values if str(v or "").strip()))


def _apply_filter_params(preset: FilterPreset, params: Mapping[str, object], feeds: Sequence[tuple[int, str]]) -> None:
    """The filters the page keeps in its URL (see ``filter_query``), so they survive a reload."""
    ids = {name: feed_id for feed_id, name in feeds}
    for name in _all(params, "feed"):
        if name in ids:
            preset.feed_ids.append(ids[name])
        else:
            preset.problems.append(f"there is no feed named {name!r} any more")
    preset.topics = _all(params, "topic")
    preset.companies = _all(params, "company")
    preset.keyword = _first(params, "q")
    preset.sentiments = [s for s in _all(params, "sentiment") if s in SENTIMENTS]
    _apply_watchlist(preset, _first(params, "watchlist"))
    count = _first(params, "count").lower()
    if count in COUNTS:
        preset.count = count
    elif count:
        preset.problems.append(f"count {count!r} is neither 'stories' nor 'items'; counting stories")


def _apply_watchlist(preset: FilterPreset, name: str) -> bool:
    """The watchlist filter, when a watchlist of that name exists (else a problem is noted); whether it was applied."""
    if not name:
        return False
    if name not in watchlist_names():
        preset.problems.append(f"there is no watchlist named {name!r} any more")
        return False
    preset.watchlist = name
    return True


def watchlist_names() -> list[str]:
    return [w["name"] for w in items.list_watchlists()]


def filter_query(
    start: date, end: date, feed_names: Iterable[str] = (), topics: Iterable[str] = (), companies: Iterable[str] = (),
    keyword: str = "", sentiments: Iterable[str] = (), count: str = DEFAULT_COUNT, watchlist: str = "",
) -> dict[str, str | list[str]]:
    """The page's filters as URL query parameters (read back by ``preset_from_query``); empty ones and the
    default count (stories) left out."""
    params: dict[str, str | list[str]] = {"start": start.isoformat(), "end": end.isoformat()}
    if count != DEFAULT_COUNT:
        params["count"] = count
    for key, values in (("feed", feed_names), ("topic", topics), ("company", companies), ("sentiment", sentiments)):
        if list(values):
            params[key] = list(values)
    if keyword.strip():
        params["q"] = keyword.strip()
    if watchlist:
        params["watchlist"] = watchlist
    return params


FILTER_PARAMS = ("start", "end", "feed", "topic", "company", "q", "sentiment", "count", "watchlist")
LINK_PARAMS = ("scope_type", "scope")  # only in links (alert emails, the Alerts page): applied once, then replaced


def opened_from_link(params: Mapping[str, object]) -> bool:
    """Whether the page was opened by an alert's link, whose filters replace the current ones (once)."""
    return bool(_first(params, "scope_type"))


def _apply_scope(preset: FilterPreset, scope_type: str, scope: str, feeds: Sequence[tuple[int, str]]) -> str:
    if not scope_type or scope_type == "all":
        return "all items" if scope_type == "all" else ""
    if not scope:
        preset.problems.append(f"the link names a {scope_type} scope without a value")
        return ""
    if scope_type == "topic":
        preset.topics = [scope]
        if tagged := items.feeds_tagged(scope):
            preset.problems.append(
                f"the alert also counted every item of the feeds tagged {scope!r} ({', '.join(tagged)}); the Topics "
                "filter shows the items the model put under the topic"
            )
    elif scope_type == "company":
        preset.companies = [scope]
    elif scope_type == "keyword":
        preset.keyword = scope
    elif scope_type == "feed":
        preset.feed_ids = [feed_id for feed_id, name in feeds if name == scope]
        if not preset.feed_ids:
            preset.problems.append(f"there is no feed named {scope!r} any more")
            return ""
    elif scope_type == "watchlist":
        if not _apply_watchlist(preset, scope):
            return ""
    else:
        preset.problems.append(f"unknown scope type {scope_type!r}")
        return ""
    return f"{scope_type} {scope!r}"


def with_values(options: Iterable[str], extra: Iterable[str]) -> list[str]:
    """Options for a multiselect that must also offer the preset values (sorted, unique)."""
    return sorted({*options, *extra}, key=str.lower)


def make_filter(
    start: date,
    end: date | None = None,
    feed_ids: Iterable[int] = (),
    topics: Iterable[str] = (),
    companies: Iterable[str] = (),
    keyword: str = "",
    sentiments: Iterable[str] = (),
    count: str = DEFAULT_COUNT,
    watchlist: str = "",
) -> ArticleFilter:
    """The filter for a date range picked in the UI: both days inclusive, in UTC. ``count`` 'stories' (the
    default) counts and lists each story once, through its lead item; 'items' every item."""
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}, got {count!r}")
    end = end or start
    if end < start:
        start, end = end, start
    return ArticleFilter(
        start=datetime.combine(start, time.min),
        end=datetime.combine(end, time.min) + timedelta(days=1),
        feed_ids=list(feed_ids),
        topics=list(topics),
        companies=list(companies),
        keyword=keyword or "",
        sentiments=list(sentiments),
        count_stories=count == "stories",
        watchlist=watchlist or "",
    )


def counted(flt: ArticleFilter) -> str:
    """What the filter counts, for labels: 'Stories' or 'Items'."""
    return COUNTS["stories" if flt.count_stories else "items"]


# --- the items, their trend and filter options ---------------------------------------------------


def list_articles(flt: ArticleFilter, limit: int | None = 500) -> pd.DataFrame:
    """Scored items, newest first (all of them when ``limit`` is None), as plain rows for a table; ``corrected`` says
    which labels a reviewer changed (the confidence columns stay the model's)."""
    frame = pd.DataFrame(items.scored_articles(flt, limit), columns=ARTICLE_COLUMNS)
    return frame.assign(corrected=frame["corrections"].map(corrected_text))


def corrected_text(corrections: Mapping[str, tuple[str | None, str]]) -> str:
    """A reviewer's corrections of one item in words: "sentiment (was negative, by ann)"; empty when none."""
    return "; ".join(f"{field} (was {old or 'none'}, by {user})" for field, (old, user) in sorted(corrections.items()))


def sentiment_trend(flt: ArticleFilter, group_by: str = "topic", frequency: str = "day", top: int = 8) -> pd.DataFrame:
    """Per time bucket and group: item counts per sentiment, negative share and net sentiment
    ((positive - negative) / items). Only the ``top`` largest groups are kept so charts stay legible."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    if frequency not in PANDAS_FREQUENCY:
        raise ValueError(f"frequency must be one of {', '.join(PANDAS_FREQUENCY)}")
    columns = ["bucket", "group", "items", "negative", "neutral", "positive", "negative_share", "net_sentiment"]
    counted = items.sentiment_buckets(flt, group_by, "day" if frequency == "week" else frequency, top)  # weeks: of days
    frame = pd.DataFrame(counted, columns=["bucket", "group", "sentiment", "n"])
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["bucket"] = pd.to_datetime(frame["bucket"])  # counted in SQL; SQLite gives the bucket as text
    if frequency == "week":
        frame["bucket"] = week_start(frame["bucket"])
    counts = frame.groupby(["bucket", "group", "sentiment"])["n"].sum().unstack("sentiment", fill_value=0)
    for label in SENTIMENTS:
        if label not in counts:
            counts[label] = 0
    counts = counts[list(SENTIMENTS)].reset_index()
    counts["items"] = counts[list(SENTIMENTS)].sum(axis=1)
    counts["negative_share"] = counts["negative"] / counts["items"]
    counts["net_sentiment"] = (counts["positive"] - counts["negative"]) / counts["items"]
    return counts[columns].sort_values(["bucket", "group"]).reset_index(drop=True)


def week_start(days: pd.Series) -> pd.Series:
    """The Monday (00:00 UTC) of each day's week: the bucket a weekly trend counts the day in."""
    return (days - pd.to_timedelta(days.dt.weekday, unit="D")).dt.normalize()


def suggested_frequency(flt: ArticleFilter) -> str:
    """The resolution the Trends tab opens with: weekly when the date filter spans more than ``WEEKLY_FROM_DAYS``
    (months of daily points, most of them thin), else daily."""
    if flt.start is None:
        return "day"
    return "week" if _filter_end(flt) - flt.start > timedelta(days=WEEKLY_FROM_DAYS) else "day"


def _filter_end(flt: ArticleFilter) -> datetime:
    """Where the date filter ends: its end, or the end of today (UTC) when it has none."""
    return flt.end or datetime.combine(today(), time.min) + timedelta(days=1)


def _percent(share: float) -> str:
    return f"{share:.0%}"


def mark_thin(trend: pd.DataFrame, min_items: int | None = None, stories: bool = False) -> pd.DataFrame:
    """The trend with what a chart needs to be honest about each bucket: the negative share's 95 % Wilson
    interval (``negative_low``, ``negative_high``, and as error bar lengths ``error_plus``, ``error_minus``),
    ``thin`` for a bucket with fewer than ``min_items`` items (the setting BEACON_TREND_MIN_ITEMS), and a
    ``note`` for the hover text ("thin data: only 1 item", or "1 story" when the trend counts stories)."""
    min_items = get_settings().trend_min_items if min_items is None else min_items
    frame = trend.copy()
    intervals = [wilson_interval(int(neg), int(n)) or (0.0, 1.0) for neg, n in zip(frame["negative"], frame["items"])]
    frame["negative_low"] = [low for low, _ in intervals]
    frame["negative_high"] = [high for _, high in intervals]
    frame["error_plus"] = (frame["negative_high"] - frame["negative_share"]).clip(lower=0.0)
    frame["error_minus"] = (frame["negative_share"] - frame["negative_low"]).clip(lower=0.0)
    frame["interval"] = [f"{_percent(low)}–{_percent(high)}" for low, high in intervals]
    frame["thin"] = frame["items"] < min_items
    one, many = ("story", "stories") if stories else ("item", "items")
    frame["note"] = [
        f"thin data: only {n} {one if n == 1 else many}" if thin else "" for n, thin in zip(frame["items"].astype(int), frame["thin"])
    ]
    return frame


def retention_note() -> str | None:
    """What the page says about deleted items (under the date range), or None when every item is kept."""
    days = get_settings().keep_items_days
    if days is None:
        return None
    return f"Items are kept for {count_of(days, 'day')} (BEACON_KEEP_ITEMS_DAYS); the worker deletes older ones."


MAX_LINES_WITH_BARS = 3  # more lines' interval bars overlap into a thicket: their intervals are in the hover instead


def interval_bars(marked: pd.DataFrame, share: bool) -> bool:
    """Whether the trend chart draws each point's 95% interval as a bar: for the negative share, up to three lines."""
    return share and marked["group"].nunique() <= MAX_LINES_WITH_BARS


def trend_caption(marked: pd.DataFrame, unit: str, share: bool) -> str:
    """What the Trends chart's marks mean: thin buckets, the interval bars, how to hide lines when there are many,
    and how to reach the items."""
    thin = int(marked["thin"].sum())
    if not share:
        interval = ""
    elif interval_bars(marked, share):
        interval = "Bars: the 95% (Wilson) interval of the negative share. "
    else:
        interval = (f"Each point's 95% (Wilson) interval is in its hover; with {MAX_LINES_WITH_BARS} lines or fewer "
                    "(narrow the filters) it is drawn as a bar. ")
    parts = [f"Hollow, faded points: buckets with fewer than {thin_threshold()} {unit.lower()} (thin data, {thin} here). "
             if thin else "", interval]  # fmt: skip
    if marked["group"].nunique() > MAX_LINES_WITH_BARS:
        parts.append("Click a name in the legend to hide its line; double-click it to show that line alone. ")
    return "".join(parts) + "Click a point or a bar to list the items behind it, or pick one below."


def thin_threshold() -> int:
    """Buckets with fewer items than this are thin data (BEACON_TREND_MIN_ITEMS)."""
    return get_settings().trend_min_items


THIN_MARKER = {"symbol": "circle-open", "opacity": 0.45}  # how a thin bucket's point is drawn
FULL_MARKER = {"symbol": "circle", "opacity": 1.0}


def marker_styles(thin: Iterable[bool]) -> dict[str, list]:
    """Per-point marker symbols and opacities for a chart trace: thin buckets hollow and faded."""
    styles = [THIN_MARKER if t else FULL_MARKER for t in thin]
    return {"symbol": [s["symbol"] for s in styles], "opacity": [s["opacity"] for s in styles]}


# --- period over period ---------------------------------------------------------------------------

# daily: this week vs last; weekly: the last 4 weeks vs the 4 before; hourly: this day vs the one before
COMPARE_PERIOD = {"day": timedelta(days=7), "week": timedelta(days=28), "hour": timedelta(days=1)}
COMPARE_NAMES = {"day": ("this week", "last week"), "week": ("the last 4 weeks", "the 4 weeks before"),
                 "hour": ("this day", "the day before")}  # fmt: skip
NEWEST_NAMES = {"day": ("the newest week with items", "the week before"),
                "week": ("the newest 4 weeks with items", "the 4 weeks before"),
                "hour": ("the newest day with items", "the day before")}  # fmt: skip
NEWEST_COLUMNS = {"day": ("newest week", "week before"), "week": ("newest 4 weeks", "4 weeks before"),
                  "hour": ("newest day", "day before")}  # fmt: skip; "Stories newest week"


def trend_csv(marked: pd.DataFrame, group_by: str, stories: bool) -> bytes:
    """The trend behind the chart as a spreadsheet-safe CSV (``mark_thin``'s frame): one row per time bucket and
    group with its counts, the negative share and its 95 % interval, and whether the bucket is thin."""
    unit = "stories" if stories else "items"
    frame = pd.DataFrame({
        "bucket (UTC)": pd.to_datetime(marked["bucket"]).dt.strftime("%Y-%m-%d %H:%M"),
        GROUPINGS[group_by].lower(): marked["group"],
        unit: marked["items"],
        **{label: marked[label] for label in SENTIMENTS},
        "negative share": marked["negative_share"].round(4),
        "negative share 95% low": marked["negative_low"].round(4),
        "negative share 95% high": marked["negative_high"].round(4),
        "thin (too few to read)": marked["thin"].map({True: "yes", False: "no"}),
    })  # fmt: skip
    return safe_csv(frame)


COMPARE_COLUMNS = ["group", "items", "previous_items", "negative_share", "previous_share", "change_points", "direction", "note"]


@dataclass(frozen=True)
class Comparison:
    """Negative share per group in the period ending with the date filter's end and in the period before."""

    start: datetime  # the current period: [start, end)
    end: datetime
    previous_start: datetime  # the previous period: [previous_start, start)
    names: tuple[str, str]
    table: pd.DataFrame  # COMPARE_COLUMNS
    so_far: bool = False  # the current period has not ended yet
    moved_from: tuple[datetime, datetime] | None = None  # the period ending with the date filter, when it held nothing
    column_names: tuple[str, str] | None = None  # the periods in the table's headers, when not ``names``
    stories: bool = False  # counting stories (the filter's count_stories), not items

    @property
    def headers(self) -> tuple[str, str]:
        """The two periods as the table's headers name them ("Stories this week", "Negative last week")."""
        return self.column_names or self.names

    def caption(self) -> str:
        text = (
            f"{self.names[0].capitalize()} ({_days(self.start, self.end)}) against {self.names[1]} "
            f"({_days(self.previous_start, self.start)}), UTC, with the filters applied; the change is in percentage "
            "points of negative share."
        )
        if self.moved_from:
            text += f" Nothing matches the filters from {_days(*self.moved_from)}, the two periods the date filter ends with."
        elif self.table.empty:
            text += " Nothing matches the filters in either period."
        if self.so_far:
            counted = "story" if self.stories else "item"
            text += f" {self.names[0].capitalize()} runs only to now, so its {counted} counts are lower for that reason alone."
        return text


def _days(start: datetime, end: datetime) -> str:
    first, last = start.date(), (end - timedelta(microseconds=1)).date()
    return f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"


def compare_counts(
    current: Mapping[str, tuple[int, int]], previous: Mapping[str, tuple[int, int]], min_items: int | None = None, top: int = 8
) -> pd.DataFrame:
    """Per group, from (items, negative) in the current and the previous period: items, negative shares,
    the change in whole percentage points and its direction. A group without items in one of the periods has no
    change; one with fewer than ``min_items`` in either is noted as thin data. The ``top`` largest groups."""
    min_items = get_settings().trend_min_items if min_items is None else min_items
    groups = sorted(set(current) | set(previous), key=lambda g: (-(current.get(g, (0, 0))[0] + previous.get(g, (0, 0))[0]), str(g)))
    rows = []
    for group in groups[:top]:
        (n, neg), (pn, pneg) = current.get(group, (0, 0)), previous.get(group, (0, 0))
        # whole percents, and the change between the shares as shown ("24%" beside "0%" is -24 points)
        share, before = (round(neg / n, 2) if n else None), (round(pneg / pn, 2) if pn else None)
        change = None if share is None or before is None else round((share - before) * 100)
        if change is None:
            direction = "new this period" if before is None else "no items this period"
        else:
            direction = "▲ more negative" if change > 0 else "▼ less negative" if change < 0 else "= unchanged"
        thin = [name for name, count in (("this period", n), ("the previous period", pn)) if 0 < count < min_items]
        note = "thin data in " + " and ".join(thin) if thin else ""
        rows.append([group, n, pn, share, before, change, direction, note])
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def compare_periods(flt: ArticleFilter, group_by: str, frequency: str, top: int = 8, now: datetime | None = None) -> Comparison:
    """This week against last week (weekly: the last 4 weeks against the 4 before; hourly: this day against the day
    before), per group, with the other filters applied; the current period ends with the date filter's last day
    (``so_far`` when that is after now)."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    period = COMPARE_PERIOD[frequency]
    end = _filter_end(flt)
    names, columns, moved_from = COMPARE_NAMES[frequency], None, None
    current, previous = _period_counts(flt, group_by, end - period, end)
    if not current and not previous:  # feeds that went quiet, or old items: compare the newest period that has some
        newest = items.newest_published(ArticleFilter(**{**flt.__dict__, "end": end - 2 * period}))
        if newest is not None:
            moved_from = (end - 2 * period, end)
            end = datetime.combine(newest.date(), time.min) + timedelta(days=1)
            names, columns = NEWEST_NAMES[frequency], NEWEST_COLUMNS[frequency]
            current, previous = _period_counts(flt, group_by, end - period, end)
    table = compare_counts({g: tuple(c) for g, c in current.items()}, {g: tuple(c) for g, c in previous.items()}, top=top)
    start = end - period
    return Comparison(start, end, start - period, names, table, so_far=end > (now or utcnow()), moved_from=moved_from,
                      column_names=columns, stories=flt.count_stories)


def _period_counts(flt: ArticleFilter, group_by: str, start: datetime, end: datetime) -> tuple[dict, dict]:
    """{group: [items, negative]} in [start, end) and in the period of the same length before it."""
    window = ArticleFilter(**{**flt.__dict__, "start": start - (end - start), "end": end})
    current: dict[str, list[int]] = {}
    previous: dict[str, list[int]] = {}
    for published_at, sentiment, group in items.scored_sentiments(window, group_by):
        if group is None:
            continue
        counts = (current if published_at >= start else previous).setdefault(str(group), [0, 0])
        counts[0] += 1
        counts[1] += sentiment == "negative"
    return current, previous


def bucket_filter(flt: ArticleFilter, group_by: str, group: str, bucket: datetime, frequency: str) -> ArticleFilter:
    """The filter for the items behind one point of a trend chart (click-through), within the date filter (a week
    the date filter starts or ends in counted only its days)."""
    start, end = bucket, bucket + BUCKET[frequency]
    if flt.start is not None and naive_utc(flt.start) > naive_utc(start):
        start = flt.start
    if flt.end is not None and naive_utc(flt.end) < naive_utc(end):
        end = flt.end
    narrowed = ArticleFilter(**{**flt.__dict__, "start": start, "end": end})
    if group_by == "topic":
        narrowed.topics = [group]
    elif group_by == "company":
        narrowed.companies = [group]
    elif group_by == "feed":
        narrowed.feed_ids = items.feed_ids_named(group)
    return narrowed


def narrowing_text(flt: ArticleFilter, feed_names: Mapping[int, str]) -> str | None:
    """The filters besides dates and the count that narrow what the Items and Trends tabs show, in words ("Narrowed
    to the watchlist 'Big tech' · sentiment negative"); None when there are none. They sit in the sidebar, out of
    sight on a narrow screen or after opening a link."""
    parts = [
        f"feeds {', '.join(feed_names.get(i, str(i)) for i in flt.feed_ids)}" if flt.feed_ids else "",
        f"topics {', '.join(flt.topics)}" if flt.topics else "",
        f"companies {', '.join(company_label(c) for c in flt.companies)}" if flt.companies else "",
        f"the watchlist {flt.watchlist!r}" if flt.watchlist else "",
        f"the keyword {flt.keyword.strip()!r}" if flt.keyword.strip() else "",
        f"sentiment {', '.join(flt.sentiments)}" if flt.sentiments else "",
    ]
    shown = [p for p in parts if p]
    return "Narrowed to " + " · ".join(shown) if shown else None


def company_label(key: str) -> str:
    """A company filter option as a person reads it: name and ticker ("Meta Platforms (META)")."""
    return entities.company_label(key)


def filter_options() -> dict[str, list]:
    """Values for the page's filter widgets: feeds (id, name), topics, the most mentioned companies."""
    return items.filter_options()


def stored_item_span() -> tuple[date, date] | None:
    """The first and last publication day of the scored items, or None when there are none."""
    span = items.scored_span()
    return (span[0].date(), span[1].date()) if span else None


# --- summaries and charts ---------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    items: int
    negative: int
    neutral: int
    positive: int

    @property
    def negative_share(self) -> float | None:
        return self.negative / self.items if self.items else None

    @property
    def net_sentiment(self) -> float | None:
        return (self.positive - self.negative) / self.items if self.items else None


def summarise(flt: ArticleFilter) -> Summary:
    """Counts of all scored items matching the filter (not capped like the item table)."""
    trend = sentiment_trend(flt, "all", "day")
    if trend.empty:
        return Summary(0, 0, 0, 0)
    return Summary(*(int(trend[col].sum()) for col in ("items", "negative", "neutral", "positive")))


def unscored_count() -> int:
    """Items stored but not scored yet (e.g. no sentiment model, or the worker is behind)."""
    return items.unscored_count()


def empty_items_message(feed_count: int, unscored: int) -> str:
    """Why the Items or Trends tab is empty and what the signed-in user can do about it (admins add feeds, analysts
    fetch them, viewers wait for both)."""
    actor = current_actor()
    if not feed_count:
        if actor is not None and actor.can("admin"):
            return "No feeds yet — add one in the Feeds tab."
        return "No feeds yet. An admin adds RSS or Atom feeds in the Feeds tab; their items appear here once fetched and scored."
    fetch = actor is not None and actor.can("analyst")
    if unscored:
        return (
            f"{unscored} stored items are waiting to be scored. They appear here once the worker "
            "(`python -m jobs`) scores them" + (", or press Fetch now in the Feeds tab." if fetch else ".")
        )
    return ("No scored items match these filters. Widen the date range or clear some filters"
            + (", or fetch a feed in the Feeds tab." if fetch else "."))  # fmt: skip


@dataclass(frozen=True)
class HiddenOlder:
    """What the date range hides: how many older items the other filters match, and a range as long as the default
    one ending on the newest day that holds some (where an analyst opening months-old feeds wants to land)."""

    count: int
    newest_week: tuple[date, date] | None


def hidden_older_items(flt: ArticleFilter) -> HiddenOlder:
    """Items the other filters match that are older than the date range (the Items and Trends tabs say so)."""
    if flt.start is None:
        return HiddenOlder(0, None)
    days = sentiment_trend(ArticleFilter(**{**flt.__dict__, "start": None, "end": flt.start}), "all", "day")
    if days.empty:
        return HiddenOlder(0, None)
    newest = pd.Timestamp(days["bucket"].max()).date()
    return HiddenOlder(int(days["items"].sum()), (newest - timedelta(days=DEFAULT_DAYS), newest))


def all_dates() -> tuple[date, date]:
    """A date range holding every stored item (the 'Show all' of a date filter)."""
    span = stored_item_span()
    return (span[0], max(span[1], today())) if span else (today() - timedelta(days=DEFAULT_DAYS), today())


def older_items_message(hidden: int, count_stories: bool = False) -> str:
    """In what the page counts (the filter's ``count_stories``): "3 older stories are hidden by the date filter"."""
    noun = ("story", "stories") if count_stories else ("item", "items")
    return f"{hidden} older {noun[0] + ' is' if hidden == 1 else noun[1] + ' are'} hidden by the date filter."


BUCKET = {"day": timedelta(days=1), "week": timedelta(days=7), "hour": timedelta(hours=1)}
TICK_FORMAT = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "hour": "%Y-%m-%d %H:%M"}  # a week by its Monday
BUCKET_TITLES = {"day": "Day (UTC)", "week": "Week from Monday (UTC)", "hour": "Hour (UTC)"}  # the time axis, and hovers
MAX_FIXED_TICKS = 12


SPAN_WHEN = {"day": "%-d %b %Y", "week": "%-d %b %Y", "hour": "%-d %b %Y %H:00"}
FAR_MIN_BUCKETS = 4  # a few items far from the rest (``stats.main_span``) lie behind a gap of more buckets than this


@dataclass(frozen=True)
class ChartSpan:
    """The buckets a trend chart opens on: all of them, except a few items far from the rest (one story from
    2016 in feeds of 2026), which would squeeze every other point into a sliver. ``before`` and ``after`` are
    the buckets (and their counts) left off the first view; zooming out shows them."""

    first: datetime
    last: datetime
    before: pd.Series  # items per bucket, by bucket
    after: pd.Series

    @property
    def trimmed(self) -> bool:
        return not (self.before.empty and self.after.empty)


def chart_span(trend: pd.DataFrame, frequency: str) -> ChartSpan | None:
    """Which buckets of ``trend`` (``bucket`` and ``items`` columns) a chart opens on; None without any."""
    if trend.empty:
        return None
    counts = trend.groupby(pd.to_datetime(trend["bucket"]))["items"].sum().sort_index()
    lo, hi = main_span(counts, BUCKET[frequency] * FAR_MIN_BUCKETS)
    times = list(counts.index)
    return ChartSpan(times[lo].to_pydatetime(), times[hi].to_pydatetime(), counts.iloc[:lo], counts.iloc[hi + 1 :])


def chart_span_caption(span: ChartSpan | None, frequency: str, stories: bool = False) -> str | None:
    """Says what a trimmed ``chart_span`` leaves off the first view, and how to see it; None when nothing is."""
    if span is None or not span.trimmed:
        return None
    noun = ("story", "stories") if stories else ("item", "items")
    shown = SPAN_WHEN[frequency]
    said = []
    for part, side in ((span.before, "before"), (span.after, "after")):
        if not part.empty:
            when = (f"the {frequency}{'s' if len(part) > 1 else ''} of " if frequency == "week" else "") + part.index.min().strftime(shown)
            when += "" if len(part) == 1 else f" to {part.index.max().strftime(shown)}"
            said.append(f"{count_of(int(part.sum()), *noun)} from {when}, far {side} the rest")
    last = span.last + BUCKET[frequency] - (timedelta(hours=1) if frequency == "hour" else timedelta(days=1))
    return (f"The charts first show {span.first.strftime(shown)} to {last.strftime(shown)}, where the data is; "
            f"{' and '.join(said)}, {one_or_many(int(span.before.sum() + span.after.sum()), 'is', 'are')} left out of that view. "
            "Double-click a chart to zoom out to all of it.")


def time_axis(buckets: Iterable[object], frequency: str, span: ChartSpan | None = None) -> dict:
    """Plotly x-axis settings for a chart of time buckets: whole days (or hours) as labels, half a bucket
    of room on each side, and one tick per bucket when there are few; without them, one day of data
    gets ticks such as 23:59:59.999. With a ``span``, the axis opens on its buckets only."""
    times = sorted(pd.to_datetime(list(buckets)))
    if span is not None:
        times = [t for t in times if span.first <= t <= span.last]
    step = BUCKET[frequency]
    axis: dict = {"tickformat": TICK_FORMAT[frequency]}
    if not times:
        return axis
    first, last = times[0].to_pydatetime(), times[-1].to_pydatetime()
    axis["range"] = [(first - step / 2).isoformat(), (last + step / 2).isoformat()]
    if (last - first) / step < MAX_FIXED_TICKS:
        axis.update(tick0=first.isoformat(), dtick=int(step.total_seconds() * 1000))
    return axis


def bar_width(frequency: str) -> int:
    """Width of a bar on a time axis, in milliseconds: most of its bucket. Plotly sizes date bars from the
    gaps between them, so a single bucket (one day of data) was drawn as a hairline."""
    return int(BUCKET[frequency].total_seconds() * 1000 * 0.8)


def _bucket_key(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%dT%H:%M:%S")


def trend_chart_frame(trend: pd.DataFrame, frequency: str | None = None) -> pd.DataFrame:
    """The trend with a ``bucket_key`` column (ISO text) the chart carries as custom data, so a
    clicked point can be mapped back to its bucket and group exactly, and a ``series`` column: the
    group name HTML-escaped, because Plotly renders tags such as ``<a>`` and ``<b>`` in legends and
    group names come from feeds and users. With the ``frequency``, a group's line breaks where it has
    no items (an empty row after each gap): a line drawn across empty days or years shows a trend where
    there was no data."""
    frame = _gaps_broken(trend, BUCKET[frequency]) if frequency and not trend.empty else trend.copy()
    frame["bucket_key"] = _bucket_key(frame["bucket"]) if not frame.empty else []
    frame["series"] = [html.escape(str(g)) for g in frame["group"]]
    return frame


def _gaps_broken(trend: pd.DataFrame, step: timedelta) -> pd.DataFrame:
    """``trend`` with, per group, an empty row (no values) one bucket after each bucket whose next one is further away."""
    frame = trend.sort_values(["group", "bucket"], kind="stable")
    later = frame.groupby("group", sort=False)["bucket"].shift(-1)
    ends = frame.loc[(later - frame["bucket"]) > step, ["group", "bucket"]]
    if ends.empty:
        return frame.reset_index(drop=True)
    gaps = ends.assign(bucket=ends["bucket"] + step)
    return pd.concat([frame, gaps]).sort_values(["group", "bucket"], kind="stable").reset_index(drop=True)


def sentiment_counts(flt: ArticleFilter, frequency: str, now: datetime | None = None) -> pd.DataFrame:
    """Items per bucket and sentiment (long form, for a stacked bar), each item counted once; ``so_far`` marks the
    bucket still under way (today, this hour), ``cut`` a week the date filter covers only in part (its first or last):
    the counts of both are lower for that reason alone."""
    trend = sentiment_trend(flt, "all", frequency)
    if trend.empty:
        return pd.DataFrame(columns=["bucket", "sentiment", "items", "bucket_key", "so_far", "cut"])
    long = trend[["bucket", *SENTIMENTS]].melt(id_vars=["bucket"], var_name="sentiment", value_name="items")
    long["bucket_key"] = _bucket_key(long["bucket"])
    starts = pd.to_datetime(long["bucket"])
    ends = starts + BUCKET[frequency]
    long["so_far"] = ends > (now or utcnow())
    cut = pd.Series(False, index=long.index)
    if flt.start is not None:
        cut |= starts < naive_utc(flt.start)
    if flt.end is not None:
        cut |= ends > naive_utc(flt.end)
    long["cut"] = cut & ~long["so_far"]
    return long


SO_FAR_NAMES = {"day": "today (UTC)", "week": "this week (UTC)", "hour": "this hour"}


def so_far_caption(counts: pd.DataFrame, frequency: str) -> str | None:
    """What the lighter bars of ``sentiment_counts`` mean; None when every bucket is whole."""
    if counts.empty:
        return None
    said = []
    if counts["so_far"].any():
        said.append(f"The lighter bar is {SO_FAR_NAMES[frequency]} so far: its counts are lower for that reason alone.")
    if counts["cut"].any():  # frequency names the bucket: day, week, hour
        said.append(f"A lighter bar at an end of the date range is a {frequency} the range covers only in part: only the "
                    "items inside the range are counted.")  # fmt: skip
    return " ".join(said) or None


DRILL_WHEN = {"day": "%Y-%m-%d", "week": "week of %Y-%m-%d", "hour": "%Y-%m-%d %H:00"}  # a bucket in the picker


@dataclass(frozen=True)
class Drill:
    """The items behind one chart point: a time bucket, a group (or all items) and maybe a sentiment."""

    bucket: datetime
    group: str | None = None
    sentiment: str | None = None

    def label(self, frequency: str) -> str:
        parts = [self.bucket.strftime(DRILL_WHEN[frequency]), self.group or "all items"]
        if self.sentiment:
            parts.append(self.sentiment)
        return " · ".join(parts)


def drill_at(group: object, bucket_key: object) -> Drill | None:
    """The trend point of ``group`` at the bucket ``bucket_key`` (ISO text, as carried by the chart)."""
    bucket = _parse_when(str(bucket_key or ""))
    return None if bucket is None else Drill(bucket, group=str(group))


def sentiment_drill_at(sentiment: object, bucket_key: object) -> Drill | None:
    """The bar of the sentiment count chart for ``sentiment`` at the bucket ``bucket_key``."""
    bucket = _parse_when(str(bucket_key or ""))
    return Drill(bucket, group=None, sentiment=str(sentiment)) if bucket is not None and sentiment in SENTIMENTS else None


def drill_choices(trend: pd.DataFrame, frequency: str) -> list[Drill]:
    """Every point of the trend, newest first: the keyboard-friendly alternative to clicking."""
    if trend.empty:
        return []
    rows = trend.sort_values(["bucket", "items"], ascending=[False, False])
    return [Drill(pd.Timestamp(b).to_pydatetime(), group=str(g)) for b, g in zip(rows["bucket"], rows["group"])]


def drill_filter(flt: ArticleFilter, group_by: str, drill: Drill, frequency: str) -> ArticleFilter:
    narrowed = bucket_filter(flt, group_by if drill.group is not None else "all", drill.group or "", drill.bucket, frequency)
    if drill.sentiment:
        narrowed.sentiments = [drill.sentiment]
    return narrowed


# --- items table ------------------------------------------------------------------------------

ITEM_COLUMNS = [
    "published_at", "title", "link", "sources", "sentiment", "confidence", "prob_negative", "topic", "companies", "feed", "corrected",
]


def items_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns the item tables show, in order."""
    return frame.reindex(columns=ITEM_COLUMNS)


def picked_item(frame: pd.DataFrame, rows: list[int]) -> int | None:
    """The id of the item in the first picked row of an items table (positions as Streamlit gives them), or None."""
    return int(frame["id"].iloc[rows[0]]) if rows and 0 <= rows[0] < len(frame) else None


def labels_now(frame: pd.DataFrame, item_id: int | None) -> str:
    """What an item is labelled now, for the correction form ("Now: sentiment neutral (confidence 0.99), topic Macro")."""
    match = frame[frame["id"] == item_id] if item_id is not None else frame.iloc[0:0]
    if match.empty:
        return ""
    row = match.iloc[0]
    fixed = row["corrections"] if isinstance(row.get("corrections"), Mapping) else {}
    score = f"{row['confidence']:.2f}" if pd.notna(row["confidence"]) else ""
    if "sentiment" in fixed:
        old, user = fixed["sentiment"]
        sentiment = f"{row['sentiment']}, corrected by {user} (the model said {old}{' at ' + score if score else ''})"
    else:
        sentiment = f"{row['sentiment']}{f' (confidence {score})' if score else ''}"
    topic = row["topic"] if isinstance(row["topic"], str) and row["topic"] else "none"
    if "topic" in fixed:
        topic += f", corrected by {fixed['topic'][1]} (was {fixed['topic'][0] or 'none'})"
    return f"Now: sentiment {sentiment}; topic {topic}."


# The Items download: the table's columns and the summary, headed in words (opened in Excel by analysts).
EXPORT_HEADERS = {
    "published_at": "Published (UTC)", "title": "Title", "link": "Link", "sources": "Sources", "sentiment": "Sentiment",
    "confidence": "Confidence", "prob_negative": "P(negative)", "topic": "Topic", "companies": "Companies", "feed": "Feed",
    "corrected": "Corrected by a reviewer", "summary": "Summary",
}  # fmt: skip


def items_download_label(count: int, stories: bool) -> str:
    what = count_of(count, "story", "stories") if stories else count_of(count, "item")
    return f"Download {'the' if count == 1 else 'all'} {what} (CSV)"


def items_download(flt: ArticleFilter) -> Callable[[], bytes]:
    """Every item (or story) the filters match, not only the newest the table lists, as a CSV file made when the
    download is asked for."""

    def make() -> bytes:
        frame = list_articles(flt, limit=None).reindex(columns=list(EXPORT_HEADERS)).rename(columns=EXPORT_HEADERS)
        return safe_csv(frame)

    return make


# --- feeds ------------------------------------------------------------------------------------


def feeds_table(feeds: Sequence[FeedView]) -> pd.DataFrame:
    rows = [
        {
            "id": f.id,
            "name": f.name,
            "status": ("paused · " if not f.enabled else "") + feed_status(f),
            "last_error": feed_problem(f),
            "last_fetched_at": f.last_fetched_at,
            "last_new_items": f.last_new_items if f.last_fetched_at else None,  # not 0 before the first fetch
            "items": f.articles,
            "interval_minutes": f.interval_minutes,
            "topics": ", ".join(f.topics),
            "url": f.url,
        }
        for f in feeds
    ]
    columns = ["id", "name", "status", "last_error", "items", "last_fetched_at", "last_new_items", "interval_minutes", "topics", "url"]
    if not any(row["last_error"] for row in rows):
        columns.remove("last_error")  # an empty wide column would push the URLs off the screen
    return pd.DataFrame(rows, columns=columns).astype({"last_new_items": "Int64"})


def feed_status(feed: FeedView) -> str:
    """The status in words; a fetch that stored the items of a broken document says so (its problem is kept)."""
    if feed.last_status in ("ok", "not_modified") and feed.last_error:
        return FEED_STATUS[feed.last_status] + ", with a problem"
    return FEED_STATUS.get(feed.last_status, feed.last_status or "")


def feed_problem(feed: FeedView) -> str:
    """The last fetch's problem without the feed's own URL, which the row already shows: the narrow column then starts
    with what went wrong ("HTTP 404 File not found", "the URL returned an HTML page…") instead of the address."""
    text = feed.last_error or ""
    return text.removeprefix(f"{feed.url}: ").removesuffix(f" from {feed.url}")


def feed_saved_text(name: str, changes: Mapping[str, object]) -> str:
    """What saving a feed's settings did, in words (``changes``: the settings that changed, as given)."""
    said = []
    if "name" in changes:
        following = [f"alert rule {r!r}" for r in alert_rows.rules_watching("feed", " ".join(str(changes["name"]).split()))]
        verb = "watches" if len(following) == 1 else "watch"
        said.append(f"renamed from {name!r}" + (f" ({' and '.join(following)} {verb} it by its new name)" if following else ""))
    if "url" in changes:
        said.append("new URL, fetched in full next time")
    if "topics" in changes:
        tags = ", ".join(t.strip() for t in str(changes["topics"]).split(",") if t.strip())
        said.append(f"topic tags: {tags}" if tags else "no topic tags")
    if "interval_minutes" in changes:
        said.append(f"fetched every {count_of(int(changes['interval_minutes']), 'minute')}")
    if "enabled" in changes:
        said.append("resumed (the worker fetches it on schedule again)" if changes["enabled"] else
                    "paused (the worker skips it until it is resumed; its items stay)")  # fmt: skip
    shown = " ".join(str(changes.get("name", name)).split())
    return f"Saved the feed {shown!r}: {'; '.join(said)}."


@dataclass(frozen=True)
class ActionReport:
    level: str  # success | info | warning | error
    text: str  # plain text (contains feed content: show it escaped or as text)
    new_items: int = 0
    scored: int = 0
    problem_feeds: tuple[int, ...] = ()  # feeds whose failure or broken document this report already says
    feed_links: tuple[tuple[str, str], ...] = ()  # the failed feed's URL is a web page naming these feeds (URL, title)


def last_fetch_problem(feed: FeedView, report: ActionReport | None) -> tuple[str, str] | None:
    """The (level, text) line under the feed picker when the picked feed's last fetch failed, or stored only what it
    could recover from a broken document; not when the report just shown is that failure (the same error twice on one
    screen says nothing more)."""
    if not feed.last_error or (report is not None and feed.id in report.problem_feeds):
        return None
    if feed.last_status == "error":
        return "error", f"The last fetch of {feed.name} failed: {feed.last_error}"
    if feed.last_status in ("ok", "not_modified"):
        return "warning", f"The last fetch of {feed.name} stored what it could: {feed.last_error}"
    return None


def _group_into_stories() -> None:
    """Put the fetched items into stories now, as the worker would at its next cycle, so the Items tab counts the
    stories right away (not one story per item until then). A failure is logged; the worker groups them later."""
    try:
        group_new_items()
    except Exception:
        log.exception("grouping new items into stories after a fetch failed; the worker groups them at its next cycle")


def _score_fetched(fetched: str, new_items: int, progress: ScoringProgress | None = None) -> int | ActionReport:
    """Score what a fetch stored: the number scored, or the report that says why nothing could be."""
    try:
        return score_pending_articles(progress=progress)
    except NoActiveModel:
        return ActionReport(
            "warning",
            f"{fetched}: {new_items} new items stored, but none could be scored because there is no active "
            "sentiment model. Run `make run` or `python -m core setup`.",
            new_items,
        )
    except Exception:  # a broken model folder must not break the page, nor show it a raw exception
        log.exception("scoring after fetching %s failed", fetched)
        return ActionReport(
            "error",
            f"{fetched}: {new_items} new items stored, but they could not be scored now; the worker tries again "
            "at its next cycle (the reason is in the app's log).",
            new_items,
        )


def scoring_progress_text(done: int, waiting: int) -> str:
    """The Fetch now bar while the fetched items are scored: "Scoring the new items… 64 of 100"."""
    return f"Scoring the new items… {done:,} of {waiting:,}"


def _scoring_text(waiting: int) -> str:
    return "all scored" if not waiting else f"{waiting} still waiting to be scored by the worker"


def _new_items_text(new_items: int, waiting: int) -> str:
    """"3 new items, all scored"; "no new items" when the fetch found none and nothing waits to be scored."""
    if not new_items and not waiting:
        return "no new items"
    return f"{count_of(new_items, 'new item')}, {_scoring_text(waiting)}"


def _too_old_text(outcomes: list[CrawlOutcome]) -> str:
    """' 12 items published before 4 Dec 2025 were not stored: …' when the feeds listed items older than the days kept."""
    too_old = sum(o.too_old for o in outcomes)
    first = first_day_kept()
    if not too_old or first is None:
        return ""
    day = f"{first:%d %b %Y}".lstrip("0")
    were = "was" if too_old == 1 else "were"
    kept = count_of(get_settings().keep_items_days, "day")
    return f" {count_of(too_old, 'item')} published before {day} {were} not stored: items are kept for {kept} (BEACON_KEEP_ITEMS_DAYS)."


def fetch_all_now(progress: ScoringProgress | None = None) -> ActionReport:
    """Crawl every enabled feed now, concurrently as the worker's cycle does (a feed another worker is fetching at
    this moment is left to it), and score what is unscored. A failed feed never stops the rest; the report names it."""
    require("analyst", "fetch feeds")
    outcomes = crawl_due_feeds(force=True)
    record("feeds fetched", "all enabled feeds", detail={"feeds": len(outcomes)})
    if not outcomes:
        return ActionReport("info", "No feed was fetched: there is no enabled feed, or another worker is fetching them now.")
    new_items = sum(o.new_items for o in outcomes)
    failed = [o for o in outcomes if o.status == "error"]
    fetched = f"{len(outcomes) - len(failed)} of {len(outcomes)} feeds fetched"
    _group_into_stories()
    scored = _score_fetched(fetched, new_items, progress)
    if isinstance(scored, ActionReport):
        return scored
    text = f"{fetched}: {_new_items_text(new_items, items.unscored_count())}.{_too_old_text(outcomes)}"
    if failed:
        problems = "; ".join(f"{o.feed_name}: {o.error}" for o in failed)
        return ActionReport("warning", f"{text} Failed: {problems}", new_items, scored, tuple(o.feed_id for o in failed))
    return ActionReport("success", text, new_items, scored)


def fetch_now(feed_id: int, progress: ScoringProgress | None = None) -> ActionReport:
    """Crawl one feed now and score whatever is unscored (``progress`` hears after each batch). Problems become the
    report; only a role that may not fetch raises (PermissionDenied)."""
    require("analyst", "fetch feeds")
    outcome = crawl_feed(feed_id)
    if outcome.feed_name:  # audited once the feed is known to exist (an unknown id fetches nothing)
        record("feed fetched", outcome.feed_name, detail={"feed id": feed_id})
    name = outcome.feed_name or f"feed {feed_id}"
    if outcome.status == "error":
        return ActionReport("error", f"Fetching {name} failed: {outcome.error}", problem_feeds=(feed_id,), feed_links=outcome.feed_links)
    _group_into_stories()
    scored = _score_fetched(name, outcome.new_items, progress)
    if isinstance(scored, ActionReport):
        return scored
    waiting = items.unscored_count(feed_id)  # the worker may have scored some of them at the same moment
    if outcome.status == "not_modified":
        text = f"{name} has not changed since the last fetch; its items are {_scoring_text(waiting)}."
    elif outcome.status == "empty":
        text = f"{name} answered, but the feed has no items."
    else:
        text = f"{name}: {_new_items_text(outcome.new_items, waiting)}.{_too_old_text([outcome])}"
    if outcome.error:  # a broken document whose items could still be read
        return ActionReport(
            "warning", f"{text} The feed document has problems: {outcome.error}", outcome.new_items, scored, (feed_id,)
        )
    return ActionReport("info" if outcome.status == "empty" else "success", text, outcome.new_items, scored)

