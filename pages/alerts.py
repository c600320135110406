"""Alerts, watchlists and alert rules. UI only: every decision and query lives in core."""

import streamlit as st

from core.alerts import (
    MIN_COOLDOWN_HOURS,
    MODES,
    SCOPE_TYPES,
    SNOOZE_PERIODS,
    acknowledge_alert,
    assign_alert,
    delete_alert_rule,
    list_alert_rules,
    mark_false_alarm,
    preview_alert_rule,
    reopen_alert,
    resolve_alert,
    retry_alert_email,
    save_alert_rule,
    snooze_alert,
)
from core.views import alerts as dash
from core.views.app import new_name_taken
from core.watchlists import delete_watchlist, list_watchlists, save_watchlist
from digests_ui import digest_editor
from digests_ui import digests_tab as show_digests
from ui import (
    ARTICLE_COLUMNS,
    KEPT,
    confirm_deletion,
    count_column,
    draw_hidden,
    keep_choice,
    may,
    open_for_editing,
    open_tab,
    page_tabs,
    picked_after_save,
    plain,
    say,
    say_pending,
    table,
    use_app_navigation,
)

use_app_navigation()

SHARE = st.column_config.ProgressColumn("Negative share", min_value=0.0, max_value=1.0, format="percent")
BASELINE = st.column_config.TextColumn("Baseline share", help="Spike rules: the negative share over the baseline days; – for a share rule")
WATCHLIST_COLUMNS = {
    "name": st.column_config.TextColumn("Watchlist"),
    "companies": st.column_config.TextColumn("Companies"),
    "tickers": st.column_config.TextColumn("Tickers"),
    "keywords": st.column_config.TextColumn("Keywords"),
}
RULE_COLUMNS = {
    "name": st.column_config.TextColumn("Rule"),
    "enabled": st.column_config.CheckboxColumn("Enabled"),
    "scope": st.column_config.TextColumn("Scope"),
    "test": st.column_config.TextColumn("Test", width="medium"),
    "window_hours": st.column_config.NumberColumn("Window (h)"),
    "min_items": st.column_config.NumberColumn("Minimum",
                                               help="Stories (items, where Counts says so) the window needs before the rule tests it"),
    "counts": st.column_config.TextColumn("Counts", help="stories: a story carried by several feeds counts once; items: every item"),
    "cooldown_hours": st.column_config.NumberColumn("Cooldown (h)"),
    "recipients": st.column_config.TextColumn("Recipients"),
    "alerts": count_column("Alerts"),
    "false_alarm_rate": st.column_config.NumberColumn("False-alarm rate", format="percent",
                                                      help="Alerts of the rule marked a false alarm, of all its alerts"),
}
PREVIEW_COLUMNS = {
    "window_end": st.column_config.DatetimeColumn("Would have fired at (UTC)", format="YYYY-MM-DD HH:mm"),
    "items": count_column("Items"),
    "negative_share": SHARE,
    "baseline_share": BASELINE,
    "reason": st.column_config.TextColumn("Why", width="large"),
}
NEW_RULE = "+ New rule"
NEW_WATCHLIST = "+ New watchlist"
TESTS = {"share": "share: negative share ≥ threshold", "spike": "spike: share ≥ threshold × baseline"}


def delete_picker(label: str, names: list[str], key: str, what: str, delete, question=None) -> None:
    """Pick one of ``names`` and press Delete…; the deletion waits for a confirmation (``confirm_delete``, asking
    ``question(name)`` when given). Widget keys: ``<key>_pick``, ``delete_<key>``; the pending name sits in
    ``<key>_delete``."""
    d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
    keep_choice(f"{key}_pick", names)  # the one just deleted is gone
    doomed = d1.selectbox(label, names, key=f"{key}_pick")
    if d2.button("Delete…", key=f"delete_{key}", width="stretch"):
        st.session_state[f"{key}_delete"] = doomed
    confirm_delete(f"{key}_delete", what, delete, question)


def confirm_delete(state_key: str, what: str, delete, question=None) -> None:
    """A pending deletion (its name in session state) with Yes / Cancel buttons."""
    name = st.session_state.get(state_key)
    if name is None:
        return
    asked = question(name) if question else f"Delete the {what} {name!r}? This cannot be undone."
    if not confirm_deletion(state_key, asked):
        return
    try:
        delete(name)
    except (PermissionError, ValueError) as exc:  # PermissionError: another analyst's rule or watchlist
        st.session_state["alerts_problem"] = dash.error_text(exc)
        st.rerun()
    st.session_state["alerts_report"] = f"Deleted the {what} {name!r}."
    st.rerun()


