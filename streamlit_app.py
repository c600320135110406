"""Beacon: page navigation and one-time start-up (database migration). Run with `make run`."""

import html
import os

import streamlit as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from core import auth  # noqa: E402
from core.dashboard import database_problem  # noqa: E402
from core.settings import get_settings  # noqa: E402
from core.storage import upgrade_database  # noqa: E402


@st.cache_resource(show_spinner="Preparing the database…")
def _prepare_database(database_url: str) -> bool:
    """Migrate the schema once per process and database (later sessions reuse the result)."""
    upgrade_database(database_url)
    auth.create_admin_from_environment()  # BEACON_ADMIN_USER / BEACON_ADMIN_PASSWORD on the first start
    return True


st.set_page_config(page_title="Beacon", page_icon=":material/radar:", layout="wide")
try:
    _prepare_database(get_settings().database_url)
except Exception as exc:  # an unreachable or broken database: say which one, not a traceback
    st.error(html.escape(database_problem(exc), quote=False))
    st.stop()

TOKEN = "beacon_token"
COOKIE = "beacon_session"  # the same token in the browser, so a reload or a new tab stays signed in
SIGNED_OUT = "beacon_signed_out"  # this tab signed out: its cookie (read once per tab) is no longer used


def write_session_cookie(token: str | None) -> None:
    """Keep the browser's session cookie in step with this tab: the token while signed in (written on every run, so
    a run cut short by a page switch cannot lose it), removed on the sign-in form. A session cookie, gone when the
    browser closes; the server keeps the real expiry (idle timeout, sign-out)."""
    value = f"{COOKIE}={token}; path=/; SameSite=Strict" if token else f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    st.html(f"<script>document.cookie = {value!r};</script>", unsafe_allow_javascript=True)


def sign_in_form(expired: bool) -> None:
    st.title("Beacon")
    if auth.user_count() == 0:
        st.warning(
            "No accounts exist yet. An administrator creates the first one on the server with "
            "`python -m core users create --admin NAME` (or BEACON_ADMIN_USER and BEACON_ADMIN_PASSWORD on first start)."
        )
        return
    if expired:
        st.info("Your session has expired; please sign in again.")
    with st.form("sign_in"):
        username = st.text_input("Username", key="sign_in_user")
        password = st.text_input("Password", type="password", key="sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            st.session_state[TOKEN], _ = auth.sign_in(username, password)
            st.session_state.pop(SIGNED_OUT, None)
        except auth.SignInError as exc:
            st.error(html.escape(str(exc), quote=False))
            return
        st.rerun()


def signed_in_actor() -> auth.Actor | None:
    """The signed-in user (password sessions or the company identity provider), else a sign-in screen."""
    if get_settings().auth_mode == "oidc":
        if not st.user.is_logged_in:
            st.title("Beacon")
            st.button("Sign in with your company account", type="primary", on_click=st.login)
            return None
        return auth.identity_provider_actor(st.user.get("email", ""))
    token = st.session_state.get(TOKEN)
    if token is None and not st.session_state.get(SIGNED_OUT):
        cookie = st.context.cookies.get(COOKIE)  # a reload, a bookmark or a link opened in a new tab
        token = cookie if isinstance(cookie, str) else None  # (AppTest has no browser: no cookies)
    actor = auth.resume(token)
    if actor is None:
        write_session_cookie(None)
        sign_in_form(expired=token is not None)
    else:
        st.session_state[TOKEN] = token
    return actor


def sign_out() -> None:
    if get_settings().auth_mode == "oidc":
        st.logout()
    auth.sign_out(st.session_state.pop(TOKEN, None))
    st.session_state[SIGNED_OUT] = True


def session_actor() -> auth.Actor | None:
    """The signed-in user of the session being served (widget callbacks run before this script)."""
    if get_settings().auth_mode == "oidc":
        return st.session_state.get("beacon_actor")
    return auth.resume(st.session_state.get(TOKEN))


auth.set_actor_provider(session_actor)
try:
    actor = signed_in_actor()
except auth.SignInError as exc:
    st.error(html.escape(str(exc), quote=False))
    st.stop()
if actor is None:
    st.session_state.pop("beacon_actor", None)
    st.stop()
auth.set_actor(actor)  # every core action in this script run checks this user's role
st.session_state["beacon_actor"] = actor
with st.sidebar:
    st.caption(html.escape(f"Signed in as {actor.username} ({actor.role})", quote=False))
    st.button("Sign out", key="sign_out", on_click=sign_out)
    if get_settings().auth_mode != "oidc":
        write_session_cookie(st.session_state[TOKEN])

DASHBOARD = st.Page("pages/financial_sentiment.py", title="Financial sentiment", icon=":material/monitoring:",
                    url_path="financial_sentiment")


def open_dashboard() -> None:
    st.switch_page(DASHBOARD)


# The start page ("/") only forwards to the dashboard. Streamlit serves a default page at "/" only, so making the
# dashboard the default would leave its own URL (/financial_sentiment, used by alert e-mails) "not found".
PAGES = {
    "Monitoring": [
        st.Page(open_dashboard, title="Start", url_path="start", default=True, visibility="hidden"),
        DASHBOARD,
        st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
    ],
    "Models": [
        st.Page("pages/model_studio.py", title="Model Studio", icon=":material/model_training:", url_path="model_studio"),
        st.Page("pages/batch_scoring.py", title="Batch scoring", icon=":material/table_view:", url_path="batch_scoring"),
    ],
    "Merchandising": [
        st.Page("pages/recommendations.py", title="Recommendations", icon=":material/recommend:", url_path="recommendations"),
    ],
    "Support": [
        st.Page("pages/customer_service.py", title="Customer service", icon=":material/support_agent:", url_path="customer_service"),
    ],
}
PAGES["Admin"] = [
    st.Page(
        "pages/admin.py", title="Users and audit log", icon=":material/admin_panel_settings:", url_path="admin",
        visibility="visible" if actor.can("admin") else "hidden",  # core refuses non-admins anyway
    )
]
try:
    st.navigation(PAGES).run()
except auth.PermissionDenied as exc:  # a role check in core refused an action: say so, no traceback
    st.error(html.escape(str(exc), quote=False))
