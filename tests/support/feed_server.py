"""A real HTTP server on 127.0.0.1, in a thread, that serves feeds for tests.

    routes = {"/news.rss": rss_feed([{"title": "Hello", "link": "https://example.com/1"}])}
    with serve_feeds(routes) as base_url:
        add_feed("News", base_url + "/news.rss")
        routes["/news.rss"] = FeedRoute(rss_feed(more_items), etag='"v2"')  # live: the next request sees it

A route is a ``FeedRoute`` or, for a plain 200 answer, just the body (bytes or str). Unknown paths
answer 404. Use ``FeedServer`` directly when a test also wants the request log:

    with FeedServer(routes) as server:
        ...
        assert server.hits("/news.rss") == 2
        assert server.requests[-1].headers.get("If-None-Match") == '"v2"'
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from xml.sax.saxutils import escape

from tests.support.servers import QuietHTTPServer

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"

Body = bytes | str | Callable[[], Iterable[bytes]]


@dataclass
class FeedRoute:
    """What one path answers.

    body: bytes, str (sent as UTF-8), or a function returning an iterable of byte chunks (for
        endless or huge streams; sent without Content-Length, the end marked by closing).
    status / headers: the status code and extra headers (Content-Type defaults to RSS).
    delay_s: wait this long before answering (a slow server).
    chunk_delay_s: wait this long before each body chunk of ``chunk_size`` bytes (a dripping server).
    etag / last_modified: send these validators and answer 304 to a matching conditional GET.
    send_length: send Content-Length (True), or end the body by closing the connection (False).
    content_length: send this Content-Length instead of the real one (a lying server).
    """

    body: Body = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    chunk_size: int = 1024
    etag: str | None = None
    last_modified: str | None = None
    send_length: bool = True
    content_length: int | None = None


def redirect(location: str, status: int = 302) -> FeedRoute:
    return FeedRoute(status=status, headers={"Location": location})


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    headers: dict[str, str]


def _as_route(value: FeedRoute | bytes | str) -> FeedRoute:
    return value if isinstance(value, FeedRoute) else FeedRoute(body=value)


def _chunks(route: FeedRoute) -> Iterator[bytes]:
    body = route.body
    if callable(body):
        yield from body()
        return
    data = body.encode() if isinstance(body, str) else body
    if not route.chunk_delay_s:
        yield data
        return
    for start in range(0, len(data), route.chunk_size):
        yield data[start : start + route.chunk_size]


class FeedServer:
    """Serves ``routes`` (path -> FeedRoute or body); the mapping is read on every request, so
    changing it while the server runs changes what the next request gets."""

    def __init__(self, routes: MutableMapping[str, FeedRoute | bytes | str] | None = None) -> None:
        self.routes: MutableMapping[str, FeedRoute | bytes | str] = routes if routes is not None else {}
        self.requests: list[SeenRequest] = []
        self._stopping = threading.Event()
        self._httpd = QuietHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # a handler stuck in a long delay must not hold up the test
        self._thread: threading.Thread | None = None
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def hits(self, path: str) -> int:
        return sum(1 for request in self.requests if request.path == path)

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="feed-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def route_for(self, path: str) -> FeedRoute | None:
        value = self.routes.get(path)
        if value is None and "?" in path:
            value = self.routes.get(path.split("?", 1)[0])
        return None if value is None else _as_route(value)

    def wait(self, seconds: float) -> bool:
        """Sleep unless the server is stopping; True if it is stopping."""
        return self._stopping.wait(seconds) if seconds > 0 else self._stopping.is_set()


@contextmanager
def serve_feeds(routes: MutableMapping[str, FeedRoute | bytes | str] | None = None) -> Iterator[str]:
    """Run a feed server for the ``with`` block and yield its base URL (``http://127.0.0.1:PORT``).
    The ``routes`` mapping stays live: assign to it inside the block to change answers."""
    with FeedServer(routes) as server:
        yield server.base_url


def _not_modified(route: FeedRoute, request_headers: Mapping[str, str]) -> bool:
    if route.etag and request_headers.get("If-None-Match") == route.etag:
        return True
    return bool(route.last_modified and request_headers.get("If-Modified-Since") == route.last_modified)


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            self._answer(send_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._answer(send_body=False)

        def _answer(self, send_body: bool) -> None:
            server.requests.append(SeenRequest(self.command, self.path, dict(self.headers)))
            route = server.route_for(self.path)
            if route is None:
                self._send_status(404, b"not found")
                return
            if server.wait(route.delay_s):
                return
            if _not_modified(route, self.headers):
                self._send_status(304, None, route)
                return
            self._send_body(route, send_body)

        def _validators(self, route: FeedRoute) -> None:
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)

        def _send_status(self, status: int, body: bytes | None, route: FeedRoute | None = None) -> None:
            self.send_response(status)
            if route is not None:
                self._validators(route)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _send_body(self, route: FeedRoute, send_body: bool) -> None:
            chunks = _chunks(route)
            known = None if callable(route.body) or not route.send_length else b"".join(_chunks(route))
            self.send_response(route.status)
            headers = dict(route.headers)
            if not any(key.lower() == "content-type" for key in headers):
                headers["Content-Type"] = RSS_TYPE
            for key, value in headers.items():
                self.send_header(key, value)
            self._validators(route)
            if route.content_length is not None or known is not None:
                self.send_header("Content-Length", str(route.content_length if route.content_length is not None else len(known)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if send_body:
                self._write(route, chunks)

        def _write(self, route: FeedRoute, chunks: Iterator[bytes]) -> None:
            try:
                for chunk in chunks:
                    if server.wait(route.chunk_delay_s):
                        return
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up, as Beacon does once a body is too large
            finally:
                if route.content_length is not None:
                    self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    return Handler


def _date(value: object) -> str:
    return value if isinstance(value, str) else format_datetime(value, usegmt=True)  # type: ignore[arg-type]


def rss_feed(items: Iterable[Mapping[str, object]], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document. Item keys: title, link, guid (defaults to link), description, pubDate
    (an RFC 822 string or an aware datetime). Values are XML-escaped."""
    parts = []
    for item in items:
        fields = [f"<title>{escape(str(item.get('title', '')))}</title>"]
        if item.get("link"):
            fields.append(f"<link>{escape(str(item['link']))}</link>")
        if item.get("guid") or item.get("link"):
            fields.append(f"<guid>{escape(str(item.get('guid') or item['link']))}</guid>")
        if item.get("description"):
            fields.append(f"<description>{escape(str(item['description']))}</description>")
        if item.get("pubDate"):
            fields.append(f"<pubDate>{_date(item['pubDate'])}</pubDate>")
        parts.append(f"<item>{''.join(fields)}</item>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.com/</link><description>Test feed</description>"
        f"{''.join(parts)}</channel></rss>"
    ).encode()


def atom_feed(entries: Iterable[Mapping[str, object]], title: str = "Test feed") -> bytes:
    """An Atom 1.0 document. Entry keys: id, title, link, summary, updated (ISO 8601 string)."""
    parts = []
    for entry in entries:
        parts.append(
            "<entry>"
            f"<id>{escape(str(entry.get('id') or entry.get('link', '')))}</id>"
            f"<title>{escape(str(entry.get('title', '')))}</title>"
            + (f'<link href="{escape(str(entry["link"]))}"/>' if entry.get("link") else "")
            + (f'<summary type="html">{escape(str(entry["summary"]))}</summary>' if entry.get("summary") else "")
            + f"<updated>{entry.get('updated', '2024-01-01T00:00:00Z')}</updated>"
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{escape(title)}</title><id>urn:test:feed</id><updated>2024-01-01T00:00:00Z</updated>"
        f"{''.join(parts)}</feed>"
    ).encode()
