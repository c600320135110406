"""Digests through a real SMTP server on 127.0.0.1: sent at the scheduled time, once per period across worker
restarts and concurrent workers, retried after an SMTP outage and then sent exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.alerts import detect_alerts, mark_false_alarm, save_alert_rule
from core.digests import delete_digest_subscription, preview_digest, save_digest_subscription, send_due_digests
from core.storage import session_scope
from core.storage.tables import DigestSend, DigestSubscription, utcnow
from tests.integration.test_alert_notify import use_smtp
from tests.support.smtp_server import SmtpServer, free_port, smtp_server
from tests.support.threads import thread_as_current_user
from tests.unit.test_alert_detect import add_article, add_feed

# 08:00 in Berlin on Monday 2024-06-03 (summer time) is 06:00 UTC
CREATED = datetime(2024, 6, 2, 12, 0)
DUE = datetime(2024, 6, 3, 6, 0)


def subscribe(name: str = "Morning", **fields) -> int:
    sub_id = save_digest_subscription(
        name,
        fields.pop("scope_type", "all"),
        send_time="08:00",
        time_zone="Europe/Berlin",
        recipients=fields.pop("recipients", "risk@example.com"),
        **fields,
    )
    with session_scope() as session:  # created the day before the first digest is due
        session.get(DigestSubscription, sub_id).created_at = CREATED
    return sub_id


def seed_items() -> None:
    feed = add_feed()
    add_article(feed, title="Acme <b>plunges</b> after profit warning", prob_negative=0.97, hours_ago=3, now=DUE, summary="")
    add_article(feed, title="Acme cuts jobs", prob_negative=0.9, hours_ago=5, now=DUE)
    add_article(feed, "neutral", title="Acme meeting in May", hours_ago=6, now=DUE)
    add_article(feed, "negative", title="Old bad news", hours_ago=30, now=DUE)  # the previous period
    add_article(feed, "positive", title="Old good news", hours_ago=31, now=DUE)


def sends() -> list[DigestSend]:
    with session_scope() as session:
        return list(session.scalars(select(DigestSend).order_by(DigestSend.id)))


@pytest.fixture
def server(db, monkeypatch) -> SmtpServer:
    with smtp_server() as running:
        use_smtp(monkeypatch, running.port)
        yield running


def test_digest_is_sent_at_its_time_once_with_counts_change_items_alerts_and_trend(server):
    seed_items()
    save_alert_rule(name="all negative", scope_type="all", min_items=3, threshold=0.5)
    [alert_id] = detect_alerts(DUE - timedelta(hours=1))
    mark_false_alarm(alert_id, DUE - timedelta(minutes=30))
    subscribe()
    # 07:59 in Berlin: the period due then ended before the subscription existed
    assert send_due_digests(DUE - timedelta(minutes=1)) == {"sent": 0, "failed": 0}
    assert server.messages == []
    assert send_due_digests(DUE) == {"sent": 1, "failed": 0}
    [message] = server.messages
    assert server.envelopes == [("beacon@localhost", ["risk@example.com"])]
    assert message["Subject"] == "[Beacon] Daily digest Morning: all items (3 stories, 67% negative)"
    text = message.get_body(("plain",)).get_content()
    body = message.get_body(("html",)).get_content()
    assert "Stories: 3 (+1 since the previous digest)" in text
    assert "share 67% (+17 pp since the previous digest, which had 50% of 2)" in text
    assert text.index("Acme <b>plunges</b>") < text.index("Acme cuts jobs") and "Acme meeting" not in text
    assert "Alerts fired (1):" in text and "all negative:" in text
    assert "(marked a false alarm by " in text and "(marked a false alarm by " in body  # what the team made of it
    assert "2024-06-03         3       67%" in text and "2024-06-02         2       50%" in text
    assert "Acme &lt;b&gt;plunges&lt;/b&gt;" in body and "<b>plunges" not in body and "<table" in body
    assert "/financial_sentiment?scope_type=all" in text
    [send] = sends()
    assert (send.period_key, send.status, send.attempts, send.sent_at) == ("2024-06-03", "sent", 1, DUE)

    # the worker restarts and runs again in the same period: nothing more
    assert send_due_digests(DUE + timedelta(minutes=1)) == {"sent": 0, "failed": 0}
    assert send_due_digests(DUE + timedelta(hours=23, minutes=59)) == {"sent": 0, "failed": 0}
    assert len(server.messages) == 1
    # the next day's digest
    assert send_due_digests(DUE + timedelta(days=1)) == {"sent": 1, "failed": 0}
    assert [s.period_key for s in sends()] == ["2024-06-03", "2024-06-04"]


def test_two_workers_at_once_send_one_digest(server):
    subscribe()
    results: list[dict] = []
    threads = [thread_as_current_user(lambda: results.append(send_due_digests(DUE))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == 1 and len(server.messages) == 1 and len(sends()) == 1


def test_smtp_outage_then_recovery_sends_exactly_once(db, monkeypatch):
    port = free_port()
    use_smtp(monkeypatch, port)
    subscribe()
    assert send_due_digests(DUE) == {"sent": 0, "failed": 1}
    [send] = sends()
    assert send.status == "failed" and send.attempts == 1 and send.next_attempt_at == DUE + timedelta(minutes=1)
    assert f"could not reach the mail server 127.0.0.1:{port}" in send.error
    assert send_due_digests(DUE + timedelta(minutes=1)) == {"sent": 0, "failed": 1}  # still down: backs off again
    assert sends()[0].next_attempt_at == DUE + timedelta(minutes=3)
    with smtp_server(port=port) as server:
        assert send_due_digests(DUE + timedelta(minutes=2)) == {"sent": 0, "failed": 0}  # waiting for its next attempt
        assert send_due_digests(DUE + timedelta(minutes=3)) == {"sent": 1, "failed": 0}
        assert send_due_digests(DUE + timedelta(minutes=30)) == {"sent": 0, "failed": 0}
        assert len(server.messages) == 1
    [send] = sends()
    assert send.status == "sent" and send.attempts == 3 and send.error is None


def test_a_period_left_sending_is_not_sent_again(server):
    subscribe()
    assert send_due_digests(DUE) == {"sent": 1, "failed": 0}
    with session_scope() as session:  # as if a worker died between claiming and marking
        session.scalars(select(DigestSend)).one().status = "sending"
    assert send_due_digests(DUE + timedelta(minutes=5)) == {"sent": 0, "failed": 0}
    assert len(server.messages) == 1


def test_disabled_subscription_sends_nothing_and_delete_removes_history(server):
    subscribe(enabled=False)
    assert send_due_digests(DUE) == {"sent": 0, "failed": 0}
    subscribe("Other")
    assert send_due_digests(DUE) == {"sent": 1, "failed": 0}
    assert delete_digest_subscription("Other") and sends() == []
    assert not delete_digest_subscription("Other")


def test_preview_sends_nothing(server):
    seed_items()
    subscribe()
    with session_scope() as session:
        sub = session.scalars(select(DigestSubscription)).one()
        row = {
            "id": sub.id,
            "name": sub.name,
            "scope_type": sub.scope_type,
            "scope_value": sub.scope_value,
            "frequency": sub.frequency,
            "weekday": sub.weekday,
            "send_time": sub.send_time,
            "time_zone": sub.time_zone,
            "recipients": sub.recipients,
        }
    text = preview_digest(row, DUE + timedelta(hours=1))
    assert "Stories: 3" in text and server.messages == [] and sends() == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"send_time": "25:00"}, "HH:MM"),
        ({"frequency": "weekly"}, "needs a weekday"),
        ({"recipients": "not-an-address"}, "not a valid email address"),
        ({"recipients": ""}, "at least one recipient"),
        ({"scope_type": "watchlist", "scope_value": "Nope"}, "no watchlist named 'Nope'; there are no watchlists yet"),
        ({"scope_type": "feed", "scope_value": "News"}, "scope must be one of all, topic, company, watchlist, keyword"),
        ({"scope_type": "company"}, "needs a scope value"),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_stored(db, fields, message):
    base = {"name": "Bad", "scope_type": "all", "send_time": "08:00", "time_zone": "UTC", "recipients": "a@example.com"}
    with pytest.raises(ValueError, match=message):
        save_digest_subscription(**{**base, **fields})
    with session_scope() as session:
        assert session.scalars(select(DigestSubscription)).all() == []


def test_a_watchlist_written_in_other_capitals_is_the_stored_one(db):
    from core.digests import list_digest_subscriptions
    from core.watchlists import save_watchlist

    save_watchlist("Big tech", companies=["Apple"])
    save_digest_subscription(name="Morning", scope_type="watchlist", scope_value="big TECH", send_time="08:00",
                             time_zone="UTC", recipients="a@example.com")  # fmt: skip
    assert [s["scope_value"] for s in list_digest_subscriptions()] == ["Big tech"]


def test_the_worker_cycle_sends_a_due_digest_once(server, monkeypatch):
    import jobs.cycle

    monkeypatch.setattr(jobs.cycle, "score_pending_articles", lambda: 0)  # no models needed here
    moment = utcnow() - timedelta(minutes=1)
    sub_id = save_digest_subscription("Cycle", "all", send_time=f"{moment:%H:%M}", time_zone="UTC", recipients="risk@example.com")
    with session_scope() as session:
        session.get(DigestSubscription, sub_id).created_at = moment - timedelta(days=1)
    first, second = jobs.cycle.run_cycle(), jobs.cycle.run_cycle()  # the second is a restarted worker's first cycle
    assert first["digests"] == {"sent": 1, "failed": 0} and second["digests"] == {"sent": 0, "failed": 0}
    assert len(server.messages) == 1 and "digests" not in first["failed_steps"]


def test_a_failed_period_is_retried_once_by_an_analyst_and_audited(db, monkeypatch):
    from core.auth import Actor, acting_as, list_events
    from core.digests import retry_digest

    port = free_port()
    use_smtp(monkeypatch, port, BEACON_EMAIL_MAX_ATTEMPTS="1")
    subscribe()
    assert send_due_digests(DUE) == {"sent": 0, "failed": 1}
    [send] = sends()
    assert send.status == "failed" and send.next_attempt_at is None  # failed for good: no automatic attempt left
    later = DUE + timedelta(days=1, hours=1)
    with smtp_server(port=port) as server:
        # the next day's digest goes out; the failed period stays failed until someone retries it
        assert send_due_digests(later) == {"sent": 1, "failed": 0}
        assert sends()[0].status == "failed"
        with acting_as(Actor("ann", "analyst")):
            retry_digest("Morning", "2024-06-03", later)
            with pytest.raises(ValueError, match="already queued"):
                retry_digest("Morning", "2024-06-03", later)
            with pytest.raises(ValueError, match="already sent at 2024-06-04 .* not sent twice"):
                retry_digest("Morning", "2024-06-04", later)
        assert sends()[0].status == "queued"
        assert send_due_digests(later + timedelta(minutes=1)) == {"sent": 1, "failed": 0}
        assert send_due_digests(later + timedelta(minutes=2)) == {"sent": 0, "failed": 0}
        assert len(server.messages) == 2
        assert [m["Subject"].startswith("[Beacon] Daily digest Morning") for m in server.messages] == [True, True]
        with acting_as(Actor("ann", "analyst")), pytest.raises(ValueError, match="already sent"):
            retry_digest("Morning", "2024-06-03", later)
    first = sends()[0]
    assert (first.status, first.attempts, first.error) == ("sent", 2, None)
    [event] = [e for e in list_events() if e["action"] == "digest retry queued"]
    assert (event["user"], event["target"], event["outcome"]) == ("ann", "Morning 2024-06-03", "ok")


def test_a_retry_that_fails_again_waits_for_the_next_retry(db, monkeypatch):
    from core.digests import retry_digest

    port = free_port()
    use_smtp(monkeypatch, port)
    subscribe()
    send_due_digests(DUE)
    retry_digest("Morning", "2024-06-03", DUE)
    assert send_due_digests(DUE + timedelta(seconds=10)) == {"sent": 0, "failed": 1}  # the one queued attempt
    [send] = sends()
    assert send.status == "failed" and send.attempts == 2 and send.next_attempt_at is None
    assert send_due_digests(DUE + timedelta(hours=2)) == {"sent": 0, "failed": 0}  # no automatic attempt after a retry


def test_a_period_left_sending_is_retried_only_after_it_is_stuck(server):
    from core.digests import retry_digest

    subscribe()
    assert send_due_digests(DUE) == {"sent": 1, "failed": 0}
    with session_scope() as session:  # as if a worker died between claiming (at DUE) and marking
        send = session.scalars(select(DigestSend)).one()
        send.status, send.next_attempt_at, send.sent_at = "sending", DUE, None
    with pytest.raises(ValueError, match="being sent right now"):
        retry_digest("Morning", "2024-06-03", DUE + timedelta(minutes=5))
    with pytest.raises(LookupError, match="no digest send for the period 2024-06-02"):
        retry_digest("Morning", "2024-06-02", DUE + timedelta(minutes=5))
    with pytest.raises(LookupError, match="no digest named 'Nope'"):
        retry_digest("Nope", "2024-06-03", DUE)
    retry_digest("Morning", "2024-06-03", DUE + timedelta(minutes=11))
    assert send_due_digests(DUE + timedelta(minutes=12)) == {"sent": 1, "failed": 0}
    assert len(server.messages) == 2  # the analyst chose to send it again


def test_concurrent_workers_send_a_queued_retry_once(server):
    from core.digests import retry_digest

    subscribe()
    with session_scope() as session:  # an old period that failed for good
        sub_id = session.scalars(select(DigestSubscription.id)).one()
        start = DUE - timedelta(days=1)
        session.add(
            DigestSend(subscription_id=sub_id, period_key="2024-06-03", period_start=start, period_end=DUE, status="failed", attempts=5)
        )
    retry_digest("Morning", "2024-06-03", DUE + timedelta(hours=1))
    results: list[dict] = []
    threads = [thread_as_current_user(lambda: results.append(send_due_digests(DUE + timedelta(hours=1)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r["sent"] for r in results) == 1 and len(server.messages) == 1


def test_a_digest_counts_a_syndicated_story_once_and_says_how_many_sources_reported_it(server):
    from tests.integration.test_story_counts import NOW, STORY, seed_story

    seed_story(copies=4, others=2)  # one negative story carried by four feeds, two other (positive) items
    sub_id = save_digest_subscription("Wire watch", "all", send_time="07:00", time_zone="UTC", recipients="risk@example.com")
    with session_scope() as session:
        session.get(DigestSubscription, sub_id).created_at = NOW - timedelta(days=2)
    assert send_due_digests(NOW.replace(hour=7) + timedelta(days=1)) == {"sent": 1, "failed": 0}  # covers NOW's morning on
    [message] = server.messages
    text = message.get_body(("plain",)).get_content()
    assert message["Subject"].endswith("(3 stories, 33% negative)")  # the story once: not 4 negative items of 6
    assert text.count(STORY) == 1 and "reported by 4 sources" in text
    assert "reported by 4 sources" in message.get_body(("html",)).get_content()
