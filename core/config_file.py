"""Apply feeds, watchlists and alert rules from a YAML file kept in version control.

The whole file is checked before anything is written: an unknown key, a wrong type or an
invalid URL stops the run with a message naming the entry, and nothing stored is changed.
Entries are matched by name, so applying the same file twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

SECTIONS = {
    "feeds": {"name": str, "url": str, "topics": list, "interval_minutes": int, "enabled": bool},
    "watchlists": {"name": str, "companies": list, "tickers": list, "keywords": list},
    "alert_rules": {
        "name": str,
        "scope_type": str,
        "scope_value": str,
        "window_hours": (int, float),
        "min_items": int,
        "mode": str,
        "threshold": (int, float),
        "baseline_days": int,
        "cooldown_hours": (int, float),
        "recipients": list,
        "enabled": bool,
        "count_items": bool,
    },
}
TYPE_WORDS = {str: "text", int: "a whole number", (int, float): "a number", list: "a list such as [a, b]", bool: "true or false"}
REQUIRED = {"feeds": ("name", "url"), "watchlists": ("name",), "alert_rules": ("name", "scope_type")}


class ConfigFileError(ValueError):
    """The configuration file is invalid; the message says where."""


@dataclass
class ConfigPlan:
    feeds: list[dict] = field(default_factory=list)
    watchlists: list[dict] = field(default_factory=list)
    alert_rules: list[dict] = field(default_factory=list)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """Where and what, from the parser's mark: " at line 4, column 4: expected <block end>, but found ..." (the
    parser's own text spans several lines and names an internal "<unicode string>")."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or not problem:
        return ": " + " ".join(str(exc).split())
    return f" at line {mark.line + 1}, column {mark.column + 1}: {problem} (check the indentation, brackets and quotes up to there)"


def load_config(path: Path) -> ConfigPlan:
    """Parse and check the file; raises ConfigFileError naming the first problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid UTF-8") from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: not valid YAML{_yaml_problem(exc)}") from exc
    if data is None:
        raise ConfigFileError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a mapping with sections {', '.join(SECTIONS)}")
    unknown = set(data) - set(SECTIONS)
    if unknown:
        raise ConfigFileError(f"{path}: unknown section {sorted(unknown)[0]!r}; allowed: {', '.join(SECTIONS)}")
    plan = ConfigPlan()
    for section, schema in SECTIONS.items():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise ConfigFileError(f"{path}: section {section!r} must be a list")
        for index, entry in enumerate(entries, start=1):
            getattr(plan, section).append(_check_entry(path, section, index, entry, schema))
    _check_values(path, plan)
    return plan


def _check_entry(path: Path, section: str, index: int, entry: object, schema: dict) -> dict:
    where = f"{path}: {section} entry {index}"
    if not isinstance(entry, dict):
        raise ConfigFileError(f"{where}: expected a mapping of keys to values")
    for key, value in entry.items():
        if key not in schema:
            raise ConfigFileError(f"{where}: unknown key {key!r}; allowed: {', '.join(schema)}")
        expected = schema[key]
        if (isinstance(value, bool) and expected is not bool) or not isinstance(value, expected):
            raise ConfigFileError(f"{where}: {key!r} has the wrong type: it must be {TYPE_WORDS[expected]}, not {value!r}")
    for key in REQUIRED[section]:
        if not entry.get(key):
            raise ConfigFileError(f"{where}: missing required key {key!r}")
    return dict(entry)


def _check_values(path: Path, plan: ConfigPlan) -> None:
    """Every value as the saving functions would check it, so applying writes nothing unless all of it can be."""
    from core.alerts import validate_alert_rule
    from core.feeds.manage import check_upsert
    from core.watchlists import check_watchlist

    urls: dict[str, str] = {}
    for index, feed in enumerate(plan.feeds, start=1):
        where = f"{path}: feeds entry {index} ({feed['name']})"
        try:
            cleaned = check_upsert(**feed)
        except ValueError as exc:
            raise ConfigFileError(f"{where}: {exc}") from exc
        if urls.setdefault(cleaned["url"], cleaned["name"]) != cleaned["name"]:
            raise ConfigFileError(f"{where}: the feed {urls[cleaned['url']]!r} of this file has the same URL")
    for index, watchlist in enumerate(plan.watchlists, start=1):
        try:
            check_watchlist(**watchlist)
        except ValueError as exc:
            raise ConfigFileError(f"{path}: watchlists entry {index} ({watchlist['name']}): {exc}") from exc
    watchlists = {w["name"] for w in plan.watchlists}
    feeds = {f["name"] for f in plan.feeds}
    for index, rule in enumerate(plan.alert_rules, start=1):
        try:
            validate_alert_rule(rule, extra_watchlists=watchlists, extra_feeds=feeds)
        except ValueError as exc:
            raise ConfigFileError(f"{path}: alert_rules entry {index} ({rule['name']}): {exc}") from exc


def apply_config(path: Path) -> dict[str, int]:
    """Check the whole file, then create or update each entry by name. Returns counts per section."""
    from core.auth import record, require

    require("admin", "apply configuration files")
    from core.alerts import save_alert_rule
    from core.feeds import upsert_feed
    from core.watchlists import save_watchlist

    plan = load_config(path)
    for feed in plan.feeds:
        upsert_feed(**feed)
    for watchlist in plan.watchlists:
        save_watchlist(**watchlist)
    for rule in plan.alert_rules:
        save_alert_rule(**rule)
    counts = {"feeds": len(plan.feeds), "watchlists": len(plan.watchlists), "alert_rules": len(plan.alert_rules)}
    record("configuration applied", str(path), detail=counts)
    return counts
