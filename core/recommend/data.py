"""Reading the interactions and catalogue files, column mapping, the data check, and the in-memory dataset."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from core.dates import DatesRead, read_dates
from core.scoring.reading import InputFileError, header_only, no_column, read_whole_table
from core.wording import count_of, one_or_many

INTERACTION_FIELDS = {"user": True, "item": True, "rating": False, "event": False, "timestamp": False}
ITEM_FIELDS = {"item": True, "title": True, "description": False, "category": False, "tags": False, "price": False}
FIELD_NAMES = {"user": "user", "item": "item", "rating": "rating", "event": "event type", "timestamp": "timestamp",
               "title": "title", "description": "description", "category": "category", "tags": "tags", "price": "price"}
_SYNONYMS = {
    "user": ["user", "userid", "customer", "customerid", "visitor", "visitorid", "client", "member", "uid"],
    "item": ["item", "itemid", "movieid", "product", "productid", "sku", "article", "articleid", "movie", "iid"],
    "rating": ["rating", "score", "stars", "value", "grade"],
    "event": ["event", "eventtype", "action", "type", "interaction"],
    "timestamp": ["timestamp", "time", "ts", "date", "datetime", "createdat", "eventtime", "when", "ordered", "orderdate", "orderedat",
                  "purchased", "purchasedate", "purchasedat", "created", "eventdate", "viewedat"],
    "title": ["title", "name", "productname", "itemname", "label"],
    "description": ["description", "desc", "summary", "text", "body", "overview"],
    "category": ["category", "categories", "genres", "genre", "department", "section"],
    "tags": ["tags", "tag", "keywords"],
    "price": ["price", "cost", "amount"],
}
MAX_LISTED = 5  # line numbers / values quoted per message


class RecommendFileError(ValueError):
    """A file that cannot be read as a table; the message names the file."""


def read_table(source: Path | bytes, name: str = "") -> pd.DataFrame:
    """Read a CSV (comma, semicolon, tab or pipe; UTF-8, UTF-16 or Latin-1) or an Excel .xlsx file (its first sheet) with
    every cell as text."""
    if isinstance(source, Path):
        name = name or source.name
        if not source.exists():
            raise RecommendFileError(f"{name}: file not found")
        raw = source.read_bytes()
    else:
        raw = source
    name = name or "the file"
    if not raw.strip():
        raise RecommendFileError(f"{name}: the file is empty")
    try:
        frame = read_whole_table(raw, name)
    except InputFileError as exc:
        raise RecommendFileError(str(exc)) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise RecommendFileError(header_only(name, frame.columns))
    return frame


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def suggest_mapping(frame: pd.DataFrame, kind: str) -> dict[str, str | None]:
    """Guess which column holds each field (``kind``: "interactions" or "items"); None when nothing fits."""
    fields = INTERACTION_FIELDS if kind == "interactions" else ITEM_FIELDS
    taken: set[str] = set()
    mapping: dict[str, str | None] = {fld: None for fld in fields}
    for fld in fields:  # exact names first, for every field, so "event_time" is not taken as the event type
        for synonym in _SYNONYMS[fld]:
            found = next((c for c in frame.columns if _norm(c) == synonym and c not in taken), None)
            if found:
                mapping[fld] = found
                taken.add(found)
                break
    for fld in fields:
        if mapping[fld] is None:
            found = next((c for c in frame.columns if c not in taken and any(_norm(c).startswith(s) for s in _SYNONYMS[fld][:2])), None)
            if found:
                mapping[fld] = found
                taken.add(found)
    return mapping


@dataclass
class Issue:
    level: str  # error | warning | info
    message: str


@dataclass
class DataCheck:
    """What the check found, plus the cleaned tables (used only when there is no error)."""

    issues: list[Issue] = field(default_factory=list)
    stats: dict[str, float | int | str] = field(default_factory=dict)
    interactions: pd.DataFrame | None = None  # user, item, rating, event, timestamp (float seconds)
    items: pd.DataFrame | None = None  # item, title, description, category, tags, price
    suggested_min_rating: float | None = None  # on a star scale with every rating counted: where "liked" starts

    @property
    def ok(self) -> bool:
        return not any(i.level == "error" for i in self.issues)

    def add(self, level: str, message: str) -> None:
        self.issues.append(Issue(level, message))

    def messages(self, level: str) -> list[str]:
        return [i.message for i in self.issues if i.level == level]


def _lines(index: pd.Index | np.ndarray) -> str:
    lines = [int(i) + 2 for i in list(index)[:MAX_LISTED]]  # line 1 is the header
    more = ", ..." if len(index) > MAX_LISTED else ""
    return ("line " if len(lines) == 1 else "lines ") + ", ".join(map(str, lines)) + more


def _values(values: pd.Series) -> str:
    uniq = list(dict.fromkeys(values.tolist()))
    return ", ".join(repr(v) for v in uniq[:MAX_LISTED]) + (", ..." if len(uniq) > MAX_LISTED else "")


def _items(values: pd.Series) -> str:
    return ("item " if values.nunique() == 1 else "items ") + _values(values)


def _skipped(rows: int) -> str:
    return one_or_many(rows, "that row is skipped", "those rows are skipped")


def _parse_timestamps(values: pd.Series) -> tuple[pd.Series, DatesRead | None]:
    """Seconds since the epoch from Unix seconds or date/time text (NaN where unreadable), and how the texts were read."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().sum() >= max(1, int(0.9 * (values != "").sum())):
        return numeric.astype(float), None
    dates = read_dates(values)
    return (dates.stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds(), dates  # whatever unit pandas keeps them in


def _say_date_order(check: DataCheck, dates: DatesRead, values: pd.Series, column: str, name: str) -> None:
    day, month = dates.day_first_example, dates.month_first_example
    if dates.mixed_orders:
        check.add("warning", f"{name}: column {column!r} writes dates day-first (line {int(day) + 2}: {values[day]!r}) and "
                             f"month-first (line {int(month) + 2}: {values[month]!r}); dates that could be either, such as "
                             "05/03/2024, are read month-first (3 May): check the export")  # fmt: skip
    elif dates.day_first:
        check.add("info", f"{name}: dates in column {column!r} are read day-first, as line {int(day) + 2} shows "
                          f"({values[day]!r}); 05/03/2024 is 5 March")  # fmt: skip


def _check_mapping(check: DataCheck, frame: pd.DataFrame, mapping: dict[str, str | None], fields: dict[str, bool], name: str) -> bool:
    good = True
    for fld, required in fields.items():
        column = mapping.get(fld)
        if column and column not in frame.columns:
            check.add("error", f"{name}: {no_column(column, frame.columns, FIELD_NAMES[fld])}")
            good = False
        elif required and not column:
            looked_for = ", ".join(_SYNONYMS[fld][:4])
            check.add("error", f"{name}: choose the column that holds the {FIELD_NAMES[fld]} (no column is named like "
                               f"{looked_for}, …; columns are: {', '.join(map(str, frame.columns))})")  # fmt: skip
            good = False
    return good


def _clean_items(check: DataCheck, frame: pd.DataFrame, mapping: dict[str, str | None], name: str) -> pd.DataFrame:
    out = pd.DataFrame({fld: frame[col].str.strip() if (col := mapping.get(fld)) else "" for fld in ITEM_FIELDS}, index=frame.index)
    empty = out.index[out["item"] == ""]
    if len(empty):
        check.add("warning", f"{name}: {count_of(len(empty), 'row')} {one_or_many(len(empty), 'has', 'have')} no item id in column "
                             f"{mapping['item']!r} ({_lines(empty)}); {_skipped(len(empty))}")
        out = out.drop(index=empty)
    dup = out.index[out["item"].duplicated()]
    if len(dup):
        check.add("warning", f"{name}: {count_of(len(dup), 'item')} {one_or_many(len(dup), 'appears', 'appear')} twice in column "
                             f"{mapping['item']!r} ({_lines(dup)}); the first row is kept")
        out = out.drop(index=dup)
    untitled = out.index[out["title"] == ""]
    if len(untitled):
        check.add("warning", f"{name}: {count_of(len(untitled), 'item')} {one_or_many(len(untitled), 'has', 'have')} no title in column "
                             f"{mapping['title']!r} ({_lines(untitled)}); {one_or_many(len(untitled), 'its', 'their')} "
                             "text comes from the other columns")
    if mapping.get("price"):
        price = pd.to_numeric(out["price"], errors="coerce")
        bad = out.index[price.isna() & (out["price"] != "")]
        if len(bad):
            check.add("warning", f"{name}: {count_of(len(bad), 'price')} in column {mapping['price']!r} "
                                 f"{one_or_many(len(bad), 'is not a number', 'are not numbers')} ({_lines(bad)}); "
                                 f"{one_or_many(len(bad), 'it is', 'they are')} ignored")
        out["price"] = price
    return out.reset_index(drop=True)


def check_data(
    interactions: pd.DataFrame,
    items: pd.DataFrame,
    interaction_mapping: dict[str, str | None],
    item_mapping: dict[str, str | None],
    interactions_name: str = "interactions",
    items_name: str = "catalogue",
    min_rating: float | None = None,
) -> DataCheck:
    """Check both files before anything is fitted: unknown items, users with one interaction, duplicate rows,
    the rating scale, unreadable timestamps. Every message names the file, the column and the lines. With a rating
    column and ``min_rating``, only interactions rated at least that count (as relevant); the others are left out."""
    check = DataCheck()
    ok = _check_mapping(check, interactions, interaction_mapping, INTERACTION_FIELDS, interactions_name)
    ok = _check_mapping(check, items, item_mapping, ITEM_FIELDS, items_name) and ok
    if not ok:
        return check
    catalogue = _clean_items(check, items, item_mapping, items_name)
    m, name = interaction_mapping, interactions_name
    frame = pd.DataFrame({fld: interactions[col].str.strip() if (col := m.get(fld)) else "" for fld in INTERACTION_FIELDS},
                         index=interactions.index)
    rows_in_file = len(frame)
    frame = _without_empty_ids(check, frame, m, name)
    frame = _with_ratings(check, frame, m, name, min_rating)
    frame = _with_timestamps(check, frame, m, name)
    frame = _without_repeats(check, frame, interactions, name)
    known = frame["item"].isin(set(catalogue["item"]))
    unknown = frame.index[~known]
    if len(unknown):
        check.add("warning", f"{name}: {count_of(len(unknown), 'row')} "
                             f"{one_or_many(len(unknown), 'names an item that is', 'name items that are')} not in the "
                             f"catalogue ({_lines(unknown)}: {_items(frame.loc[unknown, 'item'])}); {_skipped(len(unknown))}")
        frame = frame[known]
    _judge_interactions(check, frame, catalogue, rows_in_file, name, has_timestamps=bool(m.get("timestamp")))
    check.interactions = frame.reset_index(drop=True)
    check.items = catalogue
    return check


def _without_empty_ids(check: DataCheck, frame: pd.DataFrame, m: dict[str, str | None], name: str) -> pd.DataFrame:
    for fld in ("user", "item"):
        empty = frame.index[frame[fld] == ""]
        if len(empty):
            check.add("warning", f"{name}: {count_of(len(empty), 'row')} {one_or_many(len(empty), 'has', 'have')} an empty "
                                 f"{FIELD_NAMES[fld]} in column {m[fld]!r} ({_lines(empty)}); {_skipped(len(empty))}")
            frame = frame.drop(index=empty)
    return frame


def _with_ratings(check: DataCheck, frame: pd.DataFrame, m: dict[str, str | None], name: str, min_rating: float | None) -> pd.DataFrame:
    """The rating column as numbers (rows without one skipped; every rating 1.0 without the column), the scale said,
    and only the interactions rated at least ``min_rating`` when it is given."""
    if not m.get("rating"):
        return frame.assign(rating=1.0)
    rating = pd.to_numeric(frame["rating"], errors="coerce")
    bad = frame.index[rating.isna()]
    if len(bad):
        check.add("warning", f"{name}: {count_of(len(bad), 'rating')} in column {m['rating']!r} "
                             f"{one_or_many(len(bad), 'is not a number', 'are not numbers')} "
                             f"({_lines(bad)}: {_values(frame.loc[bad, 'rating'])}); {_skipped(len(bad))}")
        frame, rating = frame.drop(index=bad), rating.drop(index=bad)
    frame["rating"] = rating.astype(float)
    if not len(rating):
        return frame
    low, high, distinct = float(rating.min()), float(rating.max()), int(rating.nunique())
    check.stats["rating scale"] = f"{low:g} to {high:g} ({distinct} distinct values)"
    scale = f"{name}: the ratings in column {m['rating']!r} range from {low:g} to {high:g} with {distinct} distinct values"
    if min_rating is None:
        check.suggested_min_rating = liked_from(low, high, distinct)
        liked = "" if check.suggested_min_rating is None else (
            f". To count only what users liked, count from {check.suggested_min_rating:g}: "
            f"{int((rating >= check.suggested_min_rating).sum()):,} of {len(rating):,} interactions")
        check.add("info", f"{scale}; every interaction counts as relevant, whatever its rating (a {low:g} too){liked}")
    else:
        kept = rating >= min_rating
        check.stats["relevant from rating"] = min_rating
        check.add("info", f"{scale}; interactions rated {min_rating:g} or more count as relevant: {int(kept.sum()):,} of "
                          f"{len(rating):,} (the other {int((~kept).sum()):,} are left out)")  # fmt: skip
        frame, rating = frame[kept], rating[kept]
    negative = frame.index[rating < 0]
    if len(negative):
        check.add("warning", f"{name}: {count_of(len(negative), 'rating')} in column {m['rating']!r} "
                             f"{one_or_many(len(negative), 'is', 'are')} negative ({_lines(negative)})")
    return frame


LIKED_SHARE = 0.75  # "liked" starts three quarters up a star scale: 4 of 1-5 (as MovieLens studies count), 8 of 1-10


def liked_from(low: float, high: float, distinct: int) -> float | None:
    """The rating from which an interaction reads as the user liking the item, on what looks like a star scale (at
    least 3 distinct ratings, from 0 or more to 10 at most), rounded to a half; None for anything else (a like/dislike
    pair, play counts, prices)."""
    if distinct < 3 or low < 0 or high > 10 or high <= low:
        return None
    return round((low + LIKED_SHARE * (high - low)) * 2) / 2


def _with_timestamps(check: DataCheck, frame: pd.DataFrame, m: dict[str, str | None], name: str) -> pd.DataFrame:
    if not m.get("timestamp"):
        return frame.assign(timestamp=np.nan)
    ts, dates = _parse_timestamps(frame["timestamp"])
    if dates is not None:
        _say_date_order(check, dates, frame["timestamp"], m["timestamp"], name)
    bad = frame.index[ts.isna()]
    if len(bad):
        check.add("warning", f"{name}: {count_of(len(bad), 'timestamp')} in column {m['timestamp']!r} cannot be read "
                             f"({_lines(bad)}: {_values(frame.loc[bad, 'timestamp'])}); {_skipped(len(bad))}")
        frame, ts = frame.drop(index=bad), ts.drop(index=bad)
    frame["timestamp"] = ts
    return frame


def _without_repeats(check: DataCheck, frame: pd.DataFrame, rows: pd.DataFrame, name: str) -> pd.DataFrame:
    """Exact repeats (every column of the file's ``rows`` alike, not only those used) skipped; the same user and item
    again merged into one interaction (the latest kept)."""
    dup = frame.index[frame.duplicated(keep="first") & rows.loc[frame.index].duplicated(keep="first")]
    if len(dup):
        check.add("warning", f"{name}: {count_of(len(dup), 'row')} {one_or_many(len(dup), 'repeats', 'repeat')} an "
                             f"earlier row exactly ({_lines(dup)}); {one_or_many(len(dup), 'the repeat is', 'the repeats are')} skipped")
        frame = frame.drop(index=dup)
    repeated = frame.index[frame.duplicated(subset=["user", "item"], keep="last")]
    if len(repeated):
        check.add("info", f"{name}: {count_of(len(repeated), 'row')} {one_or_many(len(repeated), 'has', 'have')} the same user and "
                          f"item as a later row ({_lines(repeated)}); each such pair is merged into one interaction "
                          "(the latest is kept)")
        frame = frame.sort_values("timestamp", kind="stable").drop_duplicates(subset=["user", "item"], keep="last").sort_index()
    return frame


def _judge_interactions(check: DataCheck, frame: pd.DataFrame, catalogue: pd.DataFrame, rows_in_file: int, name: str,
                        has_timestamps: bool) -> None:  # fmt: skip
    """Whether enough is left to fit and evaluate on, and the counts the page shows."""
    per_user = frame.groupby("user")["item"].size()
    single = per_user[per_user == 1]
    if len(single):
        users = _values(single.index.to_series())
        check.add("warning", f"{name}: {count_of(len(single), 'user')} {one_or_many(len(single), 'has', 'have')} only one interaction "
                             f"({one_or_many(len(single), 'user', 'users')} {users}); "
                             f"{one_or_many(len(single), 'it is', 'they are')} used for training but cannot be evaluated")
    if frame.empty:
        check.add("error", f"{name}: no usable interactions are left after the check")
    elif frame["user"].nunique() < 2 or frame["item"].nunique() < 2:
        check.add("error", f"{name}: at least 2 users and 2 items with interactions are needed")
    no_history = int((~catalogue["item"].isin(set(frame["item"]))).sum())
    check.stats.update({
        "interaction rows": rows_in_file, "usable interactions": len(frame), "users": int(frame["user"].nunique()),
        "catalogue items": len(catalogue), "items with interactions": int(frame["item"].nunique()),
        "items without interactions": no_history,
        "users with one interaction": len(single),
    })
    if not has_timestamps:
        check.add("info", f"{name}: no timestamp column, so the leave-last-out protocol is not available, "
                          "only the random split")


def item_text(items: pd.DataFrame) -> list[str]:
    """The text that describes an item: title, category, tags and description."""
    parts = []
    for title, category, tags, description in zip(items["title"], items["category"], items["tags"], items["description"]):
        fields = [str(title or "")]
        if category:
            fields.append(str(category).replace("|", ", "))
        if tags:
            fields.append(str(tags).replace("|", ", "))
        if description:
            fields.append(str(description))
        parts.append(". ".join(f for f in fields if f))
    return parts


@dataclass
class Dataset:
    """Interactions as index arrays over the users and the whole catalogue (items without interactions included)."""

    users: np.ndarray  # user ids (str), position = user index
    items: pd.DataFrame  # catalogue, position = item index
    user_idx: np.ndarray
    item_idx: np.ndarray
    timestamps: np.ndarray  # float seconds; NaN when unknown
    version: int | None = None

    @classmethod
    def from_frames(cls, interactions: pd.DataFrame, items: pd.DataFrame, version: int | None = None) -> Dataset:
        items = items.reset_index(drop=True)
        for col in ITEM_FIELDS:
            if col not in items.columns:
                items[col] = ""
        items[["title", "description", "category", "tags"]] = items[["title", "description", "category", "tags"]].fillna("")
        item_pos = pd.Series(np.arange(len(items)), index=items["item"].astype(str))
        users, user_idx = np.unique(interactions["user"].astype(str).to_numpy(), return_inverse=True)
        item_idx = item_pos.loc[interactions["item"].astype(str)].to_numpy()
        ts = pd.to_numeric(interactions.get("timestamp", pd.Series(np.nan, index=interactions.index)), errors="coerce")
        return cls(users.astype(str), items, user_idx.astype(np.int64), item_idx.astype(np.int64), ts.to_numpy(dtype=float), version)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def has_timestamps(self) -> bool:
        return bool(np.isfinite(self.timestamps).any())

    def matrix(self, mask: np.ndarray | None = None) -> sparse.csr_matrix:
        """Binary user × item matrix of the interactions (only those where ``mask`` is true)."""
        rows, cols = (self.user_idx, self.item_idx) if mask is None else (self.user_idx[mask], self.item_idx[mask])
        data = np.ones(len(rows), dtype=np.float32)
        return sparse.csr_matrix((data, (rows, cols)), shape=(self.n_users, self.n_items))

    def texts(self) -> list[str]:
        return item_text(self.items)

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for value in (self.users.tolist(), self.item_idx[:1000].tolist(), len(self.item_idx)):
            digest.update(repr(value).encode())
        return digest.hexdigest()[:16]


def check_files(interactions: pd.DataFrame, items: pd.DataFrame, interaction_mapping: dict, item_mapping: dict,
                interactions_name: str, items_name: str, min_rating: float | None = None) -> DataCheck:  # fmt: skip
    """``check_data`` with the column mappings as a form gives them (an empty choice means "not mapped")."""
    clean = {k: (v or None) for k, v in interaction_mapping.items()}, {k: (v or None) for k, v in item_mapping.items()}
    return check_data(interactions, items, clean[0], clean[1], interactions_name, items_name, min_rating)


def load_files(interactions: Path, items: Path, min_rating: float | None = None) -> tuple[DataCheck, dict]:
    """Read and check two files with suggested column mappings (command line)."""
    inter, cat = read_table(interactions), read_table(items)
    mapping = {"interactions": suggest_mapping(inter, "interactions"), "items": suggest_mapping(cat, "items")}
    if min_rating is not None:
        mapping["min_rating"] = min_rating
    check = check_data(inter, cat, mapping["interactions"], mapping["items"], interactions.name, items.name, min_rating)
    return check, mapping


def dataset_from_check(check: DataCheck) -> Dataset:
    return Dataset.from_frames(check.interactions, check.items)
