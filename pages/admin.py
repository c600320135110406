"""Admin: users and roles, the audit log, and the settings Beacon runs with. UI only; every action checks the admin role in core.auth."""


import streamlit as st

from core import auth
from core.auth.roles import ROLES
from core.views import admin as view
from ui import KEPT, page_tabs, say, say_pending, table, use_app_navigation

use_app_navigation()


def act(action, success: str) -> bool:  # noqa: ANN001 - a no-argument callable
    """Run ``action``; what came of it is said after the rerun. True when it was done."""
    try:
        action()
    except (ValueError, LookupError, PermissionError) as exc:
        st.session_state["admin_message"] = ("error", str(exc))
        return False
    st.session_state["admin_message"] = ("success", success)
    return True


def add_user() -> None:
    """"Add user": the form empties once the user is added; a refusal (a name taken, a short password) keeps the
    name and role to fix."""
    state = st.session_state
    name, role = state["new_user_name"], state["new_user_role"]
    if act(lambda: auth.create_user(name, state["new_user_password"], role), f"Added {name} as {role}."):
        state["new_user_name"] = state["new_user_password"] = ""


USER_COLUMNS = {
    "username": st.column_config.TextColumn("User"),
    "role": st.column_config.TextColumn("Role"),
    "active": st.column_config.CheckboxColumn("Active"),
    "locked_until": st.column_config.TextColumn("Locked until (UTC)"),
    "last_login_at": st.column_config.TextColumn("Last sign-in (UTC)"),
    "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"),
}
AUDIT_COLUMNS = {  # headed as the download is
    "at": st.column_config.DatetimeColumn(view.AUDIT_HEADERS["at"], format="YYYY-MM-DD HH:mm:ss"),
    **{key: st.column_config.TextColumn(view.AUDIT_HEADERS[key]) for key in ("user", "action", "target", "outcome")},
    "detail": st.column_config.TextColumn(view.AUDIT_HEADERS["detail"], width="large"),
}


SETTINGS_COLUMNS = {
    "setting": st.column_config.TextColumn("Setting"),
    "value": st.column_config.TextColumn("Value", width="large"),
    "variable": st.column_config.TextColumn("Set with"),
}


def read_only_view(actor: auth.Actor) -> None:
    """What a non-admin sees here: their role and whom to ask, no forms they could not use."""
    say("info", view.read_only_message(actor, auth.admin_names()))
    st.caption(view.roles_caption())


st.title("Users, audit log and settings")
actor = auth.current_actor()
if actor is None or not actor.can("admin"):  # the app signs everyone in before a page runs
    if actor is not None:
        read_only_view(actor)
    st.stop()
say_pending("admin_message")
users_tab, audit_tab, settings_tab = page_tabs(["Users", "Audit log", "Settings"], old_param="admin")

if users_tab.open:
    with users_tab:
        users = auth.list_users()
        table(view.users_frame(users), hide_index=True, width="stretch", key="admin_users",
              column_config=USER_COLUMNS)  # fmt: skip
        st.caption(view.roles_caption())
        with st.form("new_user"):
            st.subheader("Add a user")
            c1, c2, c3 = st.columns(3)
            c1.text_input("Username", key="new_user_name")
            c2.text_input("Initial password (10+ characters)", type="password", key="new_user_password")
            c3.selectbox("Role", ROLES, key="new_user_role")
            st.form_submit_button("Add user", type="primary", on_click=add_user)
        if users:
            st.subheader("Change a user")
            names = [u.username for u in users]
            d1, d2 = st.columns([2, 1], vertical_alignment="bottom")
            chosen = d1.selectbox("User", names, key="admin_pick")
            new_role = d2.selectbox("Role", ROLES, index=ROLES.index(next(u.role for u in users if u.username == chosen)), key="admin_role")
            e1, e2, e3 = st.columns(3)
            if e1.button("Save role", key="admin_save_role", width="stretch"):
                act(lambda: auth.set_role(chosen, new_role), f"{chosen} is now {new_role}.")
                st.rerun()
            active = next(u.active for u in users if u.username == chosen)
            if e2.button("Disable" if active else "Enable", key="admin_toggle", width="stretch"):
                act(lambda: auth.set_active(chosen, not active), f"{chosen} is {'disabled' if active else 'enabled'}.")
                st.rerun()
            with e3.popover("Reset password", width="stretch"):
                new_password = st.text_input("New password", type="password", key="admin_new_password")
                if st.button("Set password", key="admin_set_password"):
                    act(lambda: auth.reset_password(chosen, new_password), f"The password of {chosen} was reset; their sessions ended.")
                    st.rerun()

if audit_tab.open:
    with audit_tab:
        f1, f2 = st.columns(2)
        users, actions = auth.event_filter_choices()
        who = f1.selectbox("User", [view.ANYONE, *users], key="audit_user", persist_state=KEPT)
        what = f2.selectbox("Action", [view.ANY_ACTION, view.CHANGES_ONLY, *actions], key="audit_action", persist_state=KEPT)
        user, action, excluded = view.chosen_filter(who), view.chosen_filter(what), view.excluded_actions(what)
        events = view.audit_frame(auth.list_events(username=user, action=action, excluded=excluded))
        if events.empty:
            st.info("No matching events.")
        else:
            table(events, hide_index=True, width="stretch", key="audit_table", column_config=AUDIT_COLUMNS)
            note = view.audit_caption(len(events), auth.count_events(user, action, excluded))
            if note:
                st.caption(note)
            st.download_button("Download the log (CSV)", view.audit_download(user, action, excluded), "beacon_audit.csv",
                               "text/csv")  # fmt: skip
        if kept := view.audit_retention_note():
            st.caption(kept)

if settings_tab.open:
    with settings_tab:
        st.caption("What this Beacon runs with. Each is set in the environment of the app and the worker (README, "
                   "Configuration); restart both after changing one.")
        settings = view.configuration()
        table(settings, hide_index=True, width="stretch", height=35 * (len(settings) + 1) + 3, key="settings_table",
              column_config=SETTINGS_COLUMNS)  # every row at once, no scrolling
