"""HTTP fetching with time and size caps, conditional GET and redirect re-checks."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

from core.feeds.safety import FeedError, check_feed_url
from core.settings import get_settings

USER_AGENT = "Beacon feed reader/0.1 (+https://example.invalid/beacon)"
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class FetchResult:
    status: str  # ok | not_modified
    body: bytes
    etag: str | None
    last_modified: str | None
    final_url: str


def fetch_feed(url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    settings = get_settings()
    deadline = time.monotonic() + settings.feed_timeout_s
    headers = {"User-Agent": USER_AGENT, "Accept": "application/rss+xml, application/atom+xml, application/xml, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_feed_url(current)
        try:
            response = requests.get(
                current,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(min(5.0, settings.feed_timeout_s), settings.feed_timeout_s),
            )
        except requests.Timeout as exc:
            raise FeedError(f"{current}: no answer within {settings.feed_timeout_s:g} s") from exc
        except requests.RequestException as exc:
            raise FeedError(f"{current}: connection failed ({type(exc).__name__})") from exc
        with response:
            if response.is_redirect:
                current = urljoin(current, response.headers.get("Location", ""))
                continue
            if response.status_code == 304:
                return FetchResult("not_modified", b"", etag, last_modified, current)
            if response.status_code >= 400:
                raise FeedError(f"{current}: HTTP {response.status_code} {response.reason}")
            body = _read_capped(response, current, settings.feed_max_bytes, deadline)
            return FetchResult("ok", body, response.headers.get("ETag"), response.headers.get("Last-Modified"), current)
    raise FeedError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _read_capped(response: requests.Response, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(f"{url}: the feed is larger than the {max_bytes // 1024} KB limit")
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise FeedError(f"{url}: the feed is larger than the {max_bytes // 1024} KB limit")
            if time.monotonic() > deadline:
                raise FeedError(f"{url}: download took longer than the time limit")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise FeedError(f"{url}: the download was interrupted ({type(exc).__name__})") from exc
    return b"".join(chunks)
