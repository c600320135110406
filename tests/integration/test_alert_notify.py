"""Alert emails through a real SMTP server on 127.0.0.1: delivery, once only, retries, interrupted sends."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.alerts import (
    detect_alerts,
    list_alerts,
    recover_interrupted_sends,
    retry_alert_email,
    save_alert_rule,
    send_pending_alerts,
)
from core.alerts.notify import INTERRUPTED
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert
from tests.support.smtp_server import SmtpServer, free_port, smtp_server
from tests.support.threads import thread_as_current_user
from tests.unit.test_alert_detect import NOW, add_article, add_feed

LATER = NOW + timedelta(minutes=1)


def use_smtp(monkeypatch: pytest.MonkeyPatch, port: int, **env: str) -> None:
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_TIMEOUT_S", "5")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def make_alerts(count: int = 1, recipients: tuple[str, ...] = ("risk@example.com",)) -> list[int]:
    feed = add_feed()
    add_article(feed, title="Acme <b>plunges</b> after profit warning", prob_negative=0.97)
    add_article(feed, title="Acme cuts jobs", prob_negative=0.9)
    add_article(feed, "neutral", title="Acme meeting in May")
    for i in range(count):
        save_alert_rule(name=f"rule {i}", scope_type="all", min_items=3, threshold=0.5, recipients=list(recipients))
    return detect_alerts(NOW)


def alert(alert_id: int) -> Alert:
    with session_scope() as session:
        return session.get(Alert, alert_id)


@pytest.fixture
def server(db, monkeypatch) -> SmtpServer:
    with smtp_server() as running:
        use_smtp(monkeypatch, running.port)
        yield running


def test_alert_email_arrives_with_both_parts_and_the_worst_items(server):
    [alert_id] = make_alerts(recipients=("risk@example.com", "ir@example.org"))
    assert send_pending_alerts(LATER) == {"sent": 1, "failed": 0}

    [message] = server.messages
    assert server.envelopes == [("beacon@localhost", ["risk@example.com", "ir@example.org"])]
    assert message["Subject"] == "[Beacon] High negative share: all items (67% negative, 3 stories)"
    text = message.get_body(("plain",)).get_content()
    body = message.get_body(("html",)).get_content()
    assert text.index("Acme <b>plunges</b>") < text.index("Acme cuts jobs")
    assert "Acme &lt;b&gt;plunges&lt;/b&gt;" in body and "<b>plunges" not in body
    assert f"/alerts?alert={alert_id}" in body and "/financial_sentiment?scope_type=all" in text
    stored = alert(alert_id)
    assert stored.email_status == "sent" and stored.email_sent_at == LATER and stored.email_attempts == 1


def test_notify_twice_sends_once(server):
    make_alerts()
    assert send_pending_alerts(LATER) == {"sent": 1, "failed": 0}
    assert send_pending_alerts(LATER) == {"sent": 0, "failed": 0}
    assert send_pending_alerts(LATER + timedelta(days=1)) == {"sent": 0, "failed": 0}
    assert len(server.messages) == 1


def test_alerts_without_recipients_send_nothing(server):
    [alert_id] = make_alerts(recipients=())
    assert send_pending_alerts(LATER) == {"sent": 0, "failed": 0}
    assert alert(alert_id).email_status == "none" and server.messages == []
    with pytest.raises(ValueError, match="no recipients"):
        retry_alert_email(alert_id)


def test_server_down_then_up_sends_exactly_once(db, monkeypatch):
    port = free_port()
    use_smtp(monkeypatch, port)
    [alert_id] = make_alerts()
    assert send_pending_alerts(LATER) == {"sent": 0, "failed": 1}
    failed = alert(alert_id)
    assert failed.email_status == "failed" and failed.email_attempts == 1
    assert f"could not reach the mail server 127.0.0.1:{port}" in failed.email_last_error
    assert "ConnectionRefusedError" in failed.email_last_error
    assert failed.email_next_attempt_at == LATER + timedelta(minutes=1)
    assert list_alerts()[0]["email_error"] == failed.email_last_error

    with smtp_server(port=port) as server:
        assert send_pending_alerts(LATER + timedelta(seconds=30)) == {"sent": 0, "failed": 0}  # still backing off
        assert send_pending_alerts(LATER + timedelta(minutes=1)) == {"sent": 1, "failed": 0}
        assert send_pending_alerts(LATER + timedelta(minutes=30)) == {"sent": 0, "failed": 0}
        assert len(server.messages) == 1
    sent = alert(alert_id)
    assert sent.email_status == "sent" and sent.email_attempts == 2 and sent.email_last_error is None


def test_backoff_doubles_and_gives_up_after_max_attempts(db, monkeypatch):
    use_smtp(monkeypatch, free_port(), BEACON_EMAIL_MAX_ATTEMPTS="3")
    [alert_id] = make_alerts()
    moment, waits = LATER, []
    for _ in range(3):
        assert send_pending_alerts(moment) == {"sent": 0, "failed": 1}
        stored = alert(alert_id)
        if stored.email_next_attempt_at is None:
            break
        waits.append(stored.email_next_attempt_at - moment)
        moment = stored.email_next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]
    stored = alert(alert_id)
    assert stored.email_status == "failed" and stored.email_attempts == 3
    assert stored.email_last_error.startswith("gave up after 3 attempts: ")
    assert send_pending_alerts(moment + timedelta(days=1)) == {"sent": 0, "failed": 0}

    with smtp_server() as server:  # a person presses Retry once the server is fixed
        use_smtp(monkeypatch, server.port, BEACON_EMAIL_MAX_ATTEMPTS="3")
        retry_alert_email(alert_id)
        assert send_pending_alerts(moment + timedelta(days=1)) == {"sent": 1, "failed": 0}
        assert len(server.messages) == 1
    with pytest.raises(ValueError, match="already sent"):
        retry_alert_email(alert_id)


def test_rejected_message_fails_that_alert_and_goes_on(server):
    first, second = make_alerts(count=2)
    server.reply = "554 5.7.1 Message rejected as spam"
    assert send_pending_alerts(LATER) == {"sent": 0, "failed": 2}
    assert alert(first).email_last_error == "SMTPDataError: 554 5.7.1 Message rejected as spam"
    assert alert(second).email_status == "failed"
    server.reply = None
    assert send_pending_alerts(LATER + timedelta(minutes=1)) == {"sent": 2, "failed": 0}
    assert len(server.messages) == 2


def test_dropped_connection_stops_the_round(server):
    first, second = make_alerts(count=2)
    server.drop = True
    assert send_pending_alerts(LATER) == {"sent": 0, "failed": 1}
    assert "SMTPServerDisconnected" in alert(first).email_last_error
    assert alert(second).email_status == "pending"  # tried at the next round, not after another timeout
    server.drop = False
    assert send_pending_alerts(LATER + timedelta(minutes=1)) == {"sent": 2, "failed": 0}


def test_interrupted_send_is_not_sent_again_until_retry(server):
    [alert_id] = make_alerts()
    with session_scope() as session:  # what a worker killed mid-send leaves behind
        stuck = session.get(Alert, alert_id)
        stuck.email_status, stuck.email_attempts, stuck.email_next_attempt_at = "sending", 1, LATER

    assert recover_interrupted_sends(LATER + timedelta(minutes=5)) == 0  # may still be sending
    assert send_pending_alerts(LATER + timedelta(minutes=5)) == {"sent": 0, "failed": 0}
    assert recover_interrupted_sends(LATER + timedelta(minutes=11)) == 1
    recovered = alert(alert_id)
    assert recovered.email_status == "failed" and recovered.email_last_error == INTERRUPTED
    for minutes in (12, 60, 24 * 60):
        assert send_pending_alerts(LATER + timedelta(minutes=minutes)) == {"sent": 0, "failed": 0}
    assert server.messages == []

    retry_alert_email(alert_id)
    assert send_pending_alerts(LATER + timedelta(days=2)) == {"sent": 1, "failed": 0}
    assert len(server.messages) == 1


def test_concurrent_notify_runs_send_each_alert_once(server):
    make_alerts(count=3)
    barrier, results = threading.Barrier(3), []

    def run() -> None:
        barrier.wait()
        results.append(send_pending_alerts(LATER))

    threads = [thread_as_current_user(run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["sent"] for r in results) == 3 and len(server.messages) == 3
    with session_scope() as session:
        assert set(session.scalars(select(Alert.email_status))) == {"sent"}


def test_login_uses_the_credentials_and_never_reveals_the_password(db, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    with smtp_server(users={"beacon": "s3cret-pass"}) as server:
        use_smtp(monkeypatch, server.port, SMTP_USER="beacon", SMTP_PASSWORD="wrong-s3cret")
        [alert_id] = make_alerts()
        assert send_pending_alerts(LATER) == {"sent": 0, "failed": 1}
        error = alert(alert_id).email_last_error
        assert "SMTPAuthenticationError: 535" in error
        assert "wrong-s3cret" not in error and "wrong-s3cret" not in caplog.text

        use_smtp(monkeypatch, server.port, SMTP_USER="beacon", SMTP_PASSWORD="s3cret-pass")
        assert send_pending_alerts(LATER + timedelta(minutes=1)) == {"sent": 1, "failed": 0}
        assert server.logins == ["beacon"] and len(server.messages) == 1
    assert "s3cret-pass" not in caplog.text
