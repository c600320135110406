"""The Alerts page's Digests tab (Streamlit widgets only; beside ui.py so that pages do not import each other):
add, edit, delete and preview digest subscriptions, and send a failed period again (Retry); viewers read them."""

import streamlit as st

from core.digests import (
    FREQUENCIES,
    SCOPE_TYPES,
    delete_digest_subscription,
    list_digest_subscriptions,
    retry_digest,
    save_digest_subscription,
)
from core.views import digests as view
from core.views.alerts import RECIPIENTS_HELP, scope_warning
from core.views.app import new_name_taken
from ui import KEPT, confirm_deletion, keep_choice, may, open_for_editing, picked_after_save, plain, say, table

COLUMNS = {
    "name": st.column_config.TextColumn("Digest"),
    "enabled": st.column_config.CheckboxColumn("Enabled"),
    "scope": st.column_config.TextColumn("Scope"),
    "schedule": st.column_config.TextColumn("Schedule"),
    "recipients": st.column_config.TextColumn("Recipients"),
    "last": st.column_config.TextColumn("Last period", width="medium"),
    "next": st.column_config.TextColumn("Next send", help="When the worker sends this digest next (UTC)"),
    "owner": st.column_config.TextColumn("Owner"),
}


def _form(subs: list[dict]) -> None:
    by_name = {s["name"]: s for s in subs}
    just_saved = picked_after_save("digest_edit", by_name)
    keep_choice("digest_edit", [view.NEW, *by_name])  # deleted meanwhile
    editing = st.selectbox("Digest to edit", [view.NEW, *by_name], key="digest_edit", persist_state=KEPT)
    sub = by_name.get(editing)
    v = view.form_values(sub)
    k = f"_{sub['id']}" if sub else "_new"
    with st.container(border=True, key=f"digest{k}"):  # not a form: the weekday shows only for a weekly digest
        st.subheader(plain(f"Edit the digest {editing!r}") if sub else "New digest")
        c1, c2, c3 = st.columns([2, 1, 2])
        name = c1.text_input("Digest name", value=v["name"], key=f"digest_name{k}", disabled=sub is not None,
                             help="A digest keeps its name; to rename one, save a new digest and delete the old one.")
        scope_type = c2.selectbox("Digest scope", SCOPE_TYPES, index=SCOPE_TYPES.index(v["scope_type"]), key=f"digest_scope{k}")
        scope_value = c3.text_input(
            "Digest scope value",
            value=v["scope_value"],
            key=f"digest_value{k}",
            help="The topic, company, watchlist or keyword; empty for all items.",
        )
        s1, s2, s3, s4 = st.columns(4)  # the weekday last: a daily digest leaves its place empty at the end of the row
        frequency = s1.selectbox("Frequency", FREQUENCIES, index=FREQUENCIES.index(v["frequency"]), key=f"digest_freq{k}")
        send_time = s2.text_input("Send time (HH:MM)", value=v["send_time"], key=f"digest_time{k}")
        time_zone = s3.text_input(
            "Time zone", value=v["time_zone"], key=f"digest_tz{k}",
            help=f"A time zone name, e.g. {', '.join(view.COMMON_ZONES[:5])}, or a city such as Helsinki.",
        )
        weekday = None
        if frequency == "weekly":
            weekday = s4.selectbox("Weekday", range(7), index=v["weekday"], format_func=view.weekday_name, key=f"digest_day{k}")
        recipients = st.text_input("Digest recipients (comma-separated emails)", value=v["recipients"], key=f"digest_to{k}",
                                   help=RECIPIENTS_HELP)
        enabled = st.checkbox("Digest enabled", value=v["enabled"], key=f"digest_on{k}")
        save = st.button("Save digest", type="primary", key=f"digest_save{k}")
    if save and sub is None and (taken := new_name_taken("digest", name, list(by_name), "Digest to edit")):
        say("error", taken)
    elif save:
        try:
            save_digest_subscription(
                name, scope_type, scope_value, frequency, send_time, time_zone, weekday,
                recipients, enabled,
            )  # fmt: skip
        except (ValueError, PermissionError) as exc:  # PermissionError: another analyst's digest
            say("error", view.error_text(exc))
        else:
            if sub is None:
                open_for_editing("digest_edit", name)
            say("success", f"Digest {name.strip()!r} saved.")
            if warning := scope_warning(scope_type, scope_value):
                say("warning", warning)
    if just_saved:
        say("success", f"Digest {just_saved!r} saved.")
        if warning := scope_warning(by_name[just_saved]["scope_type"], by_name[just_saved]["scope_value"]):
            say("warning", warning)


def digest_editor() -> None:
    """The editor of a new or picked digest (analysts)."""
    if may("analyst"):
        _form(list_digest_subscriptions())


def digests_tab() -> None:
    if may("analyst"):
        digest_editor()
    else:
        st.info("You are signed in as a viewer: you can read the digests and preview them. Analysts and admins create and change them.")
    subs = list_digest_subscriptions()
    if not subs:
        st.info("No digests yet — save one above." if may("analyst") else "No digests yet.")
        return
    table(view.subscriptions_table(subs), hide_index=True, width="stretch", key="digests_table", column_config=COLUMNS)
    p1, p2, p3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    keep_choice("digest_pick", [s["name"] for s in subs])  # the one just deleted is gone
    chosen = p1.selectbox("Digest", [s["name"] for s in subs], key="digest_pick", persist_state=KEPT)
    if p2.button("Preview", key="digest_preview", width="stretch"):
        try:
            st.session_state["digest_preview_shown"] = view.preview(chosen)
        except (LookupError, ValueError) as exc:
            say("error", view.error_text(exc))
    if may("analyst") and p3.button("Delete…", key="digest_delete", width="stretch"):
        st.session_state["digest_doomed"] = chosen
    _confirm_delete()
    if may("analyst"):
        _retry(chosen)
    shown = st.session_state.get("digest_preview_shown")
    if shown:
        st.caption(shown.caption)
        st.code(shown.text, language=None, wrap_lines=True)


def _confirm_delete() -> None:
    name = st.session_state.get("digest_doomed")
    if name is None:
        return
    if not confirm_deletion("digest_doomed", f"Delete the digest {name!r} and its send history? This cannot be undone."):
        return
    try:
        delete_digest_subscription(name)
    except (ValueError, PermissionError) as exc:  # PermissionError: another analyst's digest
        st.session_state["alerts_problem"] = view.error_text(exc)
    else:
        st.session_state.pop("digest_preview_shown", None)
        st.session_state["alerts_report"] = f"Deleted the digest {name!r}."
    st.rerun()


def _retry(name: str) -> None:
    """Failed or interrupted periods of the chosen digest, and a Retry button that queues one once more."""
    sends = view.retryable_sends(name)
    if not sends:
        return
    with st.container(border=True):
        st.caption(plain(f"Periods of {name!r} that were not sent; Retry queues one for the worker's next round (once)."))
        by_label = {s["label"]: s for s in sends}
        label = st.selectbox("Period to send again", list(by_label), key="digest_retry_period")
        send = by_label[label]
        if send["interrupted"]:
            say(
                "warning",
                "A worker stopped while sending this digest, so it may have gone out already. Retry only if its recipients did not get it.",
            )
        if st.button("Retry", key="digest_retry"):
            try:
                retry_digest(name, send["period"])
            except (LookupError, ValueError, PermissionError) as exc:
                st.session_state["alerts_problem"] = view.error_text(exc)
            else:
                st.session_state["alerts_report"] = (
                    f"The digest {name!r} for {send['period']} is queued; the worker sends it at its next round."
                )
            st.rerun()
