"""A requests session that re-checks the address it actually connected to.

``check_feed_url`` resolves the host before the request, but the HTTP library resolves it again
when it connects; a DNS answer that changes in between (DNS rebinding) could otherwise point a
checked public name at a private address. Connections through a configured proxy are not checked:
the proxy decides where they go.
"""

from __future__ import annotations

import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from core.feeds.safety import ALLOW_LIST_HINT, FeedError, is_allowed_address


def _check_peer(connection: HTTPConnection, sock: socket.socket) -> None:
    if connection._tunnel_host:  # connected to a proxy, not to the feed host
        return
    address = sock.getpeername()[0]
    if not is_allowed_address(connection.host, address):
        sock.close()
        raise FeedError(
            f"{connection.host} connected to the private or local address {address}, which Beacon does not fetch ({ALLOW_LIST_HINT})"
        )


class _CheckedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _CheckedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _CheckedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def checked_session() -> requests.Session:
    """A session whose direct connections only reach public or allow-listed addresses; no retries."""
    session = requests.Session()
    adapter = _CheckedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
