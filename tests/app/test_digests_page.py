"""The Alerts page's Digests tab with AppTest against a real, migrated database: add, edit, delete, preview;
bad input refused with the reason; viewers read only."""

from __future__ import annotations

from core.digests import list_digest_subscriptions, save_digest_subscription
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, texts, widget

PAGE = "alerts.py"


def fill(
    at,
    name="Morning",
    scope_type="all",
    scope_value="",
    frequency="daily",
    send_time="08:00",
    time_zone="Europe/Berlin",
    recipients="risk@example.com",
):
    widget(at.text_input, "Digest name").input(name)
    widget(at.selectbox, "Digest scope").set_value(scope_type)
    widget(at.text_input, "Digest scope value").input(scope_value)
    widget(at.selectbox, "Frequency").set_value(frequency)
    widget(at.text_input, "Send time (HH:MM)").input(send_time)
    widget(at.text_input, "Time zone").input(time_zone)
    widget(at.text_input, "Digest recipients (comma-separated emails)").input(recipients)
    return button(at, "Save digest").click().run()


def test_add_edit_preview_and_delete_a_digest(db):
    at = open_page(PAGE, tab="Digests")
    assert_no_exception(at)
    assert "No digests yet — save one above." in texts(at.info)

    fill(at, time_zone="Mars/Olympus")
    assert any("Unknown time zone 'Mars/Olympus'" in e for e in shown_texts(at.error)), shown_texts(at.error)
    assert list_digest_subscriptions() == []

    fill(at)
    assert_no_exception(at)
    assert "Digest 'Morning' saved." in shown_texts(at.success)
    [sub] = list_digest_subscriptions()
    assert (sub["time_zone"], sub["send_time"], sub["recipients"]) == ("Europe/Berlin", "08:00", ["risk@example.com"])
    at.run()
    assert at.dataframe[0].value["schedule"].tolist() == ["every day at 08:00 (Europe/Berlin)"]
    [upcoming] = at.dataframe[0].value["next"].tolist()  # its next 08:00 in Berlin, in UTC (a period before it is not sent)
    assert upcoming.endswith((" 06:00 UTC", " 07:00 UTC")), upcoming

    widget(at.selectbox, "Digest to edit").set_value("Morning").run()
    assert widget(at.text_input, "Time zone").value == "Europe/Berlin"
    assert not [b for b in at.selectbox if b.label.startswith("Weekday")]  # a daily digest has no weekday to pick
    widget(at.selectbox, "Frequency").set_value("weekly").run()
    widget(at.selectbox, "Weekday").set_value(4)
    button(at, "Save digest").click().run()
    assert_no_exception(at)
    [sub] = list_digest_subscriptions()
    assert (sub["frequency"], sub["weekday"]) == ("weekly", 4)

    button(at, "Preview").click().run()
    assert at.code and at.code[0].value.startswith("[Beacon] Weekly digest Morning: all items (0 stories")

    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert list_digest_subscriptions() == []
    assert "Deleted the digest 'Morning'." in shown_texts(at.success)


def test_the_digest_being_edited_stays_picked_after_a_look_at_another_tab(db):
    at = fill(open_page(PAGE, tab="Digests"))
    widget(at.selectbox, "Digest to edit").set_value("Morning").run()
    at = switch_tab(switch_tab(at, "Alert rules"), "Digests")
    assert_no_exception(at)
    assert widget(at.selectbox, "Digest to edit").value == "Morning"  # not back at a new digest
    assert widget(at.text_input, "Time zone").value == "Europe/Berlin"


def test_a_new_digest_does_not_overwrite_one_of_the_same_name(db):
    save_digest_subscription("Morning", "all", recipients="risk@example.com", send_time="08:00", time_zone="UTC")
    at = open_page(PAGE, tab="Digests")
    fill(at, send_time="17:30")  # the New digest form, a name in use
    assert_no_exception(at)
    assert any(e.startswith("A digest named 'Morning' already exists.") for e in shown_texts(at.error)), shown_texts(at.error)
    [sub] = list_digest_subscriptions()
    assert (sub["send_time"], sub["time_zone"]) == ("08:00", "UTC")  # untouched
    widget(at.selectbox, "Digest to edit").set_value("Morning").run()
    assert widget(at.text_input, "Digest name").disabled  # a digest keeps its name (no silent copy on "rename")


