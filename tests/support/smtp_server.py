"""A real SMTP server (aiosmtpd) on 127.0.0.1 in a thread, for tests that send email.

    with smtp_server() as (host, port, messages):      # messages: list[email.message.EmailMessage]
        ...

The yielded object is also a ``SmtpServer`` with switches to simulate trouble:
``server.reply = "554 5.7.1 rejected"`` rejects every message (any SMTP reply), ``server.drop = True``
closes the connection instead of answering DATA, and ``server.stop()`` / ``server.start()`` take the
port down and bring it back (same port). ``logins`` records successful AUTH user names.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int | None = None, users: dict[str, str] | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.users = users
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []  # (mail from, recipients) per accepted message
        self.logins: list[str] = []
        self.reply: str | None = None
        self.drop = False
        self._controller: Controller | None = None

    def __iter__(self) -> Iterator:
        return iter((self.host, self.port, self.messages))

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        if self.drop:
            server.transport.close()
            return "421 closing"
        if self.reply:
            return self.reply
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.users is not None:
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self) -> None:
        if self._controller is not None:
            return
        options = {"authenticator": self._authenticate, "auth_require_tls": False} if self.users is not None else {}
        self._controller = Controller(self, hostname=self.host, port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@contextmanager
def smtp_server(port: int | None = None, users: dict[str, str] | None = None) -> Iterator[SmtpServer]:
    """A running server; ``users`` (name -> password) turns on AUTH LOGIN/PLAIN."""
    server = SmtpServer(port, users)
    server.start()
    try:
        yield server
    finally:
        server.stop()