def workflow_step(action, alert_id: int, done: str, value_key: str | None = None) -> None:
    """Button callback: run one workflow action on the alert (with the value of the widget under ``value_key``),
    before the page runs again. It runs even when the alert changed meanwhile, so core says why it refuses."""
    args = () if value_key is None else (st.session_state.get(value_key) or "",)
    try:
        action(alert_id, *args)
    except (LookupError, ValueError, PermissionError) as exc:
        st.session_state["alerts_problem"] = dash.error_text(exc)
    else:
        st.session_state["alerts_report"] = f"Alert #{alert_id} {done.format(*args)}."


def alert_workflow(alert: dict, rates: dict) -> None:
    """The alert's state, who changed it when, its rule's false-alarm rate, and (for analysts) the workflow controls."""
    st.text(dash.state_text(alert))
    st.caption(plain(f"False-alarm rate of the rule {alert['rule']!r}: {dash.false_alarm_rate_text(rates.get(alert['rule_id']))}"))
    if not may("analyst"):
        return
    key = alert["id"]
    if not dash.can_change(alert):
        st.button("Reopen", key=f"reopen_{key}", on_click=workflow_step, args=(reopen_alert, key, "reopened"),
                  help="Open the alert again (a mis-click, or the problem is back); it no longer counts as a false alarm")
        return
    a1, a2, a3, a4, a5 = st.columns([1, 2, 1, 1, 2], vertical_alignment="bottom")
    if alert["state"] != "acknowledged":
        a1.button("Acknowledge", key=f"ack_{key}", type="primary", on_click=workflow_step, args=(acknowledge_alert, key, "acknowledged"))
    a2.selectbox("Snooze for", list(SNOOZE_PERIODS), key=f"snooze_period_{key}")
    a3.button("Snooze", key=f"snooze_{key}", on_click=workflow_step, args=(snooze_alert, key, "snoozed for {}", f"snooze_period_{key}"))
    a4.button("Resolve", key=f"resolve_{key}", on_click=workflow_step, args=(resolve_alert, key, "resolved"))
    a5.button("False alarm", key=f"false_alarm_{key}", on_click=workflow_step, args=(mark_false_alarm, key, "marked a false alarm"),
              help="The alert should not have fired; counted in the rule's false-alarm rate")
    users = dash.assignable_users()
    u1, u2, _ = st.columns([2, 1, 3], vertical_alignment="bottom")
    u1.selectbox("Assign to", users, index=users.index(alert["assignee"]) if alert["assignee"] in users else None,
                 key=f"assignee_{key}", placeholder="Pick a user")
    u2.button("Assign", key=f"assign_{key}", on_click=workflow_step, args=(assign_alert, key, "assigned to {}", f"assignee_{key}"))


st.title("Alerts")
link_notice = dash.alert_link_notice(st.get_option("server.port"))
say(link_notice.level, link_notice.text)
say_pending("alerts_report")
say_pending("alerts_problem", "error")
alerts_tab, watch_tab, rules_tab, digests_tab = page_tabs(["Alerts", "Watchlists", "Alert rules", "Digests"], old_param="view")

