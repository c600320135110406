"""Fetching over real HTTP on 127.0.0.1: conditional GET, redirects, time and size limits, SSRF checks.

Time limits are checked against what the server would take (its delay, its drip, its endless body), not
against fixed wall-clock bounds, so a loaded machine does not fail them."""

from __future__ import annotations

import gzip
import socket
import time
import zlib

import pytest

from core.feeds import FeedError, fetch_feed, transport
from core.settings import get_settings
from tests.support.feed_server import FeedRoute, FeedServer, redirect, rss_feed

FEED = rss_feed([{"title": "One", "link": "https://example.com/1"}])


@pytest.fixture
def server(beacon_env):
    with FeedServer() as running:
        yield running


def _settings(monkeypatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def test_a_feed_is_fetched_with_its_validators_and_a_beacon_user_agent(server):
    server.routes["/a.rss"] = FeedRoute(FEED, etag='"v1"', last_modified="Tue, 05 Mar 2024 10:00:00 GMT")
    result = fetch_feed(server.url("/a.rss"))
    assert result.status == "ok" and result.body == FEED
    assert result.etag == '"v1"' and result.last_modified == "Tue, 05 Mar 2024 10:00:00 GMT"
    assert result.final_url == server.url("/a.rss") and "rss" in result.content_type
    assert "Beacon" in server.requests[-1].headers["User-Agent"]


def test_a_conditional_get_gets_not_modified(server):
    server.routes["/a.rss"] = FeedRoute(FEED, etag='"v1"')
    result = fetch_feed(server.url("/a.rss"), etag='"v1"')
    assert result.status == "not_modified" and result.body == b"" and result.etag == '"v1"'
    assert server.requests[-1].headers["If-None-Match"] == '"v1"'


def test_if_modified_since_is_sent_and_honoured(server):
    stamp = "Tue, 05 Mar 2024 10:00:00 GMT"
    server.routes["/a.rss"] = FeedRoute(FEED, last_modified=stamp)
    result = fetch_feed(server.url("/a.rss"), last_modified=stamp)
    assert result.status == "not_modified" and result.last_modified == stamp
    assert server.requests[-1].headers["If-Modified-Since"] == stamp


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error"), (403, "Forbidden")])
def test_an_http_error_names_the_status_and_the_url(server, status, reason):
    server.routes["/gone.rss"] = FeedRoute(b"nope", status=status)
    with pytest.raises(FeedError) as caught:
        fetch_feed(server.url("/gone.rss"))
    assert str(caught.value) == f"HTTP {status} {reason} from {server.url('/gone.rss')}"


def test_redirects_are_followed_to_the_feed(server):
    server.routes["/old.rss"] = redirect("/middle.rss", status=301)
    server.routes["/middle.rss"] = redirect(server.url("/new.rss"), status=307)
    server.routes["/new.rss"] = FEED
    result = fetch_feed(server.url("/old.rss"))
    assert result.body == FEED and result.final_url == server.url("/new.rss")


def test_too_many_redirects_are_refused(server):
    server.routes["/loop.rss"] = redirect("/loop.rss")
    with pytest.raises(FeedError, match="more than 5 redirects"):
        fetch_feed(server.url("/loop.rss"))
    assert server.hits("/loop.rss") == 6


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/feed", "http://[::1]:9/feed", "file:///etc/passwd"]
)
def test_a_redirect_to_a_private_address_or_another_scheme_is_refused(server, target, monkeypatch):
    connected = []
    new_conn = transport._CheckedHTTPConnection._new_conn

    def recording_new_conn(self: transport._CheckedHTTPConnection) -> object:
        connected.append(f"{self.host}:{self.port}")
        return new_conn(self)

    monkeypatch.setattr(transport._CheckedHTTPConnection, "_new_conn", recording_new_conn)
    server.routes["/evil.rss"] = redirect(target)
    with pytest.raises(FeedError, match="redirected to a URL Beacon does not fetch"):
        fetch_feed(server.url("/evil.rss"))
    assert connected == [server.base_url.removeprefix("http://")]  # refused before connecting anywhere else


def test_a_private_address_is_refused_before_any_request(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_ALLOWED_HOSTS="")
    server.routes["/a.rss"] = FEED
    with pytest.raises(FeedError, match="private or local address 127.0.0.1"):
        fetch_feed(server.url("/a.rss"))
    assert server.requests == []


