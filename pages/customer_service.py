"""Customer service: ask the FAQ assistant, manage knowledge bases, analyse ticket exports.
UI only: retrieval, intent, sentiment, the escalation decision and analytics live in core.support."""

import io

import pandas as pd
import plotly.express as px
import streamlit as st

from core.downloads import safe_csv
from core.scoring.reading import InputFileError, count_records, suggest_text_column
from core.settings import get_settings
from core.support.assistant import FEEDBACK_WORDS, MAX_QUESTION_CHARS, ask, record_feedback
from core.support.batch import add_wordings, answer_file, missed_wordings
from core.support.decision import Policy
from core.support.insights import MAX_QUESTIONS, PERIODS, question_insights
from core.support.kb import (
    FaqFileError,
    ImportConflict,
    answer_of,
    delete_kb,
    import_faq,
    import_issues,
    kb_entries,
    kb_versions,
    list_kbs,
    read_faq_file,
    rollback_kb,
    set_team_threshold,
    suggest_faq_columns,
    team_threshold,
)
from core.support.tickets import PERIOD_NAMES, TicketFileError, TicketReport, analyse_tickets
from core.views import customer_service as view
from core.views.app import SENTIMENT_COLORS
from core.wording import count_of, shortened
from ui import (
    KEPT,
    chart_labels,
    confirm_deletion,
    count_column,
    count_tick,
    draw_partial_periods_lighter,
    example_download,
    follow_suggestion,
    keep_choice,
    may,
    open_tab,
    page_tabs,
    pick_sheet,
    plain,
    say,
    say_pending,
    suggest_again,
    tab_upload,
    table,
    use_app_navigation,
)

use_app_navigation()

NONE = "(none)"
ALL_KBS = "All knowledge bases"
LOG_ROWS = 200
WHEN = "YYYY-MM-DD HH:mm"
ASKED_NOW = st.column_config.TextColumn("Asked now", width="medium", help="Each group's examples asked again now (not logged): answered "
                                       "once entries written since cover them all, '2 of 3 answered' when only some are. 'Still "
                                       "escalated (upset customers)': every example is very negative, and such customers go to an "
                                       "agent whatever the FAQ holds, so no entry changes it.")
COLUMN_LABELS = {  # table columns in the user's words
    "asked_at": st.column_config.DatetimeColumn("Asked (UTC)", format=WHEN), "kb": "Knowledge base", "question": "Question",
    "action": "Decision", "reasons": "Why escalated", "confidence": st.column_config.NumberColumn("Confidence", format="%.2f"),
    "policy": st.column_config.TextColumn("Decided at", width="medium", help="The operating point or threshold the question "
                                          "was answered or escalated at (– for questions logged before Beacon recorded it)"),
    "intent": "Intent", "sentiment": "Customer sentiment", "feedback": "Feedback", "source": "Asked from",
    "name": "Knowledge base", "active version": "Active version", "entries": count_column("Entries"), "versions": "Versions",
    "team threshold": st.column_config.TextColumn("Team threshold", help="The confidence threshold its questions are answered at "
                                                  "unless they choose their own (set on the Ask or Past questions tab)"),
    "version": "Version", "active": "Active", "note": "Note", "added": count_column("Added"), "updated": count_column("Updated"),
    "rejected": count_column("Rejected"), "flagged": count_column("Flagged for review"), "created_by": "Imported by",
    "created_at": st.column_config.DatetimeColumn("Imported (UTC)", format=WHEN),
    "answer": "Answer", "category": "Category", "status": "Status", "line": "Line", "column": "Column", "reason": "Reason",
    "cluster": "Cluster", "label": "Topic", "size": count_column("Tickets"), "examples": "Example questions",
    "matched_question": "Closest FAQ question",
}


def kb_picker(key: str) -> str | None:
    names = [k.name for k in list_kbs()]
    if not names:
        st.info("No knowledge base yet: import an FAQ CSV under **Knowledge bases**." if may("analyst") else
                "No knowledge base yet. An analyst imports the FAQ under **Knowledge bases**; then questions can be asked.")  # fmt: skip
        return None
    return st.selectbox("Knowledge base", names, key=key, persist_state=KEPT)