if alerts_tab.open:
    with alerts_tab:
        requested = dash.parse_alert_id(st.query_params.get("alert"))
        listed = dash.alerts_to_show(requested)
        alerts = listed.alerts
        if requested is not None and requested not in {a["id"] for a in alerts}:
            st.warning(f"Alert #{requested} from the link was not found (it may have been deleted with its rule).")
        if not alerts:
            if list_alert_rules():
                st.info("No alerts have fired yet. They appear here when an alert rule matches.")
            elif may("analyst"):
                st.info("No alerts yet — create an alert rule in the Alert rules tab first.")
                st.button("Open Alert rules", key="alerts_open_rules", on_click=open_tab, args=("Alert rules",))
            else:
                st.info("No alerts yet. They appear here once an analyst's alert rule matches.")
        else:
            table(
                dash.alerts_table(alerts), hide_index=True, width="stretch", key="alerts_table",
                column_config={
                    "id": st.column_config.NumberColumn("#", format="%d"),
                    "fired_at": st.column_config.DatetimeColumn("Fired at (UTC)", format="YYYY-MM-DD HH:mm"),
                    "rule": st.column_config.TextColumn("Rule"),
                    "scope": st.column_config.TextColumn("Scope"),
                    "items": count_column("Stories or items", help="What the rule counts: stories by default"),
                    "negative_share": SHARE,
                    "baseline_share": BASELINE,
                    "state": st.column_config.TextColumn("State", width="medium"),
                    "email": st.column_config.TextColumn("Email", width="large"),
                },
            )
            if listed.caption:
                st.caption(listed.caption)
            by_id = {a["id"]: a for a in alerts}
            ids = list(by_id)
            chosen = by_id[
                st.selectbox("Alert", ids, index=dash.alert_index(requested, ids), format_func=lambda i: dash.alert_label(by_id[i]))
            ]
            with st.container(border=True):
                st.subheader(f"Alert #{chosen['id']}")
                st.text(chosen["reason"])
                m1, m2, m3 = st.columns(3)
                m1.metric(dash.counted_label(chosen), f"{chosen['items']:,}")
                m2.metric("Negative share", f"{chosen['negative_share']:.0%}")
                baseline = chosen.get("baseline_share")
                m3.metric("Baseline share", "–" if baseline is None else f"{baseline:.0%}", help=BASELINE.get("help"))
                alert_workflow(chosen, dash.false_alarm_rates())
                status = chosen["email_status"]
                if status == "failed":
                    say("error", f"Email {dash.email_status_text(chosen)}")
                    if may("analyst") and st.button("Retry email", type="primary", key=f"retry_{chosen['id']}"):
                        try:
                            retry_alert_email(chosen["id"])
                        except (LookupError, ValueError) as exc:
                            say("error", dash.error_text(exc))
                        else:
                            st.success("Email queued again: the worker sends it within a minute.")
                else:
                    st.caption(plain(f"Email: {dash.email_status_text(chosen)}"))
                params = dash.alert_dashboard_params(chosen["id"])
                if params:
                    st.page_link(
                        "pages/financial_sentiment.py", label="Open these items in Financial sentiment",
                        icon=":material/query_stats:", query_params=params,
                    )
                items = dash.alert_items(chosen["id"])
                if items:
                    st.markdown(f"**{plain(dash.items_heading(chosen, len(items)))}**")
                    table(items, hide_index=True, width="stretch", column_config=ARTICLE_COLUMNS, key="alert_items",
                          column_order=[c for c in ARTICLE_COLUMNS if c in items[0]])
                else:
                    st.info("The items of this alert are no longer stored (their feed may have been deleted).")

def watchlist_form(watchlists: list[dict]) -> None:
    """Create a watchlist, or change one's lists in place (the form starts with them)."""
    by_name = {w["name"]: w for w in watchlists}
    just_saved = picked_after_save("watch_edit", by_name)
    keep_choice("watch_edit", [NEW_WATCHLIST, *by_name])  # deleted meanwhile
    editing = st.selectbox("Watchlist to edit", [NEW_WATCHLIST, *by_name], key="watch_edit", persist_state=KEPT,
                           help="Pick a watchlist to change its lists here, or start a new one.")  # fmt: skip
    watchlist = by_name.get(editing)
    v = dash.watchlist_form_values(watchlist)
    k = f"_{editing}" if watchlist else "_new"  # fresh widgets (with this watchlist's lists) for each one picked
    with st.form(f"watchlist{k}", border=True):
        st.subheader(plain(f"Edit the watchlist {editing!r}") if watchlist else "New watchlist")
        st.caption("Companies and tickers are tagged in new items; a watchlist can also be an alert rule's scope.")
        name = st.text_input("Watchlist name", value=v["name"], key=f"watch_name{k}", disabled=watchlist is not None,
                             help="A watchlist keeps its name: alert rules and digests find it by name.")  # fmt: skip
        w1, w2, w3 = st.columns(3)
        companies = w1.text_input("Companies (comma-separated)", value=v["companies"], placeholder="Nokia, Apple",
                                  key=f"watch_companies{k}")  # fmt: skip
        tickers = w2.text_input("Tickers (comma-separated)", value=v["tickers"], placeholder="NOK, AAPL", key=f"watch_tickers{k}")
        keywords = w3.text_input("Keywords (comma-separated)", value=v["keywords"], placeholder="layoffs, recall", key=f"watch_keywords{k}")
        save = st.form_submit_button("Save watchlist", type="primary")
    if save and watchlist is None and (taken := new_name_taken("watchlist", name, list(by_name), "Watchlist to edit")):
        say("error", taken)
    elif save:
        try:
            save_watchlist(name, companies, tickers, keywords)
        except (ValueError, PermissionError) as exc:  # PermissionError: another analyst's watchlist
            say("error", dash.error_text(exc))
        else:
            if watchlist is None:
                open_for_editing("watch_edit", name)
            say("success", dash.watchlist_saved_text(name, existed=True))
    if just_saved:
        say("success", dash.watchlist_saved_text(just_saved, existed=False))


