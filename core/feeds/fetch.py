"""HTTP fetching with time and size caps, conditional GET and a safety check on every redirect."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import requests
import urllib3

from core.feeds.safety import FeedError, check_feed_url
from core.feeds.transport import checked_session
from core.settings import get_settings

USER_AGENT = "Beacon-FeedReader/0.1 (Beacon analytics; RSS/Atom monitoring)"
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, application/feed+json;q=0.9, application/xml;q=0.8, "
          "text/xml;q=0.8, */*;q=0.1")
MAX_REDIRECTS = 5
CHUNK_BYTES = 16 * 1024
REDIRECT_CODES = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class FetchResult:
    status: str  # ok | not_modified
    body: bytes
    etag: str | None
    last_modified: str | None
    final_url: str
    content_type: str | None = None


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, url: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise FeedError(f"{url}: no complete answer within {self.seconds:g} s")
        return remaining


def fetch_feed(url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    """GET a feed, following at most 5 redirects, each re-checked with ``check_feed_url``.
    Raises FeedError for refused URLs, network failures, non-2xx answers, slowness and oversize bodies."""
    settings = get_settings()
    deadline = _Deadline(settings.feed_timeout_s)
    headers = _request_headers(etag, last_modified)
    current = check_feed_url(url)
    with checked_session() as session:
        for hop in range(MAX_REDIRECTS + 1):
            if hop:
                current = _check_redirect(url, current)
            with _get(session, current, headers, deadline) as response:
                if response.status_code in REDIRECT_CODES and response.headers.get("Location"):
                    current = urljoin(current, response.headers["Location"])
                    continue
                return _result(response, current, etag, last_modified, deadline, settings.feed_max_bytes)
    raise FeedError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _request_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _check_redirect(original: str, target: str) -> str:
    try:
        return check_feed_url(target)
    except FeedError as exc:
        raise FeedError(f"{original} redirected to a URL Beacon does not fetch: {exc}") from exc


def _get(session: requests.Session, url: str, headers: dict[str, str], deadline: _Deadline) -> requests.Response:
    left = deadline.left(url)
    try:
        return session.get(url, headers=headers, stream=True, allow_redirects=False, timeout=(min(left, 5.0), left))
    except FeedError as exc:  # the connection reached an address Beacon does not fetch
        raise FeedError(f"{url}: {exc}") from exc
    except requests.Timeout as exc:
        raise FeedError(f"{url}: no answer within {deadline.seconds:g} s") from exc
    except requests.exceptions.SSLError as exc:
        raise FeedError(f"{url}: {_tls_problem(exc)}") from exc
    except requests.RequestException as exc:
        raise FeedError(f"{url}: connection failed ({_short(exc)})") from exc


def _result(
    response: requests.Response, url: str, etag: str | None, last_modified: str | None, deadline: _Deadline, max_bytes: int
) -> FetchResult:
    content_type = response.headers.get("Content-Type")
    if response.status_code == 304:
        new_etag = response.headers.get("ETag") or etag
        new_modified = response.headers.get("Last-Modified") or last_modified
        return FetchResult("not_modified", b"", new_etag, new_modified, url, content_type)
    if not 200 <= response.status_code < 300:
        reason = f" {response.reason}" if response.reason else ""
        raise FeedError(f"HTTP {response.status_code}{reason} from {url}")
    body = _read_capped(response, url, max_bytes, deadline)
    return FetchResult("ok", body, response.headers.get("ETag"), response.headers.get("Last-Modified"), url, content_type)


def _too_big(url: str, max_bytes: int) -> FeedError:
    return FeedError(f"{url}: the feed is larger than the {_size(max_bytes)} limit")


def _read_capped(response: requests.Response, url: str, max_bytes: int, deadline: _Deadline) -> bytes:
    """Read the (decompressed) body, stopping as soon as it passes ``max_bytes`` or the deadline."""
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(url, max_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        # read1 returns whatever has arrived, so a server that drips bytes cannot outlive the deadline
        while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
            size += len(chunk)
            if size > max_bytes:
                raise _too_big(url, max_bytes)
            chunks.append(chunk)
            deadline.left(url)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
            raise FeedError(f"{url}: no complete answer within {deadline.seconds:g} s") from exc
        raise FeedError(f"{url}: the download was interrupted ({_short(exc)})") from exc
    return b"".join(chunks)


def _tls_problem(exc: requests.exceptions.SSLError) -> str:
    """A secure connection that failed, in words: most often a plain-HTTP server asked for HTTPS."""
    cause = _short(exc)
    if "WRONG_VERSION_NUMBER" in cause or "wrong version number" in cause or "record layer failure" in cause:
        return ("the server does not answer HTTPS (secure) requests; if the feed is served over plain HTTP, "
                "give its address starting with http://")
    if "CERTIFICATE_VERIFY_FAILED" in cause:
        return f"the server's HTTPS certificate could not be verified ({cause})"
    return f"the secure (HTTPS) connection failed ({cause})"


def _short(exc: BaseException) -> str:
    """The root cause of a network error ("Connection refused"), not the library's long wrapper text."""
    for _ in range(10):
        reason = getattr(exc, "reason", None)
        inner = reason if isinstance(reason, BaseException) else exc.__cause__
        if inner is None and exc.args and isinstance(exc.args[0], BaseException):
            inner = exc.args[0]
        if inner is None:
            break
        exc = inner
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:300]


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB" if n >= 1024 else f"{n} bytes"