def test_viewer_reads_and_previews_but_cannot_change(db):
    save_digest_subscription("Morning", "all", recipients="risk@example.com")
    at = open_page(PAGE, tab="Digests", role="viewer")
    assert_no_exception(at)
    assert any("viewer" in t for t in texts(at.info))
    assert not [b for b in at.button if b.label in ("Save digest", "Delete…")]
    assert [t.label for t in at.text_input if t.label == "Digest name"] == []
    button(at, "Preview").click().run()
    assert at.code[0].value.startswith("[Beacon] Daily digest Morning")


def _failed_send(name: str, period: str, status: str = "failed", error: str | None = "the mail server refused every recipient") -> None:
    from datetime import timedelta

    from core.storage import session_scope
    from core.storage.tables import DigestSend, DigestSubscription, utcnow

    end = utcnow() - timedelta(days=1)
    with session_scope() as session:
        sub_id = session.query(DigestSubscription.id).filter_by(name=name).scalar()
        started = end if status == "sending" else None  # a worker that stopped a day ago
        session.add(
            DigestSend(
                subscription_id=sub_id,
                period_key=period,
                period_start=end - timedelta(days=1),
                period_end=end,
                status=status,
                attempts=5,
                next_attempt_at=started,
                error=error,
            )
        )


def test_analyst_retries_a_failed_digest_once_and_viewer_cannot(db):
    from core.auth import list_events
    from core.repositories import digests as digest_rows

    save_digest_subscription("Morning", "all", recipients="risk@example.com")
    _failed_send("Morning", "2024-06-03")
    at = open_page(PAGE, tab="Digests", role="viewer")
    assert_no_exception(at)
    assert "2024-06-03: failed (the mail server refused every recipient)" in at.dataframe[0].value["last"].tolist()
    assert [b for b in at.button if b.label == "Retry"] == []

    at = open_page(PAGE, tab="Digests", role="analyst")
    assert widget(at.selectbox, "Period to send again").value == "2024-06-03: the mail server refused every recipient"
    button(at, "Retry").click().run()
    assert_no_exception(at)
    assert any("queued; the worker sends it at its next round" in t for t in shown_texts(at.success))
    [send] = digest_rows.sends_of(digest_rows.get_subscription("Morning")["id"])
    assert send["status"] == "queued"
    assert [b for b in at.button if b.label == "Retry"] == []  # nothing left to retry
    assert at.dataframe[0].value["last"].tolist() == ["2024-06-03: queued to send again (the mail server refused every recipient)"]
    assert [e["target"] for e in list_events() if e["action"] == "digest retry queued"] == ["Morning 2024-06-03"]


def test_an_interrupted_digest_warns_that_it_may_have_gone_out(db):
    save_digest_subscription("Morning", "all", recipients="risk@example.com")
    _failed_send("Morning", "2024-06-03", status="sending", error=None)
    at = open_page(PAGE, tab="Digests", role="analyst")
    assert widget(at.selectbox, "Period to send again").value == "2024-06-03: interrupted while sending"
    assert any("may have gone out already" in t for t in shown_texts(at.warning))


def test_preview_shows_the_next_digest_with_todays_stories(db):
    from datetime import timedelta

    from core.storage.tables import utcnow
    from tests.unit.test_alert_detect import add_article, add_feed

    now = utcnow()
    add_article(add_feed(), title="Acme plunges after a profit warning", hours_ago=0.1, now=now)
    send_at = now + timedelta(hours=12)  # the last digest went out about 12 hours ago, before the item
    save_digest_subscription("Evening", "all", recipients="risk@example.com", send_time=f"{send_at:%H:%M}", time_zone="UTC")
    at = open_page(PAGE, tab="Digests")
    button(at, "Preview").click().run()
    assert_no_exception(at)
    assert f"The next digest, due {send_at:%Y-%m-%d %H:%M} UTC, with what has been published so far (nothing is sent):" in texts(at.caption)
    assert at.code[0].value.startswith("[Beacon] Daily digest Evening: all items (1 story, 100% negative)")  # not the
    assert "Stories: 1 " in at.code[0].value  # empty period that ended this morning
    assert "Acme plunges after a profit warning" in at.code[0].value


def test_a_topic_digest_that_nothing_has_is_saved_with_a_warning(db):
    from core.feeds import add_feed

    add_feed("Wire", "http://127.0.0.1:9/wire.rss", topics="Earnings")  # a feed's topic tag is a topic too
    at = fill(open_page(PAGE, tab="Digests"), name="Typo", scope_type="topic", scope_value="Earning")
    assert_no_exception(at)
    assert "Digest 'Typo' saved." in texts(at.success)
    assert any(w.startswith("No item, feed tag or topic model has the topic 'Earning'") and w.endswith("did you mean 'Earnings'?")
               for w in texts(at.warning)), texts(at.warning)  # fmt: skip