def test_a_name_that_turns_private_between_check_and_connect_is_refused(server, monkeypatch):
    """DNS rebinding: the check sees a public address, the connection would reach 127.0.0.1."""
    _settings(monkeypatch, BEACON_FEED_ALLOWED_HOSTS="")
    server.routes["/a.rss"] = FEED
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding_dns(host, port, *args, **kwargs):
        if host == "feeds.rebind.test":
            return real_getaddrinfo(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    port = server.base_url.rsplit(":", 1)[1]
    with pytest.raises(FeedError, match="connected to the private or local address 127.0.0.1"):
        fetch_feed(f"http://feeds.rebind.test:{port}/a.rss")
    assert server.requests == []


def test_a_server_that_does_not_answer_in_time_is_an_error(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_TIMEOUT_S="0.5")
    server.routes["/slow.rss"] = FeedRoute(FEED, delay_s=30)
    started = time.monotonic()
    with pytest.raises(FeedError, match=r"within 0\.5 s"):
        fetch_feed(server.url("/slow.rss"))
    assert time.monotonic() - started < 30  # gave up at its deadline, not when the server answered


def test_a_server_that_drips_its_body_is_stopped_at_the_deadline(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_TIMEOUT_S="1")
    route = FeedRoute(FEED, chunk_size=10, chunk_delay_s=0.5)  # each chunk is in time, the whole is not
    server.routes["/drip.rss"] = route
    whole_drip_s = len(FEED) / route.chunk_size * route.chunk_delay_s  # about 14 s
    started = time.monotonic()
    with pytest.raises(FeedError, match="within 1 s"):
        fetch_feed(server.url("/drip.rss"))
    assert time.monotonic() - started < whole_drip_s / 2  # stopped at the deadline, not at the end of the drip


def test_a_declared_length_over_the_cap_is_refused_without_reading(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_MAX_BYTES="1000")
    server.routes["/big.rss"] = FeedRoute(b"x" * 5000)
    with pytest.raises(FeedError, match="larger than the 1000 bytes limit"):
        fetch_feed(server.url("/big.rss"))


def test_an_endless_body_is_cut_off_at_the_cap(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_MAX_BYTES="100000")

    def endless():
        while True:
            yield b"<item>" + b"x" * 4090

    server.routes["/endless.rss"] = FeedRoute(endless, send_length=False)
    with pytest.raises(FeedError, match="larger than the 97.6562 KB limit"):  # not "no complete answer within 10 s"
        fetch_feed(server.url("/endless.rss"))


def test_a_body_cut_short_is_an_error(server):
    server.routes["/short.rss"] = FeedRoute(FEED, content_length=len(FEED) + 500)
    with pytest.raises(FeedError, match="interrupted"):
        fetch_feed(server.url("/short.rss"))


def test_nothing_listening_is_a_connection_error(beacon_env):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FeedError, match="connection failed .*refused"):
        fetch_feed(f"http://127.0.0.1:{port}/feed.rss")


def test_https_to_a_plain_http_server_says_to_use_http(server):
    server.routes["/feed.rss"] = FeedRoute(FEED)
    with pytest.raises(FeedError, match="does not answer HTTPS .*starting with http://"):
        fetch_feed(server.url("/feed.rss").replace("http://", "https://"))


def test_a_compressed_feed_is_decompressed(server):
    server.routes["/gz.rss"] = FeedRoute(gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch_feed(server.url("/gz.rss")).body == FEED


def test_a_compression_bomb_is_stopped_at_the_cap(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_MAX_BYTES="100000")
    bomb = gzip.compress(b"\0" * 50_000_000)  # about 50 KB on the wire
    server.routes["/bomb.rss"] = FeedRoute(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FeedError, match="larger than"):
        fetch_feed(server.url("/bomb.rss"))


def test_a_deflate_bomb_is_stopped_at_the_cap(server, monkeypatch):
    _settings(monkeypatch, BEACON_FEED_MAX_BYTES="100000")
    bomb = zlib.compress(b"\0" * 50_000_000, 9)  # about 50 KB on the wire
    server.routes["/bomb.rss"] = FeedRoute(bomb, headers={"Content-Encoding": "deflate"})
    with pytest.raises(FeedError, match="larger than"):
        fetch_feed(server.url("/bomb.rss"))


def test_a_50_mb_body_is_cut_off_at_the_default_5_mb_cap(server):
    megabytes_sent = []

    def fifty_megabytes():
        for n in range(50):
            megabytes_sent.append(n)
            yield b"<!-- padding -->" * 65_536  # 1 MB

    server.routes["/big.rss"] = FeedRoute(fifty_megabytes, send_length=False)
    with pytest.raises(FeedError, match="larger than the 5 MB limit"):
        fetch_feed(server.url("/big.rss"))
    assert len(megabytes_sent) < 50  # the reading stopped at the cap; the server never got to send the rest