def show_answer(item: dict) -> None:
    with st.chat_message("user"):
        st.markdown(plain(item["question"]))
    with st.chat_message("assistant"):
        if item["action"] == "escalate":
            say("warning", view.escalation_text(item["reasons"], item["confidence"]))
        else:
            st.markdown(plain(item["answer"]))
            st.caption(f"Matched FAQ question: {plain(item['matched_question'])}")
        if item.get("policy"):
            st.caption(f"Decided at {view.policy_words(item['policy'])}")
        c1, c2, c3 = st.columns([1, 2, 1])  # intent names run long ("Card payment wrong exchange rate"): not a metric
        c1.metric("Confidence", f"{item['confidence']:.2f}", border=True)
        with c2.container(border=True, height="stretch"):  # a card whose text wraps
            st.caption("Intent", help=f"The intent model's label: {item['intent']}" if item["intent"] else None)
            st.markdown(f"**{plain(view.intent_name(item['intent']))}**")
            if note := view.intent_note(item["action"], item["reasons"], item["intent_confidence"], item.get("intent_reference")):
                st.caption(note)
        c3.metric("Customer sentiment", item["sentiment"] or "–", f"model: {item['sentiment_task']}", delta_color="off",
                  delta_arrow="off", border=True)  # fmt: skip
        if nearby := view.nearby_entries(item):
            label, entries = nearby
            with st.expander(label):
                for alt in entries:
                    st.markdown(f"**{plain(alt['question'])}** (similarity {alt['similarity']:.2f})  \n{plain(alt['answer'])}")
        if item["interaction_id"] is not None:
            b1, b2, _ = st.columns([1, 1, 4])
            for column, helpful, key, icon, tip in (
                (b1, True, "cs_up", ":material/thumb_up:", "The answer was right"),
                (b2, False, "cs_down", ":material/thumb_down:", "The answer was wrong or should have been escalated"),
            ):
                if column.button(FEEDBACK_WORDS[helpful].capitalize(), icon=icon, key=f"{key}_{item['interaction_id']}", help=tip):
                    try:
                        record_feedback(item["interaction_id"], helpful)
                    except LookupError as exc:
                        say("warning", str(exc))
                    else:
                        st.session_state.setdefault("cs_feedback", {})[item["interaction_id"]] = FEEDBACK_WORDS[helpful]
            given = st.session_state.get("cs_feedback", {}).get(item["interaction_id"])
            if given:
                st.caption(f"Feedback stored: {given}")


def follow_team_threshold(key: str, kb: str, team) -> None:  # noqa: ANN001 - TeamThreshold | None
    """When the knowledge base (or its team threshold) changes, the custom-threshold controls start from it again:
    at the team threshold, or back at the settings' defaults for a base without one."""
    followed, before = (kb, team.value if team else None), st.session_state.get(f"{key}_follows")
    if team and before != followed:
        st.session_state[f"{key}_custom"], st.session_state[f"{key}_threshold"] = True, team.value
    elif before is not None and before != followed:  # a base without one: the settings' defaults again
        st.session_state.pop(f"{key}_custom", None)
        st.session_state.pop(f"{key}_threshold", None)
    st.session_state[f"{key}_follows"] = followed


def operating_point_choice(key: str, kb: str, on_past_questions: bool = False, answered_file=None) -> Policy:  # noqa: ANN001
    """The "Answer more <-> Be more careful" choice with its measured effect, and a custom threshold for experts; it
    starts at the knowledge base's team threshold when the team set one. ``answered_file``: the past questions answered
    on screen (a BatchReport): they measure the custom threshold, and the threshold they suggest is made the team's
    below them (measured), not here (by hand)."""
    suggested = view.suggestion(answered_file)[0] if answered_file is not None else None
    start, custom_on, problem = view.default_choice()
    if problem:
        say("error", problem)
    team = team_threshold(kb)
    follow_team_threshold(key, kb, team)
    picked = st.session_state.pop(f"{key}_use_threshold", None)  # "Use this threshold" on the Past questions tab
    if picked is not None:
        st.session_state[f"{key}_custom"], st.session_state[f"{key}_threshold"] = True, picked
    custom_on = custom_on or team is not None or picked is not None
    point = st.select_slider(view.CHOICE_LABEL, options=list(view.OPERATING_POINTS), value=start,
                             format_func=view.operating_point_label, key=f"{key}_point", persist_state=KEPT)  # fmt: skip
    with st.expander("Custom threshold", expanded=custom_on):
        custom = st.checkbox("Use a custom confidence threshold instead", key=f"{key}_custom", persist_state=KEPT,
                             value=custom_on and f"{key}_custom" not in st.session_state)  # fmt: skip
        start_at = team.value if team else get_settings().support_confidence_threshold  # first shown, or the base changed
        threshold = st.slider("Confidence threshold (below it Beacon escalates to an agent)", 0.0, 1.0,
                              None if f"{key}_threshold" in st.session_state else start_at, 0.01, key=f"{key}_threshold",
                              persist_state=KEPT)
        settable = custom and may("analyst") and not view.same_threshold(threshold, team.value if team else None)
        if settable and view.same_threshold(threshold, suggested):
            st.caption(f"{threshold:.2f} is the threshold your past questions suggest: make it the team threshold below, "
                       "where it is recorded as measured on them.")  # fmt: skip
        elif settable:
            st.button(f"Make {threshold:.2f} the team threshold of {kb}", key=f"{key}_set_team", on_click=make_team_threshold,
                      args=(kb, threshold, None, "cs_team_message"),
                      help="Everyone's questions to this knowledge base are answered at it unless they choose otherwise. "
                           "Set by hand, its effect is not measured: the Past questions tab measures a threshold on your "
                           "team's own questions and suggests one")  # fmt: skip
    if team:
        t1, t2 = st.columns([4, 1], vertical_alignment="center")
        t1.caption(plain(view.team_threshold_text(kb, team)))
        if may("analyst") and t2.button("Clear it", key=f"{key}_clear_team", help="Questions to this knowledge base go back to "
                                        "the settings' operating point for everyone"):  # fmt: skip
            st.session_state["cs_team_message"] = set_team_threshold(kb, None)
            st.rerun()
    say_pending("cs_team_message")
    st.caption(view.effect_text(point, threshold if custom else None, on_past_questions, team, answered_file))
    if not custom:  # the caveat is about the point's Banking77 numbers, which a custom threshold does not use
        st.caption(view.caveat_text(point, on_past_questions))
    return view.chosen_policy(point, threshold if custom else None, team.value if team else None)


