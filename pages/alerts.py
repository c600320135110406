"""Alerts, watchlists and alert rules (UI only)."""

import pandas as pd
import streamlit as st

from core.alerts import (
    MODES,
    SCOPE_TYPES,
    alert_items,
    delete_alert_rule,
    list_alert_rules,
    list_alerts,
    retry_alert_email,
    save_alert_rule,
)
from core.watchlists import delete_watchlist, list_watchlists, save_watchlist

st.title("Alerts")
alerts_tab, watch_tab, rules_tab = st.tabs(["Alerts", "Watchlists", "Alert rules"])

with alerts_tab:
    alerts = list_alerts()
    if not alerts:
        st.info("No alerts have fired yet.")
    else:
        st.dataframe(pd.DataFrame(alerts).drop(columns=["reason"]), hide_index=True, width="stretch")
        ids = [a["id"] for a in alerts]
        preset = int(st.query_params.get("alert", ids[0])) if str(st.query_params.get("alert", "")).isdigit() else ids[0]
        chosen = st.selectbox("Alert", ids, index=ids.index(preset) if preset in ids else 0)
        alert = next(a for a in alerts if a["id"] == chosen)
        st.write(alert["reason"])
        if alert["email_status"] == "failed":
            st.warning(f"Email failed: {alert['email_error']}")
            if st.button("Retry email"):
                retry_alert_email(chosen)
                st.success("The email will be sent at the worker's next cycle.")
        st.dataframe(
            pd.DataFrame(alert_items(chosen)), hide_index=True, width="stretch",
            column_config={"link": st.column_config.LinkColumn("Source", display_text="open")},
        )

with watch_tab:
    with st.form("watchlist"):
        name = st.text_input("Watchlist name")
        companies = st.text_input("Companies (comma-separated)")
        tickers = st.text_input("Tickers (comma-separated)")
        keywords = st.text_input("Keywords (comma-separated)")
        if st.form_submit_button("Save watchlist"):
            try:
                save_watchlist(name, companies, tickers, keywords)
                st.success(f"Watchlist {name!r} saved.")
            except ValueError as exc:
                st.error(str(exc))
    for w in list_watchlists():
        cols = st.columns([6, 1])
        cols[0].write(f"**{w['name']}** — companies: {', '.join(w['companies']) or '–'}; "
                      f"tickers: {', '.join(w['tickers']) or '–'}; keywords: {', '.join(w['keywords']) or '–'}")
        if cols[1].button("Delete", key=f"w{w['name']}"):
            delete_watchlist(w["name"])
            st.rerun()

with rules_tab:
    with st.form("rule"):
        name = st.text_input("Rule name")
        c1, c2 = st.columns(2)
        scope_type = c1.selectbox("Scope", SCOPE_TYPES)
        scope_value = c2.text_input("Scope value (topic, company, watchlist, keyword or feed name)")
        c3, c4, c5 = st.columns(3)
        window = c3.number_input("Window (hours)", min_value=1.0, value=24.0)
        min_items = c4.number_input("Minimum items", min_value=1, value=5)
        cooldown = c5.number_input("Cooldown (hours)", min_value=0.0, value=12.0)
        c6, c7, c8 = st.columns(3)
        mode = c6.selectbox("Test", MODES, help="share: negative share ≥ threshold; spike: ≥ threshold × baseline")
        threshold = c7.number_input("Threshold", min_value=0.01, value=0.5)
        baseline = c8.number_input("Baseline (days)", min_value=1, value=7)
        recipients = st.text_input("Recipients (comma-separated emails)")
        if st.form_submit_button("Save rule"):
            try:
                save_alert_rule(
                    name=name, scope_type=scope_type, scope_value=scope_value, window_hours=window,
                    min_items=int(min_items), mode=mode, threshold=threshold, baseline_days=int(baseline),
                    cooldown_hours=cooldown, recipients=recipients,
                )
                st.success(f"Rule {name!r} saved.")
            except ValueError as exc:
                st.error(str(exc))
    rules = list_alert_rules()
    if rules:
        st.dataframe(pd.DataFrame(rules), hide_index=True, width="stretch")
        doomed = st.selectbox("Delete a rule", ["—"] + [r["name"] for r in rules])
        if doomed != "—" and st.button("Delete rule"):
            delete_alert_rule(doomed)
            st.rerun()
