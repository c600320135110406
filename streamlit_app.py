"""Beacon: page navigation and one-time start-up (database migration). Run with `make run`."""

from pathlib import Path

import streamlit as st

from core import auth
from core.settings import SettingsError, get_settings
from core.storage import upgrade_database
from core.views.app import database_problem, settings_problem
from ui import count_run, plain, say, show_failure


@st.cache_resource(show_spinner="Preparing the database…")
def _prepare_database(database_url: str) -> bool:
    """Migrate the schema once per process and database (later sessions reuse the result)."""
    upgrade_database(database_url)
    auth.create_admin_from_environment()  # BEACON_ADMIN_USER / BEACON_ADMIN_PASSWORD on the first start
    return True


ICON = Path(__file__).resolve().parent / "assets" / "beacon_icon.png"  # shipped: nothing is fetched from a font server
st.set_page_config(page_title="Beacon", page_icon=str(ICON), layout="wide")
TOKEN = "beacon_token"
COOKIE = "beacon_session"  # the same token in the browser, so a reload or a new tab stays signed in
SIGNED_OUT = "beacon_signed_out"  # this tab signed out: its cookie (read once per tab) is no longer used


def write_session_cookie(token: str | None) -> None:
    """Keep the browser's session cookie in step with this tab: the token while signed in (written on every run, so
    a run cut short by a page switch cannot lose it), removed on the sign-in form. A session cookie, gone when the
    browser closes; the server keeps the real expiry (idle timeout, sign-out)."""
    value = f"{COOKIE}={token}; path=/; SameSite=Strict" if token else f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"
    st.html(f"<script>document.cookie = {value!r};</script>", unsafe_allow_javascript=True)


def first_admin_form(setup_token: str) -> None:
    """The page behind the one-time setup link printed by `make run`: create the first admin, then sign in as them."""
    st.subheader("Create the first admin")
    st.caption("This one-time link works until the first admin exists. The admin then adds everyone else on the Admin page.")
    with st.form("first_admin"):
        username = st.text_input("Admin username", key="setup_user")
        password = st.text_input("Password (10+ characters)", type="password", key="setup_password")
        repeated = st.text_input("Password again", type="password", key="setup_password_again")
        submitted = st.form_submit_button("Create the admin and sign in", type="primary")
    if submitted:
        try:
            auth.create_first_admin_with_token(setup_token, username, password, repeated)
            st.session_state[TOKEN], _ = auth.sign_in(username, password)
        except (ValueError, auth.SetupLinkError, auth.SignInError) as exc:
            say("error", str(exc))
            return
        st.session_state.pop(SIGNED_OUT, None)
        st.query_params.pop(auth.SETUP_PARAM, None)
        st.rerun()


def sign_in_form(expired: bool) -> None:
    """The sign-in screen (the requested page and its query stay in the address, so sign-in leads there)."""
    st.title("Beacon")
    if get_settings().auth_mode == "oidc":
        st.button("Sign in with your company account", type="primary", on_click=st.login)
        return
    write_session_cookie(None)
    setup_token = st.query_params.get(auth.SETUP_PARAM)
    if setup_token and auth.setup_token_valid(setup_token):
        first_admin_form(setup_token)
        return
    if auth.user_count() == 0:
        stale = "This setup link is not valid any more (a newer one was printed). " if setup_token else ""
        st.info(
            f"{stale}No account exists yet. To create the first admin, open the one-time setup link that `make run` "
            "printed in the terminal where Beacon was started."
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
            say("error", str(exc))
            return
        st.query_params.pop(auth.SETUP_PARAM, None)
        st.rerun()


def signed_in_actor() -> tuple[auth.Actor | None, bool]:
    """The signed-in user (password sessions or the company identity provider), and whether a session just expired."""
    if get_settings().auth_mode == "oidc":
        if not st.user.is_logged_in:
            return None, False
        return auth.identity_provider_actor(st.user.get("email", "")), False
    token = st.session_state.get(TOKEN)
    if token is None and not st.session_state.get(SIGNED_OUT):
        cookie = st.context.cookies.get(COOKIE)  # a reload, a bookmark or a link opened in a new tab
        token = cookie if isinstance(cookie, str) else None  # (AppTest has no browser: no cookies)
    actor = auth.resume(token)
    if actor is not None:
        st.session_state[TOKEN] = token
    return actor, actor is None and token is not None


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


DASHBOARD = st.Page("pages/financial_sentiment.py", title="Financial sentiment", icon=":material/monitoring:",
                    url_path="financial_sentiment")


def open_dashboard() -> None:
    st.switch_page(DASHBOARD)


def app_pages(actor: auth.Actor | None) -> dict[str, list]:
    """Beacon's menu. The start page ("/") only forwards to the dashboard: Streamlit serves a default page at "/" only,
    so making the dashboard the default would leave its own URL (/financial_sentiment, used by alert e-mails) "not found"."""
    return {
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
        "Admin": [
            st.Page(
                "pages/admin.py", title="Users, audit log and settings", icon=":material/admin_panel_settings:", url_path="admin",
                visibility="visible" if actor and actor.can("admin") else "hidden",  # core refuses non-admins anyway
            )
        ],
    }


def cannot_start(message: str) -> None:
    """Stop every page with one message. The navigation is declared (hidden) first: without it Streamlit lists the
    files of pages/ in the sidebar, and the address the user opened would be lost."""
    st.navigation(app_pages(None), position="hidden")
    say("error", message)
    st.stop()


try:
    database_url = get_settings().database_url
except SettingsError as exc:  # a setting that cannot be used: name it, not the database
    cannot_start(settings_problem(exc))
try:
    _prepare_database(database_url)
except Exception as exc:  # an unreachable or broken database: say which one, not a traceback
    cannot_start(database_problem(exc))

auth.set_actor_provider(session_actor)
try:
    actor, expired = signed_in_actor()
    problem = None
except auth.SignInError as exc:
    actor, expired, problem = None, False, str(exc)
# Always declared, so the address a visitor opened (an alert e-mail's link) is kept through the sign-in form;
# the menu shows only to a signed-in user (no stale menu after sign-out, no file-name menu before sign-in).
navigation = st.navigation(app_pages(actor), position="sidebar" if actor else "hidden")
if actor is None:
    st.session_state.pop("beacon_actor", None)
    if problem:
        say("error", problem)
    else:
        sign_in_form(expired)
    st.stop()
auth.set_actor(actor)  # every core action in this script run checks this user's role
st.session_state["beacon_actor"] = actor
with st.sidebar:
    st.caption(plain(f"Signed in as {actor.username} ({actor.role})"))
    st.button("Sign out", key="sign_out", on_click=sign_out)
    if get_settings().auth_mode != "oidc":
        write_session_cookie(st.session_state[TOKEN])
count_run()
try:
    navigation.run()
except auth.PermissionDenied as exc:  # a role check in core refused an action: say so, no traceback
    say("error", str(exc))
except Exception as exc:  # unforeseen: a plain message on the page, the traceback (paths, SQL) in the app's log only
    show_failure(exc)