def ask_tab() -> None:
    kb = kb_picker("cs_ask_kb")
    if kb is None:  # nothing to answer from: no slider or question box to try in vain
        return
    policy = operating_point_choice("cs", kb)
    hint_slot = st.empty()  # filled after this run's question is counted
    history = st.session_state.setdefault("cs_history", [])
    question = st.chat_input("Ask a customer question", key="cs_question", max_chars=MAX_QUESTION_CHARS)
    if question:
        try:
            history.append(ask(kb, question, policy=policy).as_dict() | {"policy": policy.describe()})
        except (ValueError, LookupError) as exc:
            say("error", str(exc))
    if hint := view.threshold_hint(kb, may("analyst")):
        with hint_slot.container():
            st.info(plain(hint), icon=":material/tune:")
            if may("analyst"):
                st.button("Open Past questions", key="cs_hint_past", on_click=open_tab, args=("Past questions",))
    for item in reversed(history[-10:]):
        show_answer(item)


def kb_tab() -> None:
    if may("analyst"):
        import_section()
    else:
        st.info("You are signed in as a viewer: you can ask questions and look at the knowledge bases. Importing an FAQ "
                "or rolling back needs the analyst role; ask an admin to change your role.")
    kbs_section()


def import_section() -> None:
    st.subheader("Import an FAQ")
    name = st.text_input("Knowledge base name", placeholder="e.g. Cards", key="cs_kb_name", persist_state=KEPT)
    upload = tab_upload("FAQ CSV or Excel file (question, answer, optional category)", type=["csv", "xlsx"], key="cs_faq_upload")
    if upload is None:
        example_download("faq")
    else:
        upload = pick_sheet(upload, "cs_faq_upload")
        try:
            frame = read_faq_file(upload.getvalue(), upload.name)
        except FaqFileError as exc:
            say("error", str(exc))
            frame = None
        if frame is not None:
            table(frame.head(5), hide_index=True, width="stretch", key="cs_faq_preview")
            columns = list(frame.columns)
            q_guess, a_guess, c_guess = suggest_faq_columns(frame)
            c1, c2, c3 = st.columns(3)
            q_col = c1.selectbox("Question column", columns, index=columns.index(q_guess) if q_guess else 0,
                                 key="cs_q_col", persist_state=KEPT)
            a_col = c2.selectbox("Answer column", columns, index=columns.index(a_guess) if a_guess else 0,
                                 key="cs_a_col", persist_state=KEPT)
            options = [NONE, *columns]
            cat = c3.selectbox("Category column (optional)", options, index=options.index(c_guess) if c_guess else 0,
                               key="cs_c_col", persist_state=KEPT)
            if st.button("Import", type="primary", key="cs_import"):
                try:
                    report = import_faq(name, frame, q_col, a_col, None if cat == NONE else cat, file_name=upload.name)
                except (FaqFileError, ImportConflict, ValueError) as exc:
                    say("error", str(exc))
                else:
                    st.session_state["cs_import_report"] = report
                    st.rerun()  # the knowledge base pickers above list the new knowledge base
    report = st.session_state.get("cs_import_report")
    if report is not None:
        say("success" if report.version else "info", report.summary())
        m = st.columns(5)
        for col, (label, value) in zip(m, view.import_counts(report)):
            col.metric(label, value, border=True)
        issues = report.issues_frame()
        if len(issues):
            st.markdown("**Rows not imported** (line numbers count the header as line 1)")
            table(issues, hide_index=True, width="stretch", key="cs_import_issues", column_config=COLUMN_LABELS)
            issues_download(issues, report.kb, report.version, "cs_import_issues_download")


def issues_download(issues: pd.DataFrame, kb: str, version: int | None, key: str) -> None:
    name = f"{kb}_version_{version}_rows_not_imported.csv" if version else f"{kb}_rows_not_imported.csv"
    st.download_button("Download the rows not imported (CSV)", safe_csv(issues), name, "text/csv", key=key)


def not_imported_section(kb: str, versions: pd.DataFrame) -> None:
    """The rows each import left out, kept with its version: the list to work through after leaving the page."""
    with_issues = view.versions_with_import_issues(versions)
    if not with_issues:
        return
    with st.expander("Rows not imported (rejected or flagged for review)"):
        keep_choice("cs_issues_version", with_issues)
        version = st.selectbox("Import that made version", with_issues, key="cs_issues_version")
        issues = import_issues(kb, version)
        st.caption("Line numbers count the header as line 1. Fix the rows in the file and import it again: "
                   "rows already in the knowledge base stay unchanged.")
        table(issues, hide_index=True, width="stretch", key="cs_issues_table", column_config=COLUMN_LABELS)
        issues_download(issues, kb, version, "cs_issues_download")


def kbs_section() -> None:
    kbs = list_kbs()
    say_pending("cs_kb_result")  # what the last rollback or deletion did
    if not kbs:
        return
    st.subheader("Knowledge bases")
    table(view.kb_rows(kbs), hide_index=True, width="stretch", key="cs_kbs", column_config=COLUMN_LABELS)
    keep_choice("cs_kb_pick", [k.name for k in kbs])  # a base deleted since
    pick = st.selectbox("Show knowledge base", [k.name for k in kbs], key="cs_kb_pick", persist_state=KEPT)
    versions = kb_versions(pick)
    table(versions, hide_index=True, width="stretch", key="cs_versions", column_config=COLUMN_LABELS)
    older = view.rollback_choices(versions)
    if older and may("analyst"):
        target = st.selectbox("Roll back to version", older, key="cs_rollback_version")
        if st.button("Roll back", key="cs_rollback"):
            new = rollback_kb(pick, target)
            st.session_state["cs_kb_result"] = ("success", f"{pick}: version {target}'s entries are active again as version {new}.")
            st.rerun()
    with st.expander("Entries of the active version"):
        table(kb_entries(pick), hide_index=True, width="stretch", key="cs_entries", column_config=COLUMN_LABELS)
    not_imported_section(pick, versions)
    if may("admin"):
        delete_kb_section(next(k for k in kbs if k.name == pick))


