"""Which feed URLs Beacon may fetch: http(s) only, and never private, loopback or metadata
addresses unless an admin allow-listed the host (``BEACON_FEED_ALLOWED_HOSTS``)."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit, urlunsplit

from core.settings import get_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
ALLOW_LIST_HINT = "an admin can allow-list it with BEACON_FEED_ALLOWED_HOSTS"


class FeedError(Exception):
    """A feed could not be fetched or read; the message says why (and names the URL). ``feed_links``: (URL, title) of
    the feeds a web page fetched instead of a feed names, for a one-click change of the feed's URL."""

    def __init__(self, message: str, feed_links: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.feed_links = feed_links


def allowed_hosts() -> set[str]:
    return {host.strip("[]").lower() for host in get_settings().feed_allowed_hosts}


def _embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address tunnels to (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [address for address in found if address is not None]


def _is_public_one(ip: IPAddress) -> bool:
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; False for loopback, private, link-local (cloud
    metadata), multicast, reserved and unspecified addresses, also when tunnelled inside IPv6."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return _is_public_one(ip) and all(_is_public_one(inner) for inner in _embedded_ipv4(ip))


def is_allowed_address(host: str, address: str) -> bool:
    """May Beacon connect to ``address`` (which ``host`` resolved to)?"""
    allowed = allowed_hosts()
    return host.lower() in allowed or address.split("%", 1)[0].lower() in allowed or is_public_address(address)


TYPED_HOST = re.compile(r"(localhost|[\w-]+(\.[\w-]+)+)(:\d+)?([/?#]|$)", re.IGNORECASE)


def _with_scheme(url: str) -> str:
    """A URL typed as browsers take it, without its scheme ("www.ft.com/rss"), read as https://; the feed: scheme some
    sites still link ("feed://host/rss", "feed:https://host/rss") read as the http(s) URL it stands for."""
    if url[:5].lower() == "feed:":
        rest = url[5:]
        return "http:" + rest if rest.startswith("//") else rest
    if "://" not in url and TYPED_HOST.match(url):
        return "https://" + url
    return url


def _normalise(url: str) -> tuple[str, str, int]:
    """(normalised URL, host, port) or FeedError: scheme and host lower-cased (https:// added to a URL typed without
    one), fragment dropped."""
    url = _with_scheme(url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FeedError(f"{url!r}: only http:// and https:// feed URLs are allowed")
    host = parts.hostname
    if not host:
        raise FeedError(f"{url!r}: the URL has no host name")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise FeedError(f"{url!r}: the port number is not valid") from exc
    netloc = parts.netloc.rsplit("@", 1)
    netloc[-1] = netloc[-1].lower()
    return urlunsplit((scheme, "@".join(netloc), parts.path or "/", parts.query, "")), host, port


def normalise_feed_url(url: str) -> str:
    """The URL as Beacon stores it (scheme and host lower-cased, fragment dropped), without resolving the
    host; FeedError when it is not an http(s) URL with a host."""
    return _normalise((url or "").strip())[0]


def _resolve(url: str, host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise FeedError(f"{url}: the host {host!r} could not be found") from exc
    return [info[4][0] for info in infos]


def check_feed_url(url: str) -> str:
    """Return the normalised URL if Beacon may fetch it, else raise FeedError with the reason."""
    url = (url or "").strip()
    if not url:
        raise FeedError("the feed URL is empty")
    normalised, host, port = _normalise(url)
    if host.lower() in allowed_hosts():
        return normalised
    for address in _resolve(normalised, host, port):
        if not is_allowed_address(host, address):
            raise FeedError(
                f"{normalised}: {host} resolves to the private or local address {address}, which Beacon does not fetch ({ALLOW_LIST_HINT})"
            )
    return normalised
