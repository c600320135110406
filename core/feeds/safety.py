"""Which feed URLs Beacon may fetch: http(s) only, and never private, loopback or metadata
addresses unless an admin allow-listed the host (``BEACON_FEED_ALLOWED_HOSTS``)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from core.settings import get_settings


class FeedError(Exception):
    """A feed could not be fetched or read; the message says why (and names the URL)."""


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def check_feed_url(url: str) -> str:
    """Return the stripped URL if Beacon may fetch it, else raise FeedError with the reason."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FeedError(f"{url!r}: only http:// and https:// feed URLs are allowed")
    host = parts.hostname
    if not host:
        raise FeedError(f"{url!r}: the URL has no host name")
    allowed = {h.lower() for h in get_settings().feed_allowed_hosts}
    if host.lower() in allowed:
        return url
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError) as exc:
        raise FeedError(f"{url}: the host {host!r} could not be resolved") from exc
    for info in infos:
        address = info[4][0].split("%")[0]
        if address in allowed:
            continue
        if not _is_public(ipaddress.ip_address(address)):
            raise FeedError(
                f"{url}: {host} resolves to the private or local address {address}, which Beacon does not fetch "
                "(an admin can allow-list it with BEACON_FEED_ALLOWED_HOSTS)"
            )
    return url