def delete_kb_section(kb) -> None:  # noqa: ANN001 - KBInfo
    """Admins delete a knowledge base (a mistaken or retired one), after a confirmation naming what goes."""
    if st.button("Delete this knowledge base…", key="cs_delete_kb"):
        st.session_state["cs_kb_delete"] = kb.name
    if st.session_state.get("cs_kb_delete") != kb.name or not confirm_deletion("cs_kb_delete", view.kb_delete_question(kb)):
        return
    try:
        gone = delete_kb(kb.name)
    except (LookupError, PermissionError) as exc:
        st.session_state["cs_kb_result"] = ("error", str(exc))
    else:
        st.session_state["cs_kb_result"] = ("success", view.kb_deleted_text(gone))
        if getattr(st.session_state.get("cs_import_report"), "kb", None) == kb.name:
            st.session_state.pop("cs_import_report")  # its import report is about a knowledge base that is gone
    st.rerun()


def results_made_with(key: str, made_with: tuple, what: str, again: str) -> tuple | None:
    """The results kept under ``key`` (stored as ``(made_with, *results)``) when they were made with ``made_with``:
    the upload's file id, then the choices. Another file's are not shown; for the same file with other choices the
    page says to run ``again``."""
    made_for, *results = st.session_state.get(key) or (None,)
    if made_for is None or made_for[0] != made_with[0]:
        return None
    if made_for != made_with:
        st.info(view.CHOICES_CHANGED.format(what=what, again=again))
        return None
    return tuple(results)


def tickets_tab() -> None:
    upload = tab_upload("Ticket export, CSV or Excel (message text, timestamp; optional channel, agent, resolved)",
                        type=["csv", "xlsx"], key="cs_tickets_upload")  # fmt: skip
    if upload is None:
        st.info("Upload an export of customer messages to see intents, sentiment over time, the deflection rate and unanswered questions.")
        example_download("tickets")
        return
    upload = pick_sheet(upload, "cs_tickets_upload")
    try:
        frame = read_faq_file(upload.getvalue(), upload.name)
    except FaqFileError as exc:
        say("error", str(exc))
        return
    columns = list(frame.columns)
    options = [NONE, *columns]
    guesses = view.guess_ticket_columns(columns, suggest_text_column(frame))

    def guess(role: str) -> int:
        return options.index(guesses[role]) if guesses[role] else 0

    c1, c2 = st.columns(2)
    text_col = c1.selectbox("Text column", columns, index=max(0, guess("text") - 1), key="cs_t_text", persist_state=KEPT)
    time_col = c2.selectbox("Timestamp column", options, index=guess("timestamp"), key="cs_t_time", persist_state=KEPT)
    d1, d2, d3 = st.columns(3)
    channel = d1.selectbox("Channel column", options, index=guess("channel"), key="cs_t_channel", persist_state=KEPT)
    agent = d2.selectbox("Agent column", options, index=guess("agent"), key="cs_t_agent", persist_state=KEPT)
    resolved = d3.selectbox("Resolved column", options, index=guess("resolved"), key="cs_t_resolved", persist_state=KEPT)
    kb = kb_picker("cs_t_kb")
    analysed_for = (upload.file_id, kb, text_col, time_col, channel, agent, resolved)  # what the results shown belong to
    if st.button("Analyse tickets", type="primary", key="cs_analyse"):
        opt = {c: (None if v == NONE else v) for c, v in (("time_col", time_col), ("channel_col", channel), ("agent_col", agent),
                                                          ("resolved_col", resolved))}  # fmt: skip
        bar, words = st.progress(0.0, text="Scoring tickets…"), view.progress_text("Scoring tickets")
        try:
            st.session_state["cs_ticket_report"] = analysed_for, analyse_tickets(
                frame, text_col, kb_name=kb, progress=lambda done, total: bar.progress(done / total, words(done, total)),
                **opt)  # fmt: skip
        except (TicketFileError, ValueError, LookupError) as exc:
            say("error", str(exc))
            return
        finally:
            bar.empty()
    kept = results_made_with("cs_ticket_report", analysed_for, what="tickets", again="Analyse tickets")
    if kept is None:
        return
    [report] = kept
    ticket_summary(report)
    ticket_charts(report)
    ticket_clusters(report, kb)
    st.download_button("Download all scored tickets (CSV)", report.scored_csv(), "scored_tickets.csv", "text/csv",
                       key="cs_dl_tickets")  # fmt: skip