if watch_tab.open:
    with watch_tab:
        if may("analyst"):
            watchlist_form(list_watchlists())
        else:
            st.info("You are signed in as a viewer: you can read the watchlists. Analysts and admins create and change them.")
        watchlists = list_watchlists()
        if not watchlists:
            st.info("No watchlists yet — save one above." if may("analyst") else "No watchlists yet.")
        else:
            table(dash.watchlists_table(watchlists), hide_index=True, width="stretch", key="watchlists_table",
                  column_config=WATCHLIST_COLUMNS)
            if may("analyst"):
                delete_picker("Watchlist", [w["name"] for w in watchlists], "watchlist", "watchlist", delete_watchlist)

def rule_form(rules: list[dict]) -> None:
    """Create a rule, or edit one in place (the form starts with its values), and try it on a past period."""
    by_name = {r["name"]: r for r in rules}
    just_saved = picked_after_save("rule_edit", by_name)
    keep_choice("rule_edit", [NEW_RULE, *by_name])  # the rule was deleted meanwhile
    editing = st.selectbox("Rule to edit", [NEW_RULE, *by_name], key="rule_edit", persist_state=KEPT,
                           help="Pick a rule to change it here, or start a new one.")
    rule = by_name.get(editing)
    fields, period, save, preview = rule_fields(rule, editing)
    if save and rule is None and (taken := new_name_taken("rule", fields["name"], list(by_name), "Rule to edit")):
        say("error", taken)
    elif save:
        save_rule(fields, is_new=rule is None)
    if just_saved:
        rule_saved(just_saved, by_name[just_saved])
    if preview:
        try_rule(fields, period)


def rule_fields(rule: dict | None, editing: str) -> tuple[dict, object, bool, bool]:
    """The rule form (a new rule, or ``rule``'s values): its fields, the period to try it on, and which button was pressed."""
    v = dash.rule_form_values(rule)
    k = f"_{rule['id']}" if rule else "_new"  # fresh widgets (with this rule's values) for each rule picked
    with st.form(f"rule{k}", border=True):
        st.subheader(plain(f"Edit the rule {editing!r}") if rule else "New alert rule")
        r1, r2, r3 = st.columns([2, 1, 2])
        name = r1.text_input("Rule name", value=v["name"], key=f"rule_name{k}", disabled=rule is not None,
                             help="A rule keeps its name; to rename one, save a new rule and delete the old one.")
        scope_type = r2.selectbox("Scope", SCOPE_TYPES, index=SCOPE_TYPES.index(v["scope_type"]), key=f"rule_scope{k}",
                                  help="'all' watches every item; the others need a value.")
        scope_value = r3.text_input("Scope value", value=v["scope_value"], key=f"rule_value{k}",
                                    help="The topic, company, watchlist, keyword or feed name to watch.")
        c1, c2, c3 = st.columns(3)
        window = c1.number_input("Window (hours)", min_value=0.5, value=float(v["window_hours"]), step=1.0, format="%g",
                                 key=f"rule_window{k}")  # 24, not 24.00; 1.5 stays 1.5
        min_items = c2.number_input("Minimum stories in the window", min_value=1, value=int(v["min_items"]), step=1, key=f"rule_min{k}",
                                    help="Items instead, when the rule counts items")
        cooldown = c3.number_input("Cooldown (hours)", min_value=MIN_COOLDOWN_HOURS, value=float(v["cooldown_hours"]), step=1.0,
                                   format="%g",
                                   key=f"rule_cooldown{k}",
                                   help="After an alert the rule stays quiet this long (at least 1 hour), and it never "
                                        "fires again on the same items.")
        c4, c5, c6 = st.columns(3)
        mode = c4.selectbox("Test", MODES, index=MODES.index(v["mode"]), format_func=TESTS.get, key=f"rule_mode{k}")
        threshold = c5.number_input("Threshold", min_value=0.01, value=float(v["threshold"]), step=0.05, key=f"rule_threshold{k}",
                                    help="share: a fraction between 0 and 1 (0.5 = half the items negative); spike: a factor above 1.")
        baseline = c6.number_input("Baseline (days)", min_value=1, value=int(v["baseline_days"]), step=1, key=f"rule_baseline{k}",
                                   help="Used by the spike test.")
        recipients = st.text_input("Recipients (comma-separated emails)", value=v["recipients"], key=f"rule_recipients{k}",
                                   placeholder="analyst@example.com, risk@example.com", help=dash.RECIPIENTS_HELP)
        e1, e2 = st.columns([1, 3])
        enabled = e1.checkbox("Enabled", value=bool(v["enabled"]), key=f"rule_enabled{k}")
        count_items = e2.checkbox("Count items instead of stories", value=bool(v["count_items"]), key=f"rule_count_items{k}",
                                  help="By default a story carried by several feeds counts once (through the first item of it "
                                       "Beacon grouped); tick this to count every item, copies included.")
        p1, p2 = st.columns([2, 3], vertical_alignment="bottom")
        period = p1.date_input("Try it on the period (UTC)", dash.default_preview_period(), key="rule_period",  # kept across rules
                               help="Any past period with stored items, e.g. the dates of the sample feeds.")
        p2.caption("Try the rule shows whether and when it would have fired on the stored items, without saving it.")
        b1, b2, _ = st.columns([1, 1, 3])
        save = b1.form_submit_button("Save rule", type="primary")
        preview = b2.form_submit_button("Try the rule")
    fields = {
        "name": name, "scope_type": scope_type, "scope_value": scope_value.strip(), "window_hours": float(window),
        "min_items": int(min_items), "mode": mode, "threshold": float(threshold), "baseline_days": int(baseline),
        "cooldown_hours": float(cooldown), "recipients": recipients, "enabled": enabled, "count_items": bool(count_items),
    }
    return fields, period, save, preview


