"""Alert rules: validation and storage."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable

from core.auth import requires
from core.auth.audit import record
from core.auth.ownership import require_owner
from core.repositories import alerts as alert_rows
from core.wording import loose_key

SCOPE_TYPES = ("all", "topic", "company", "watchlist", "keyword", "feed")
MODES = ("share", "spike")
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
NAME_LIMIT = 200
SCOPE_LIMIT = 500
MAX_WINDOW_HOURS = 24 * 31
MAX_BASELINE_DAYS = 365
MIN_COOLDOWN_HOURS = 1.0  # a rule stays quiet at least this long after an alert, whatever it is set to
RULE_DEFAULTS = {
    "scope_value": "",
    "window_hours": 24.0,
    "min_items": 5,
    "count_items": False,  # False: a story carried by several feeds counts once (through its lead item)
    "mode": "share",
    "threshold": 0.5,
    "baseline_days": 7,
    "cooldown_hours": 12.0,
    "recipients": [],
    "enabled": True,
}


def _number(rule: dict, key: str, kind: type) -> float | int:
    value = rule[key]
    if isinstance(value, bool):
        raise ValueError(f"{key.replace('_', ' ')} must be a number")
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key.replace('_', ' ')} must be a number, got {value!r}") from None
    if kind is int and number != float(value):
        raise ValueError(f"{key.replace('_', ' ')} must be a whole number, got {value!r}")
    return number


def _text(value: object, what: str, limit: int) -> str:
    text = str(value or "").strip()
    if CONTROL.search(text):
        raise ValueError(f"the {what} cannot contain line breaks or control characters")
    if len(text) > limit:
        raise ValueError(f"the {what} can have at most {limit} characters")
    return text


# One recipient in a pasted list: `Name <address>` or `"Last, First" <address>` as mail programs copy them (the
# address kept), or a bare token; commas, semicolons and white space separate them.
RECIPIENT = re.compile(r'(?:"[^"]*"|[^,;<>"@\n])*<([^<>]*)>|([^,;\s<>"]+)')


def _split_recipients(text: str) -> list[str]:
    return [m.group(2) if m.group(1) is None else m.group(1).strip() or m.group(0) for m in RECIPIENT.finditer(text)]


def _recipients(value: str | Iterable[str] | None) -> list[str]:
    items = [value] if isinstance(value, str) else list(value or [])
    parts = [part for item in items for part in _split_recipients(str(item))]
    addresses = [str(part).strip() for part in parts if str(part).strip()]
    invalid = [address for address in addresses if not EMAIL.match(address)]
    if invalid:  # every one at once, so a pasted list is fixed in one go
        listed = ", ".join(map(repr, invalid))
        raise ValueError(f"not a valid email address: {listed}" if len(invalid) == 1 else f"not valid email addresses: {listed}")
    recipients: dict[str, str] = {}
    for address in addresses:
        recipients.setdefault(address.lower(), address)
    return list(recipients.values())


def _check_numbers(r: dict) -> None:
    if r["mode"] == "share" and not 0 < r["threshold"] <= 1:
        raise ValueError("for the 'share' test the threshold is the minimum negative share, above 0 and at most 1 (e.g. 0.5)")
    if r["mode"] == "spike" and r["threshold"] <= 1:
        raise ValueError("for the 'spike' test the threshold is a factor above 1 (e.g. 2 = twice the baseline share)")
    if not 0 < r["window_hours"] <= MAX_WINDOW_HOURS:
        raise ValueError(f"the window must be between 0 and {MAX_WINDOW_HOURS} hours")
    if r["min_items"] < 1:
        raise ValueError("the minimum number of items must be at least 1")
    if not 1 <= r["baseline_days"] <= MAX_BASELINE_DAYS:
        raise ValueError(f"the baseline must be between 1 and {MAX_BASELINE_DAYS} days")
    if r["cooldown_hours"] < MIN_COOLDOWN_HOURS:
        raise ValueError(
            f"the cooldown must be at least {MIN_COOLDOWN_HOURS:g} hour, so one burst of news raises one alert, not one per worker cycle"
        )


def validate_alert_rule(rule: dict, extra_watchlists: Collection[str] = (), extra_feeds: Collection[str] = ()) -> dict:
    """A complete, checked rule (defaults filled in); ValueError names the first problem.
    ``extra_*`` are names about to be created (a config file), accepted as existing."""
    r = {**RULE_DEFAULTS, **rule}
    r["name"] = _text(r.get("name"), "rule name", NAME_LIMIT)
    if not r["name"]:
        raise ValueError("an alert rule needs a name")
    if r.get("scope_type") not in SCOPE_TYPES:
        raise ValueError(f"the scope must be one of {', '.join(SCOPE_TYPES)}")
    r["scope_value"] = "" if r["scope_type"] == "all" else _text(r["scope_value"], "scope value", SCOPE_LIMIT)
    if r["scope_type"] != "all" and not r["scope_value"]:
        raise ValueError(f"a {r['scope_type']} rule needs a scope value (which {r['scope_type']} to watch)")
    if r["mode"] not in MODES:
        raise ValueError("the test must be 'share' (negative share threshold) or 'spike' (factor over the baseline)")
    for key, kind in (("window_hours", float), ("min_items", int), ("threshold", float),
                      ("baseline_days", int), ("cooldown_hours", float)):
        r[key] = _number(r, key, kind)
    _check_numbers(r)
    r["recipients"] = _recipients(r["recipients"])
    r["enabled"] = bool(r["enabled"])
    if not isinstance(r["count_items"], bool):
        raise ValueError(f"count items must be true (count every item) or false (count stories), got {r['count_items']!r}")
    _check_scope_exists(r, extra_watchlists, extra_feeds)
    return r


def _check_scope_exists(r: dict, extra_watchlists: Collection[str], extra_feeds: Collection[str]) -> None:
    extra = {"watchlist": extra_watchlists, "feed": extra_feeds}.get(r["scope_type"])
    if extra is None:
        return
    r["scope_value"] = stored_scope_name(r["scope_type"], r["scope_value"], extra)
    if r["scope_value"] in extra:
        return
    problem = unknown_scope(r["scope_type"], r["scope_value"])
    if problem:
        raise ValueError(problem)


def unknown_topic(value: str) -> str | None:
    """Why a topic rule (or digest) would never match, or None: no item has the topic, no feed is tagged with it and
    the active topic model does not give it (case ignored). A warning, not a refusal: a new topic model may bring it."""
    from core.nlp import registry
    from core.repositories import items

    known = items.known_topics()
    active = registry.find_active("topic")
    known |= set(active.labels) if active else set()
    by_folded = {k.casefold(): k for k in known}
    if not known or value.strip().casefold() in by_folded:
        return None
    close = difflib.get_close_matches(value.strip().casefold(), sorted(by_folded), n=1, cutoff=0.6)
    hint = f"did you mean {by_folded[close[0]]!r}?" if close else "the topics are " + ", ".join(repr(k) for k in sorted(known)[:12])
    return f"No item, feed tag or topic model has the topic {value.strip()!r}, so nothing matches it until one does; {hint}"


def untagged_company(value: str) -> str | None:
    """Why a company rule (or digest) would match nothing, or None: Beacon tags a company in new items only when its
    company list, a watchlist or a cashtag ($TICKER) names it; a name in none of them, that no stored item mentions,
    is never tagged. A ticker-like value is left alone (a cashtag can tag any ticker)."""
    from core.repositories import items
    from core.sentiment.entities import closest_company_name, in_company_list
    from core.watchlists import watchlist_terms

    cleaned = value.strip()
    terms = watchlist_terms()
    if (not cleaned or re.fullmatch(r"\$?[A-Z0-9.\-]{1,6}", cleaned) or in_company_list(cleaned)
            or cleaned.casefold() in {c.casefold() for c in terms["companies"]} or items.company_mentioned(cleaned)):  # fmt: skip
        return None
    close = closest_company_name(cleaned)
    hint = f"did you mean {close!r}? Or add" if close else "add"
    return (f"Beacon does not tag {cleaned!r}: it is not in its company list or a watchlist and no stored item mentions "
            f"it, so nothing matches until it does; {hint} it to a watchlist (Watchlists tab) to have it tagged in new items")


def stored_scope_name(scope_type: str, value: str, extra: Collection[str] = ()) -> str:
    """The watchlist or feed name as stored (or among ``extra``, names about to be created) when ``value`` differs from
    it only in capitals or spacing ("energy" for "Energy"), else ``value``: the rule names the one there is instead of
    being refused with "did you mean 'Energy'?"."""
    same = {n for n in [*alert_rows.scope_names(scope_type), *extra] if loose_key(n) == loose_key(value)}
    return same.pop() if len(same) == 1 else value


def unknown_scope(scope_type: str, value: str) -> str | None:
    """Why a watchlist or feed scope cannot be used (none of that name, with the closest name or the ones there
    are), or None when it exists."""
    names = alert_rows.scope_names(scope_type)
    if value in names:
        return None
    close = [n for n in names if n.casefold() == value.casefold()] or difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    if close:
        hint = f": did you mean {close[0]!r}?"
    elif names:
        shown = ", ".join(repr(n) for n in names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        hint = f"; the {scope_type}s are {shown}"
    else:
        hint = f"; there are no {scope_type}s yet"
    return f"there is no {scope_type} named {value!r}{hint}"


@requires("analyst", "save alert rules")
def save_alert_rule(
    name: str,
    scope_type: str,
    scope_value: str = "",
    window_hours: float = 24.0,
    min_items: int = 5,
    mode: str = "share",
    threshold: float = 0.5,
    baseline_days: int = 7,
    cooldown_hours: float = 12.0,
    recipients: str | Iterable[str] = (),
    enabled: bool = True,
    count_items: bool = False,
) -> int:
    """Create or update (by name) an alert rule; returns its id. ``recipients`` may be comma-separated.
    The rule counts stories (a story carried by several feeds once) unless ``count_items``."""
    r = validate_alert_rule(
        {
            "name": name, "scope_type": scope_type, "scope_value": scope_value, "window_hours": window_hours,
            "min_items": min_items, "mode": mode, "threshold": threshold, "baseline_days": baseline_days,
            "cooldown_hours": cooldown_hours, "recipients": recipients, "enabled": enabled, "count_items": count_items,
        }
    )
    rule_id = alert_rows.save_rule(r, lambda owner: require_owner("alert rule", r["name"], owner).username)
    record("alert rule saved", r["name"], detail={"scope": f"{r['scope_type']}:{r['scope_value']}", "recipients": r["recipients"]})
    return rule_id


@requires("analyst", "delete alert rules")
def delete_alert_rule(name: str) -> bool:
    """Delete a rule and its alert history; False when there is no rule of that name."""
    if not alert_rows.delete_rule(name, lambda owner: require_owner("alert rule", name, owner)):
        return False
    record("alert rule deleted", name)
    return True


def list_alert_rules() -> list[dict]:
    return alert_rows.list_rules()