def ticket_summary(report: TicketReport) -> None:
    """How many tickets, how many the knowledge base would answer, and the rows that could not be read."""
    m1, m2, m3 = st.columns(3)
    m1.metric("Tickets analysed", f"{len(report.scored):,}", border=True)
    m2.metric("Deflection rate", view.percent(report.deflection_rate), help="Share the knowledge base would answer confidently",
              border=True)  # fmt: skip
    m3.metric("Unanswered clusters", len(report.clusters), border=True)
    st.caption(view.tickets_policy_text(report))
    shown, more = view.problem_lines(report.problems)
    for line in shown:
        say("warning", line)
    if more:
        st.caption(f"… and {more} more rows with problems")


def ticket_charts(report: TicketReport) -> None:
    """What customers ask about most (and, with a knowledge base, what it answers), and their sentiment over time."""
    top = view.top_intents(report.intent_distribution())
    top = top.assign(intent=chart_labels(top["intent"]))
    size = {"orientation": "h", "height": max(260, 140 + 24 * len(top))}  # as the Log tab: room for the bars of two intents
    if report.operating_point:  # answered with a knowledge base: each intent's answered and escalated tickets
        bars = px.bar(view.intent_outcomes(top), x="tickets", y="intent", color="outcome",
                      color_discrete_map=view.TICKET_OUTCOME_COLORS, category_orders={"outcome": list(view.TICKET_OUTCOME_COLORS)},
                      labels={"outcome": "Outcome", "tickets": "Tickets"},
                      title=f"What customers ask about most (top {len(top)} intents) and what the FAQ answers", **size)
    else:
        bars = px.bar(top, x="tickets", y="intent", labels={"tickets": "Tickets"},
                      title=f"What customers ask about most (top {len(top)} intents)", **size)
    bars.update_yaxes(type="category", autorange="reversed", title=None)  # the most asked on top
    bars.update_xaxes(dtick=count_tick(top["tickets"].max()))
    st.plotly_chart(bars, width="stretch", key="cs_intents")
    st.caption(view.intents_caption())
    trend = report.sentiment_over_time()
    if len(trend):
        unit = PERIOD_NAMES[report.trend_period()]
        chart = px.bar(trend, x="period", y="tickets", color="sentiment", color_discrete_map=SENTIMENT_COLORS,
                       hover_data={"share": ":.0%", "partial": True},
                       labels={"partial": f"partial {unit}", "period": unit.capitalize(), "tickets": "Tickets", "sentiment": "Sentiment"},
                       title=f"Customer sentiment over time (tickets per {unit})",
                       category_orders={"sentiment": list(SENTIMENT_COLORS)})  # fmt: skip
        draw_partial_periods_lighter(chart, trend.loc[trend["partial"], "period"])
        chart.update_yaxes(dtick=count_tick(trend.groupby("period")["tickets"].sum().max()))
        st.plotly_chart(chart, width="stretch", key="cs_sentiment_trend")
        if caption := view.partial_periods_caption(report, trend, unit):
            st.caption(caption)
        if far := view.far_tickets_caption(report):
            st.caption(far)


def ticket_clusters(report: TicketReport, kb: str | None) -> None:
    """The groups of tickets the knowledge base ``kb`` (the one analysed with) would escalate, and the form to answer them."""
    st.subheader("Questions the knowledge base could not answer")
    st.caption(view.clusters_caption(report))
    if len(report.clusters):
        clusters = view.with_answer_now(report.clusters, kb) if kb else report.clusters  # kb: the one analysed with
        table(clusters, hide_index=True, width="stretch", key="cs_clusters",
              column_config=COLUMN_LABELS | {"now": ASKED_NOW, "still_open": None})  # fmt: skip
        st.download_button("Download the unanswered clusters (CSV)", view.unanswered_groups_csv(clusters),
                           "unanswered_clusters.csv", "text/csv", key="cs_dl_clusters")  # fmt: skip
        if may("analyst") and kb:  # no knowledge base yet: nothing to add to
            missing_answer_form(clusters, kb, prefix="cs_tk")


def past_questions_tab() -> None:
    st.caption("Test the assistant on past questions before going live: each row is answered or escalated as the Ask box "
               "would (nothing is logged), and the file comes back with the answers added.")
    upload = tab_upload("Past questions (CSV or Excel; optionally with the expected answer)", type=["csv", "xlsx"],
                        key="cs_batch_upload")  # fmt: skip
    if upload is None:
        example_download("past_questions")
    kb = kb_picker("cs_batch_kb")
    if upload is None or kb is None:
        return
    upload = pick_sheet(upload, "cs_batch_upload")
    staged = st.session_state.get("cs_b_staged")
    try:
        source, check = view.past_questions_upload(upload.name, upload.getvalue(),
                                                   staged[1] if staged and staged[0] == upload.file_id else None)  # fmt: skip
    except InputFileError as exc:
        say("error", str(exc))
        return
    st.session_state["cs_b_staged"] = (upload.file_id, source)
    columns = check.spec.columns
    c1, c2 = st.columns(2)
    text_col = c1.selectbox("Question column", columns, index=view.guess_question_column(columns, check.suggested_column),
                           key="cs_b_text", persist_state=KEPT)
    expected_options = [NONE, *columns]
    guess = view.guess_expected_column(columns, text_col)
    expected = c2.selectbox("Expected answer column (optional)", expected_options,
                            index=expected_options.index(guess) if guess else 0, key="cs_b_expected", persist_state=KEPT,
                            help="The FAQ answer each question should get; leave a cell empty where the FAQ has no answer "
                                 "(answering such a question counts as wrong)")  # fmt: skip
    answered_for = (upload.file_id, kb, text_col, expected)  # the answers shown belong to the file and these choices
    shown_for, shown, _ = st.session_state.get("cs_batch", (None, None, None))
    policy = operating_point_choice("cs_b", kb, on_past_questions=True, answered_file=shown if shown_for == answered_for else None)
    if st.button("Answer the file", type="primary", key="cs_b_run"):
        bar, words = st.progress(0.0, text="Going through the questions…"), view.progress_text("Going through the questions")
        total = max(1, count_records(check.spec))
        output = source.parent / "answers.csv"
        try:
            report = answer_file(kb, source, text_col, output, None if expected == NONE else expected, policy,
                                 progress=lambda done: bar.progress(min(1.0, done / total), words(done, total)),
                                 name=upload.name)  # fmt: skip
        except (InputFileError, LookupError) as exc:
            say("error", str(exc))
            return
        finally:
            bar.empty()
        st.session_state["cs_batch"] = (answered_for, report, output.read_bytes())
        st.rerun()  # the lines above the button (the threshold's effect, the team threshold buttons) now read the answers
    kept = results_made_with("cs_batch", answered_for, what="questions", again="Answer the file")
    if kept is not None:
        past_answers(*kept)


