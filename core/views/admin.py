"""What the Admin page (users and the audit log) shows (no streamlit here)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import pandas as pd

from core.auth.roles import ROLE_HELP, ROLES, Actor
from core.downloads import safe_csv
from core.repositories.users import UserView
from core.settings import get_settings
from core.staged_uploads import KEEP_HOURS
from core.wording import a_or_an, count_of


def roles_caption() -> str:
    return " · ".join(f"**{role}**: {ROLE_HELP[role]}" for role in ROLES)


def read_only_message(actor: Actor, admins: list[str]) -> str:
    """What a non-admin reads here: their role, what it allows, and whom to ask for another."""
    ask = ", ".join(admins) or "an admin"
    return (f"Managing users and reading the audit log needs the admin role. You are signed in as {actor.username}, "
            f"{a_or_an(actor.role)}: you can {ROLE_HELP[actor.role]}. To change your role, ask {ask}.")  # fmt: skip


def users_frame(users: list[UserView]) -> pd.DataFrame:
    """The users as a table; a sign-in or lock that never happened reads "never" / blank, not "None"."""
    frame = pd.DataFrame([u.__dict__ for u in users])
    if not frame.empty:
        frame["last_login_at"] = [_minute(t) or "never" for t in frame["last_login_at"]]
        frame["locked_until"] = [_minute(t) for t in frame["locked_until"]]
    return frame


def _minute(moment: object) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) and not pd.isna(moment) else ""


ANYONE, ANY_ACTION, CHANGES_ONLY = "(anyone)", "(any action)", "(changes: no sign-ins or sign-outs)"
SESSION_ACTIONS = ("signed in", "signed out")  # routine; a refused sign-in ("sign-in failed") stays in the changes view


def detail_text(detail: dict | None) -> str:
    """An event's detail as a reader scans it: "task: sentiment · method: head · rows: 300" ("" when there is none)."""
    def shown(value: object) -> object:
        if isinstance(value, bool):  # "enabled: no", not "enabled: False"
            return "yes" if value else "no"
        if isinstance(value, dict):  # "tasks: sentiment 2, topic 1", not a Python dict
            return ", ".join(f"{key} {item}" for key, item in value.items())
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value

    return " · ".join(f"{key.replace('_', ' ')}: {shown(value)}" for key, value in (detail or {}).items()
                      if value not in ("", None, [], ()))  # "tickers: " says nothing


AUDIT_HEADERS = {"at": "When (UTC)", "user": "User", "action": "Action", "target": "Target", "outcome": "Outcome",
                 "detail": "Detail"}  # fmt: skip


def audit_frame(events: list[dict]) -> pd.DataFrame:
    """The audit events as a table, the detail as text (empty frame when there are none)."""
    frame = pd.DataFrame(events)
    if not frame.empty:
        frame["detail"] = frame["detail"].map(detail_text)
    return frame


def audit_caption(shown: int, total: int) -> str | None:
    """Said under the audit table when it shows fewer events than match (the download has them all)."""
    if total <= shown:
        return None
    return f"The newest {shown:,} of {total:,} matching events; the download has all {total:,}."


def audit_retention_note() -> str | None:
    """Said under the audit log when events are kept for a set time (None when every event is kept)."""
    days = get_settings().keep_audit_days
    if days is None:
        return None
    return f"Events are kept for {count_of(days, 'day')} (BEACON_KEEP_AUDIT_DAYS); the worker deletes older ones."


def audit_download(username: str = "", action: str = "", excluded: Sequence[str] = ()) -> Callable[[], bytes]:
    """Every matching audit event as a CSV file, made when the download is asked for. It runs outside the page's
    script run (Streamlit calls it from the server), so it acts as the admin who was shown the button."""
    from core.auth import acting_as, current_actor, list_events

    actor = current_actor()

    def make() -> bytes:
        with acting_as(actor):
            return safe_csv(audit_frame(list_events(None, username, action, excluded)).rename(columns=AUDIT_HEADERS))

    return make


def chosen_filter(picked: str) -> str:
    """The filter value for the audit query: "" for the (anyone) / (any action) / (changes) choices."""
    return "" if picked in (ANYONE, ANY_ACTION, CHANGES_ONLY) else picked


def excluded_actions(picked: str) -> tuple[str, ...]:
    """The actions the Action choice leaves out: sign-ins and sign-outs for (changes), else none."""
    return SESSION_ACTIONS if picked == CHANGES_ONLY else ()


