"""The Alerts page's Digests tab with AppTest against a real, migrated database: add, edit, delete, preview;
bad input refused with the reason; viewers read only."""

from __future__ import annotations

from core.digests import list_digest_subscriptions, save_digest_subscription
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, texts, widget

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

    widget(at.selectbox, "Digest to edit").set_value("Morning").run()
    assert widget(at.text_input, "Time zone").value == "Europe/Berlin"
    widget(at.selectbox, "Frequency").set_value("weekly")
    widget(at.selectbox, "Weekday (weekly)").set_value(4)
    button(at, "Save digest").click().run()
    assert_no_exception(at)
    [sub] = list_digest_subscriptions()
    assert (sub["frequency"], sub["weekday"]) == ("weekly", 4)

    button(at, "Preview").click().run()
    assert at.code and at.code[0].value.startswith("[Beacon] Weekly digest Morning: all items (0 items")

    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert list_digest_subscriptions() == []
    assert "Deleted the digest 'Morning'." in shown_texts(at.success)


def test_viewer_reads_and_previews_but_cannot_change(db):
    save_digest_subscription("Morning", "all", recipients="risk@example.com")
    at = open_page(PAGE, tab="Digests", role="viewer")
    assert_no_exception(at)
    assert any("viewer" in t for t in texts(at.info))
    assert not [b for b in at.button if b.label in ("Save digest", "Delete…")]
    assert [t.label for t in at.text_input if t.label == "Digest name"] == []
    button(at, "Preview").click().run()
    assert at.code[0].value.startswith("[Beacon] Daily digest Morning")