def past_answers(report, data: bytes) -> None:  # noqa: ANN001 - BatchReport
    """The answered file: its counts, problems, the answers as a table and a download, and what to learn from it."""
    st.caption(view.batch_policy_text(report))
    for col, (label, value) in zip(st.columns(len(view.batch_counts(report))), view.batch_counts(report)):
        col.metric(label, value, border=True)
    for problem in report.unreadable[: view.PROBLEMS_SHOWN]:
        say("warning", problem)
    expected_problem = view.expected_answers_problem(report, report.kb)
    if expected_problem:
        say("warning", expected_problem)
    table(pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False), hide_index=True, width="stretch", key="cs_b_table")
    st.download_button("Download the answers (CSV)", data, "answers.csv", "text/csv", key="cs_b_download")
    thresholds_on_your_questions(report)
    if report.checked and may("analyst"):
        teach_missed_wordings(report.kb, report)  # the knowledge base the file was answered from, whatever is picked now


def teach_missed_wordings(kb: str, report) -> None:  # noqa: ANN001 - BatchReport
    """Offer the questions the assistant missed (their answer is in the FAQ) as new FAQ wordings of those answers."""
    st.subheader("Teach the assistant what it missed")
    say_pending("cs_b_taught")
    try:
        wordings = missed_wordings(kb, report)
    except LookupError as exc:  # the knowledge base was deleted meanwhile
        say("warning", str(exc))
        return
    if not wordings:
        st.caption(view.nothing_to_teach_text(report))
        return
    st.caption(view.missed_wordings_caption(len(wordings), kb))
    table(pd.DataFrame(wordings), hide_index=True, key="cs_b_missed",
          column_config={"question": "Past question", "answer": "FAQ answer it should get", "category": "Category"})  # fmt: skip
    if st.button(f"Add {count_of(len(wordings), 'wording')} to {kb}", key="cs_b_teach"):
        try:
            imported = add_wordings(kb, wordings)
        except (FaqFileError, ImportConflict, ValueError, LookupError) as exc:
            st.session_state["cs_b_taught"] = ("error", str(exc))
        else:
            st.session_state["cs_b_taught"] = ("success" if imported.version else "warning", view.taught_text(imported))
        st.rerun()


def use_threshold(threshold: float) -> None:
    """Button callback: the Ask box and this tab use ``threshold`` as their custom threshold (this session)."""
    st.session_state["cs_use_threshold"] = st.session_state["cs_b_use_threshold"] = threshold
    st.session_state["cs_b_report"] = f"The Ask box and this tab now use the custom threshold {threshold:.2f}."


def make_team_threshold(kb: str, threshold: float, checked: int | None = None, report_key: str = "cs_b_report") -> None:
    """Button callback: ``threshold`` becomes the knowledge base's team threshold (stored, for everyone), picked on
    ``checked`` past questions or (None) set by hand; what was done goes to ``report_key``, a problem to an error."""
    try:
        st.session_state[report_key] = set_team_threshold(kb, threshold, checked)
    except (ValueError, LookupError, PermissionError) as exc:  # e.g. the base was deleted meanwhile
        st.session_state[report_key] = ("error", str(exc))