def save_rule(fields: dict, is_new: bool) -> None:
    try:
        save_alert_rule(**fields)
    except (ValueError, PermissionError) as exc:  # PermissionError: another analyst's rule
        say("error", f"The rule was not saved: {exc}")
        return
    if is_new:
        open_for_editing("rule_edit", fields["name"])
    rule_saved(fields["name"].strip(), fields)


def rule_saved(name: str, rule: dict) -> None:
    """Says a rule was saved, and warns when its scope matches nothing stored yet."""
    say("success", f"Rule {name!r} saved.")
    if warning := dash.scope_warning(rule["scope_type"], rule["scope_value"]):
        say("warning", warning)


def try_rule(fields: dict, period: object) -> None:
    """Whether and when the rule in the form would have fired in ``period`` (the date picker's value), without saving it."""
    first, last = dash.date_range(period, dash.default_preview_period())
    try:
        tried = preview_alert_rule(fields, first, last)
    except ValueError as exc:
        say("error", f"The rule could not be tried: {exc}")
        return
    say("success" if tried.firings else "info", tried.summary())
    if not tried.firings and (warning := dash.scope_warning(fields["scope_type"], fields["scope_value"])):
        say("warning", warning)
    if tried.firings:
        counted = count_column("Items" if fields["count_items"] else "Stories")
        table(dash.preview_table(tried), hide_index=True, width="stretch", key="preview_table",
              column_config=PREVIEW_COLUMNS | {"items": counted})  # fmt: skip


if rules_tab.open:
    with rules_tab:
        rules = list_alert_rules()
        if may("analyst"):
            rule_form(rules)
            known = {k: v for k, v in dash.scope_suggestions().items() if v}
            if known:
                with st.expander("Known scope values"):
                    for kind, values in known.items():
                        st.text(f"{kind}: {', '.join(values)}")
        else:
            st.info("You are signed in as a viewer: you can read the alert rules. Analysts and admins create, change and try them.")
        rules = list_alert_rules()
        if not rules:
            st.info("No alert rules yet — save one above." if may("analyst") else "No alert rules yet.")
        else:
            table(dash.rules_table(rules, dash.false_alarm_rates()), hide_index=True, width="stretch", key="rules_table",
                  column_config=RULE_COLUMNS)
            if may("analyst"):
                delete_picker("Rule", [r["name"] for r in rules], "rule", "alert rule", delete_alert_rule,
                              dash.rule_deletion_question)

if digests_tab.open:
    with digests_tab:
        show_digests()

if may("analyst"):  # unsaved edits in the editors survive a look at another tab
    draw_hidden(watch_tab, lambda: watchlist_form(list_watchlists()))
    draw_hidden(rules_tab, lambda: rule_form(list_alert_rules()))
    draw_hidden(digests_tab, digest_editor)
