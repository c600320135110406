"""Which feed URLs Beacon accepts: http(s) only, and no private, loopback or metadata addresses
unless allow-listed. Literal IPs and ``localhost`` need no DNS server."""

from __future__ import annotations

import pytest

from core.feeds import FeedError, check_feed_url
from core.settings import get_settings


@pytest.fixture
def allow(beacon_env, monkeypatch):
    """Set BEACON_FEED_ALLOWED_HOSTS for one test (the default fixture allows 127.0.0.1 and localhost)."""

    def set_allowed(hosts: str) -> None:
        monkeypatch.setenv("BEACON_FEED_ALLOWED_HOSTS", hosts)
        get_settings.cache_clear()

    return set_allowed


@pytest.fixture
def nothing_allowed(allow):
    allow("")


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/feed.xml", "file:///etc/passwd", "javascript:alert(1)", "gopher://1.2.3.4/", "mailto:a@b.org", "news", ""],
)
def test_only_http_and_https_urls_are_accepted(url, nothing_allowed):
    with pytest.raises(FeedError, match="http|empty"):
        check_feed_url(url)


def test_a_url_typed_without_its_scheme_is_read_as_a_browser_reads_it(beacon_env):
    assert check_feed_url("localhost/news.rss") == "https://localhost/news.rss"  # as typed into an address bar
    assert check_feed_url("127.0.0.1:8123/top.rss?x=1") == "https://127.0.0.1:8123/top.rss?x=1"
    assert check_feed_url("feed://localhost/news.rss") == "http://localhost/news.rss"  # the old feed: scheme
    assert check_feed_url("feed:https://localhost/news.rss") == "https://localhost/news.rss"


def test_a_url_without_a_host_is_refused(nothing_allowed):
    with pytest.raises(FeedError, match="no host"):
        check_feed_url("http:///feed.xml")


def test_a_bad_port_is_refused_with_a_reason(nothing_allowed):
    with pytest.raises(FeedError, match="port"):
        check_feed_url("http://93.184.216.34:99999/feed")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",  # loopback
        "http://127.1.2.3:8080/feed",
        "http://2130706433/feed",  # 127.0.0.1 written as one number
        "http://0177.0.0.1/feed",  # octal
        "http://0x7f.0.0.1/feed",  # hex
        "http://0x7f000001/feed",  # one hex number
        "http://127.1/feed",  # short form
        "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/",  # metadata in hex
        "http://10.0.0.5/feed",  # private
        "http://172.16.3.4/feed",
        "http://172.31.255.1/feed",
        "http://192.168.1.1/feed",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://0.0.0.0/feed",  # unspecified
        "http://100.64.0.1/feed",  # carrier-grade NAT, not public
        "http://224.0.0.1/feed",  # multicast
        "http://240.0.0.1/feed",  # reserved
        "http://[::1]/feed",  # IPv6 loopback
        "http://[fd00::1]/feed",  # IPv6 unique local
        "http://[fe80::1]/feed",  # IPv6 link-local
        "http://[::ffff:127.0.0.1]/feed",  # IPv4-mapped loopback
        "http://[::ffff:169.254.169.254]/feed",  # IPv4-mapped metadata
        "http://[2002:a00:1::1]/feed",  # 6to4 tunnel to 10.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/feed",  # NAT64 to 169.254.169.254
        "http://[::]/feed",
    ],
)
def test_private_local_and_metadata_addresses_are_refused(url, nothing_allowed):
    with pytest.raises(FeedError, match="private or local address"):
        check_feed_url(url)


def test_a_name_that_resolves_to_loopback_is_refused_unless_allow_listed(nothing_allowed):
    with pytest.raises(FeedError, match="localhost resolves to the private or local address"):
        check_feed_url("http://localhost:8000/feed.xml")


def test_the_refusal_tells_the_admin_how_to_allow_the_host(nothing_allowed):
    with pytest.raises(FeedError) as caught:
        check_feed_url("http://10.1.2.3/feed")
    assert "10.1.2.3" in str(caught.value) and "BEACON_FEED_ALLOWED_HOSTS" in str(caught.value)


def test_public_addresses_are_accepted(nothing_allowed):
    assert check_feed_url("https://93.184.216.34/rss") == "https://93.184.216.34/rss"
    assert check_feed_url("http://[2606:4700:4700::1111]/feed") == "http://[2606:4700:4700::1111]/feed"


def test_allow_listed_hosts_and_ips_are_accepted(allow):
    allow("localhost,10.0.0.5,fd00::1")
    assert check_feed_url("http://localhost:8000/feed.xml") == "http://localhost:8000/feed.xml"
    assert check_feed_url("http://10.0.0.5/feed") == "http://10.0.0.5/feed"
    assert check_feed_url("http://[fd00::1]/feed") == "http://[fd00::1]/feed"
    with pytest.raises(FeedError):
        check_feed_url("http://10.0.0.6/feed")  # only what is listed


def test_the_test_settings_allow_the_local_feed_server(beacon_env):
    assert check_feed_url("http://127.0.0.1:5000/a.rss") == "http://127.0.0.1:5000/a.rss"


def test_an_allow_listed_name_is_matched_on_the_host_not_the_user_part(allow):
    allow("localhost")
    with pytest.raises(FeedError, match="private or local"):
        check_feed_url("http://localhost@10.0.0.1/feed")


def test_the_url_is_normalised(nothing_allowed):
    assert check_feed_url("  HTTPS://93.184.216.34/Feed.xml?a=1#top  ") == "https://93.184.216.34/Feed.xml?a=1"
    assert check_feed_url("http://93.184.216.34") == "http://93.184.216.34/"


def test_an_unknown_host_is_reported(nothing_allowed):
    with pytest.raises(FeedError, match="could not be found"):
        check_feed_url("http://no-such-host.invalid/feed")