def thresholds_on_your_questions(report) -> None:  # noqa: ANN001 - BatchReport
    """What each operating point, and every threshold, would have done on the file's questions with an expected answer."""
    st.subheader("What each threshold would do on your questions")
    if not view.checked_questions(report):
        st.caption("Pick an expected answer column (the FAQ answer each question should get) to see how many questions "
                   "each threshold answers right, answers wrong and escalates.")  # fmt: skip
        return
    table(view.threshold_table(report), hide_index=True, key="cs_b_thresholds",
          column_config={"Threshold": st.column_config.NumberColumn(format="%.2f")})  # fmt: skip
    figure = px.line(view.threshold_sweep(report), x="threshold", y="share", color="outcome", height=320,
                     labels={"threshold": "Confidence threshold", "share": "Share of your past questions", "outcome": ""},
                     color_discrete_map=view.OUTCOME_COLORS)  # fmt: skip
    figure.update_yaxes(tickformat=".0%", range=[0, 1])
    for point in view.OPERATING_POINTS:  # labels written upwards: the three points sit close together
        figure.add_vline(x=view.point_threshold(point), line_dash="dot", line_color="grey", annotation_textangle=-90,
                         annotation_text=view.operating_point_label(point), annotation_position="bottom left")  # fmt: skip
    st.plotly_chart(figure, key="cs_b_sweep")
    threshold, sentence = view.suggestion(report)
    st.caption(sentence)
    if threshold is not None:
        b1, b2 = st.columns(2)
        b1.button(f"Use threshold {threshold:.2f}", key="cs_b_use", on_click=use_threshold, args=(threshold,), width="stretch",
                  help="Sets it as the custom threshold of the Ask box and of this tab, for this session")  # fmt: skip
        team = team_threshold(report.kb)
        checked = view.checked_questions(report)
        if team is not None and view.same_threshold(threshold, team.value):
            if team.by_hand and may("analyst"):  # the same value, but now backed by the team's own questions
                b2.button(f"Record {threshold:.2f} as measured on these {checked} questions", key="cs_b_team_measured",
                          on_click=make_team_threshold, args=(report.kb, threshold, checked), width="stretch",
                          help=f"{threshold:.2f} is already the team threshold of {report.kb}, set by hand: this keeps it "
                               "and records that your past questions back it")  # fmt: skip
            else:
                b2.caption(f"{threshold:.2f} is already the team threshold of {report.kb}.")
        elif may("analyst"):
            b2.button(f"Make {threshold:.2f} the team threshold of {report.kb}", key="cs_b_team", on_click=make_team_threshold,
                      args=(report.kb, threshold, checked), width="stretch",
                      help="Everyone's questions to this knowledge base are answered at it unless they choose otherwise: "
                           "the Ask box starts at it, and so do batch answering and the command line")  # fmt: skip
    say_pending("cs_b_report")


MISSING_ANSWER_FORMS = {"cs_log": "the Log tab", "cs_tk": "the Tickets tab"}  # key prefix: where an entry was written
GROUPED = {"cs_log": "question", "cs_tk": "ticket"}  # what each tab's groups hold


def add_missing_answer(prefix: str, question_key: str, asked: list[str]) -> None:
    """"Add to the knowledge base": the entry written becomes a new version of the base picked, and the group's questions
    ``asked`` are asked again to show what they get now; the fields empty only once it is added (a refusal keeps them)."""
    state = st.session_state
    category = state.get(f"{prefix}_category", "")
    entry = pd.DataFrame({"question": [state[question_key]], "answer": [state.get(f"{prefix}_answer_text", "")],
                          "category": [category]})  # fmt: skip
    try:
        report = import_faq(state[f"{prefix}_target"], entry, "question", "answer", "category" if category.strip() else None,
                            file_name=MISSING_ANSWER_FORMS[prefix])  # fmt: skip
    except (FaqFileError, ImportConflict, ValueError) as exc:
        state[f"{prefix}_added"] = ("error", str(exc))
        return
    state[f"{prefix}_added"] = ("success" if report.version else "warning", view.added_entry_text(report))
    if report.version:
        state[f"{prefix}_asked_again"] = view.asked_again_text(state[f"{prefix}_target"], asked, state[question_key])
        state[f"{prefix}_answer_text"] = state[f"{prefix}_category"] = ""
        state[f"{prefix}_has_added"] = True
        suggest_again(question_key)  # the group's next suggestion: a question of it still escalated, if any


def missing_answer_form(clusters: pd.DataFrame, kb: str | None, prefix: str = "cs_log") -> None:
    """Write the FAQ entry a group of escalated questions needs, straight into a knowledge base (a new version). Not a
    form, and its fields kept while hidden: an answer half written survives a look at the Knowledge bases tab. Its
    widget keys start with ``prefix`` (the Log and Tickets tabs each have one)."""
    state = st.session_state  # open while an answer is written, and after one is added (a closing one loses the next group)
    with st.expander("Write the missing answer", expanded=bool(state.get(f"{prefix}_answer_text") or state.get(f"{prefix}_has_added"))):
        groups, start = clusters["cluster"].tolist(), view.first_open_group(clusters)
        keep_choice(f"{prefix}_group", groups, start)  # groups change as questions come in
        follow_suggestion(f"{prefix}_group", start if start in groups else groups[0])  # another base picked, a group answered
        group = st.selectbox("Group", groups, format_func=lambda n: view.group_label(clusters, n, GROUPED[prefix]), key=f"{prefix}_group",
                             persist_state=KEPT)  # fmt: skip
        question_key = f"{prefix}_question_{group}"
        follow_suggestion(question_key, view.group_question(clusters, group))
        st.text_input("Question", view.group_question(clusters, group), key=question_key, persist_state=KEPT)
        st.text_area("Answer", key=f"{prefix}_answer_text", persist_state=KEPT)
        c1, c2 = st.columns(2)
        c1.text_input("Category (optional)", key=f"{prefix}_category", persist_state=KEPT)
        names = [k.name for k in list_kbs()]
        keep_choice(f"{prefix}_target", names, kb)
        target = c2.selectbox("Add to knowledge base", names, key=f"{prefix}_target", persist_state=KEPT)
        answered = answer_of(target, st.session_state[question_key]) if target else None
        if answered is not None:  # an import replaces the answer of the same question: said before, not after
            st.warning(plain(f"{target} already answers this question ({shortened(answered)!r}). Adding replaces that "
                             "answer; to add a new entry, word the question as these customers do."))  # fmt: skip
        st.button("Replace the answer in the knowledge base" if answered is not None else "Add to the knowledge base",
                  type="primary", key=f"{prefix}_add", on_click=add_missing_answer,
                  args=(prefix, question_key, view.questions_to_ask_again(clusters, group)))  # fmt: skip
    say_pending(f"{prefix}_added")  # outside: the expander may be closed
    say_pending(f"{prefix}_asked_again", "info")


