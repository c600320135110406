"""What the app shell (``streamlit_app.py``) shows, and what every page shares: start-up messages about the
database, notices, the user-facing text of a validation error, and dates as the UI picks them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import make_url

from core.settings import get_settings
from core.storage.migrate import UpgradeRefused
from core.storage.tables import utcnow
from core.wording import loose_key

SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}  # one colour per sentiment in every chart
DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Notice:
    level: str  # error | warning | info | success | caption (the st.* function to show it with)
    text: str  # trusted text written by Beacon (may contain Markdown); never feed or user content


def database_label() -> str:
    """The database URL with any password hidden, for messages."""
    try:
        return make_url(get_settings().database_url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL: say so without echoing it
        return "(the DATABASE_URL setting cannot be parsed)"


def database_problem(exc: BaseException) -> str:
    """What to tell the user when the database cannot be opened or migrated (plain text)."""
    if isinstance(exc, UpgradeRefused):  # reachable and sound: the address is not the problem
        return f"Beacon cannot use its database {database_label()}: {exc}."
    detail = (str(exc).strip().splitlines() or [""])[0][:300]
    try:
        password = make_url(get_settings().database_url).password
    except Exception:
        password = None
    if password:
        detail = detail.replace(str(password), "***")
    return (
        f"Beacon cannot open its database {database_label()}: {type(exc).__name__}"
        + (f" ({detail})" if detail else "")
        + ". Check DATABASE_URL (and that the database server is running), then restart Beacon."
    )


PAGE_FAILED = "Something went wrong on this page"


def page_problem(exc: BaseException) -> str:
    """What a page says when it fails in a way nobody foresaw (plain text): the kind of failure in the driver's or the
    library's own short words, without a traceback or SQL, and what to do; the traceback goes to the app's log."""
    from core.storage.integrity import short_reason

    return (f"{PAGE_FAILED} ({short_reason(exc)[:300]}). The details are in the app's log. Reload the page to try again; "
            f"if it keeps happening, tell an admin.")


def settings_problem(exc: BaseException) -> str:
    """What to tell the user when a setting cannot be used (plain text)."""
    return f"Beacon cannot start: {exc}. Correct the setting, then restart Beacon."


def today() -> date:
    """Today in UTC (stored times are naive UTC)."""
    return utcnow().date()


def date_range(picked: object, fallback: tuple[date, date]) -> tuple[date, date]:
    """The (start, end) of a date-range widget value, which is a 1-tuple while the user is still
    picking the second date."""
    if isinstance(picked, date):
        return picked, picked
    values = [v for v in (picked or ()) if isinstance(v, date)]
    if not values:
        return fallback
    return (values[0], values[-1]) if values[0] <= values[-1] else (values[-1], values[0])


def error_text(exc: BaseException) -> str:
    """A user-facing message from a validation error: its text, first letter capitalised."""
    text = str(exc).strip() or type(exc).__name__
    return text[0].upper() + text[1:]


def new_name_taken(kind: str, name: str, existing: Sequence[str], picker: str) -> str | None:
    """Why a ``kind`` (rule, digest) saved from a "New" form must not be stored: its name is one that exists, and
    saving by name would silently overwrite that one (changes go through ``picker``), or one that differs from it only
    in capitals or spaces ("big tech" beside "Big tech" reads as one name in every list). None when the name is free."""
    taken = next((other for other in existing if loose_key(other) == loose_key(name)), None)
    if taken is None:
        return None
    return (f"A {kind} named {taken!r} already exists. To change it, pick it under {picker}; for a new {kind}, "
            "choose another name. Nothing was saved.")