def base_encoders_text() -> str:
    """Which base encoders models can use here: "fast (all-MiniLM-L6-v2) · accurate (all-mpnet-base-v2), verified",
    or the accurate one's absence with what to run."""
    from core.nlp.base_model import ACCURATE_MODEL_NAME, BASE_MODEL_NAME
    from core.nlp.sentence_encoder import accurate_encoder_available

    fast = f"fast ({BASE_MODEL_NAME})"
    accurate = f"accurate ({ACCURATE_MODEL_NAME})"
    if accurate_encoder_available():
        return f"{fast} · {accurate}, verified against the pinned hashes"
    return f"{fast} only: {accurate} is not installed (`python -m core setup` assembles it)"


def configuration() -> pd.DataFrame:
    """What this Beacon runs with, in words, for the Settings tab (secrets never shown: the database password is
    hidden, the SMTP password is only said to be set): setting, value, and the variable that changes it."""
    from core.nlp.device import choose_device, device_label
    from core.support.decision import Policy
    from core.views.app import database_label

    s = get_settings()
    try:
        device = device_label(choose_device(s.device))
    except RuntimeError as exc:  # BEACON_DEVICE=cuda without a GPU: models cannot load, say why
        device = str(exc)
    policy = Policy.from_settings()
    email = f"{s.smtp_host}:{s.smtp_port}, from {s.smtp_from}" + (", STARTTLS" if s.smtp_starttls else "")
    if s.smtp_user:
        email += f", signed in as {s.smtp_user}" + (" (password set)" if s.smtp_password else " (no password)")
    rows = [
        ("Database", database_label(), "DATABASE_URL"),
        ("Data folder (uploads, runs, models)", str(s.data_dir), "BEACON_DATA_DIR"),
        ("Models run on", f"{device} ({s.device})", "BEACON_DEVICE"),
        ("Address in email links", s.base_url, "BEACON_BASE_URL"),
        ("Alert and digest email", email, "SMTP_HOST, SMTP_PORT, SMTP_FROM, …"),
        ("Worker cycle", f"every {count_of(s.worker_tick_seconds, 'second')}", "BEACON_WORKER_TICK_SECONDS"),
        ("New feeds fetched", f"every {count_of(s.crawl_interval_minutes, 'minute')} (each feed can change it)",
         "BEACON_CRAWL_INTERVAL_MINUTES"),
        ("Feed items kept", count_of(s.keep_items_days, "day") if s.keep_items_days else "every item (forever)",
         "BEACON_KEEP_ITEMS_DAYS"),
        ("Questions asked of the assistant kept", count_of(s.keep_questions_days, "day") if s.keep_questions_days
         else "every question (forever)", "BEACON_KEEP_QUESTIONS_DAYS"),
        ("Audit-log events kept", count_of(s.keep_audit_days, "day") if s.keep_audit_days else "every event (forever)",
         "BEACON_KEEP_AUDIT_DAYS"),
        ("Customer service operating point", policy.describe(), "BEACON_SUPPORT_OPERATING_POINT"),
        ("Base encoders", base_encoders_text(), "BEACON_BASE_MODEL_DIR, BEACON_ACCURATE_MODEL_DIR"),
        ("Recommendation item text read by", f"the {s.recommend_base} encoder", "BEACON_RECOMMEND_BASE"),
        ("Largest upload", f"{s.upload_max_mb:g} MB", "BEACON_UPLOAD_MAX_MB"),
        ("Largest feed or OPML file", f"{s.feed_max_bytes / 2**20:.3g} MB", "BEACON_FEED_MAX_BYTES"),
        ("Uploads no run took", f"deleted {count_of(KEEP_HOURS, 'hour')} after their last use", "(fixed)"),
        ("Batch scoring on Ray", s.ray_address or "off (this server scores every file)", "BEACON_RAY_ADDRESS"),
        ("Background runs at once", str(s.max_run_processes), "BEACON_MAX_RUN_PROCESSES"),
        ("Sign-in", "single sign-on (OIDC)" if s.auth_mode == "oidc" else "password", "BEACON_AUTH_MODE"),
        ("Sessions end", f"after {s.session_hours:g} h without activity", "BEACON_SESSION_HOURS"),
        ("Account locked", f"for {s.lockout_minutes:g} min after {count_of(s.login_max_failures, 'failed sign-in')} in a row",
         "BEACON_LOCKOUT_MINUTES, BEACON_LOGIN_MAX_FAILURES"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["setting", "value", "variable"])