def log_tab() -> None:
    c1, c2 = st.columns(2)
    kbs = [ALL_KBS, *(k.name for k in list_kbs())]
    kb = c1.selectbox("Knowledge base", kbs, key="cs_log_kb", persist_state=KEPT)
    period = c2.selectbox("Period", list(PERIODS), index=1, key="cs_log_period", persist_state=KEPT)
    if kept := view.question_retention_note():
        st.caption(kept)
    insights = question_insights(None if kb == ALL_KBS else kb, PERIODS[period])
    if not insights.asked:
        st.info(f"No questions asked in this period ({period.lower()}). Questions asked on the **Ask** tab or with "
                '`python -m core answer --kb NAME "question"` appear here.')  # fmt: skip
        return
    if insights.capped:
        st.caption(f"The newest {MAX_QUESTIONS:,} questions of the period are analysed.")
    for col, (label, value) in zip(st.columns(4), view.log_counts(insights)):
        col.metric(label, value, border=True)
    log_charts(insights)
    unanswered_groups(insights, kb)
    log_answers(insights)


def log_charts(insights) -> None:  # noqa: ANN001 - QuestionInsights
    """What customers ask most (top intents by decision) and questions per day."""
    top = view.log_intents(insights)
    bars = px.bar(top.assign(intent=chart_labels(top["intent"])), x="questions", y="intent", color="decision",
                  orientation="h", color_discrete_map=view.DECISION_COLORS, height=max(260, 140 + 24 * top["intent"].nunique()),
                  labels={"decision": "Decision", "questions": "Questions"},
                  title="What customers ask about most (top intents)")  # fmt: skip
    bars.update_yaxes(type="category", categoryorder="array", categoryarray=list(dict.fromkeys(top["intent"]))[::-1], title=None)
    bars.update_xaxes(dtick=count_tick(top.groupby("intent")["questions"].sum().max()))
    st.plotly_chart(bars, width="stretch", key="cs_log_intents")
    st.caption(view.intents_caption())
    daily = insights.per_day()
    chart = px.bar(daily, x="day", y="questions", color="decision", color_discrete_map=view.DECISION_COLORS,
                   labels={"decision": "Decision", "questions": "Questions"}, title="Questions per day (UTC)")  # fmt: skip
    chart.update_xaxes(title=None)
    chart.update_yaxes(dtick=count_tick(daily.groupby("day")["questions"].sum().max()))
    st.plotly_chart(chart, width="stretch", key="cs_log_daily")


def unanswered_groups(insights, kb: str) -> None:  # noqa: ANN001 - QuestionInsights
    """The period's escalated questions grouped by meaning, a download and (analysts) the missing-answer form."""
    st.subheader("What goes unanswered")
    st.caption("Escalated questions grouped by meaning, largest group first: the FAQ entries worth writing next.")
    with st.spinner("Grouping the escalated questions…"):
        clusters = insights.unanswered_clusters()
    if clusters.empty:
        st.caption("No question was escalated in this period.")
    else:
        if kb != ALL_KBS:
            clusters = view.with_answer_now(clusters, kb)
        table(clusters, hide_index=True, width="stretch", key="cs_log_clusters",
              column_config=COLUMN_LABELS | {"size": "Questions", "now": ASKED_NOW, "still_open": None})  # fmt: skip
        st.download_button("Download the unanswered groups (CSV)", view.unanswered_groups_csv(clusters), "unanswered_questions.csv",
                           "text/csv", key="cs_log_dl_clusters")  # fmt: skip
        if may("analyst"):
            missing_answer_form(clusters, None if kb == ALL_KBS else kb)


def log_answers(insights) -> None:  # noqa: ANN001 - QuestionInsights
    """Answers marked not helpful, then the period's latest questions."""
    wrong = insights.not_helpful_answers()
    if len(wrong):
        st.subheader("Answers marked not helpful")
        st.caption("Check these FAQ entries: a user said the answer was wrong or should have been escalated.")
        table(wrong, hide_index=True, width="stretch", key="cs_log_not_helpful", column_config=COLUMN_LABELS)
    st.subheader("Questions asked")
    st.caption("The latest questions of the period (personal data masked), with the decision and feedback.")
    table(view.readable_log(insights.questions.head(LOG_ROWS)), hide_index=True, width="stretch", key="cs_log",
          column_config=COLUMN_LABELS)  # fmt: skip


st.title("Customer service")
ask_t, kb_t, tickets_t, past_t, log_t = page_tabs(["Ask", "Knowledge bases", "Tickets", "Past questions", "Log"], old_param="cs_view")
for tab, draw in ((ask_t, ask_tab), (kb_t, kb_tab), (tickets_t, tickets_tab), (past_t, past_questions_tab), (log_t, log_tab)):
    if tab.open:  # only the open tab runs: the Log tab's grouping must not slow down every question asked
        with tab:
            draw()
