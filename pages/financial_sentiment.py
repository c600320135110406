"""Financial sentiment: items, trends and feeds. UI only: every decision and query lives in core."""

import plotly.express as px
import streamlit as st

from core.feeds import FeedError, add_feed, changed_settings, delete_feed, get_feed, list_feeds, update_feed
from core.feeds.opml import export_opml, import_opml, opml_upload_limit_mb
from core.health import worker_health
from core.sentiment.corrections import CORRECTABLE, correct_label, label_choices
from core.views import financial_sentiment as dash
from core.wording import count_of
from ui import (
    ARTICLE_COLUMNS,
    KEPT,
    confirm_deletion,
    count_column,
    count_tick,
    draw_hidden,
    draw_partial_periods_lighter,
    draw_thin_points_apart,
    drill_from_count_point,
    drill_from_trend_point,
    holds_upload,
    keep_choice,
    may,
    open_tab,
    page_tabs,
    plain,
    say,
    say_pending,
    tab_upload,
    table,
    use_app_navigation,
)

use_app_navigation()

ITEM_LIMIT = 500


def use_feed_link(feed_id: int, name: str, url: str, links: tuple[tuple[str, str], ...]) -> None:
    """A feed whose URL is a web page takes the address of a feed that page names (its button under the failure); when
    that is refused (another feed has the address) the buttons stay for another choice."""
    try:
        update_feed(feed_id, url=url)
    except (ValueError, FeedError, PermissionError) as exc:
        st.session_state["feed_report"] = dash.ActionReport("error", dash.error_text(exc), problem_feeds=(feed_id,), feed_links=links)
        return
    st.session_state["feed_pick"] = feed_id
    st.session_state["feed_report"] = dash.ActionReport("success", dash.feed_saved_text(name, {"url": url}) + " Fetch now fetches it.")


def feed_link_buttons(report: dash.ActionReport | None, by_id: dict) -> None:
    """Under a failure on a web page that names its feeds: one button per feed to use it (admins)."""
    feed = by_id.get(report.problem_feeds[0]) if report is not None and report.feed_links and report.problem_feeds else None
    if feed is None or not may("admin"):
        return
    for number, (url, title) in enumerate(report.feed_links):
        st.button(f"Use {title or url} ({url})" if title else f"Use {url}", key=f"feed_link_{number}", icon=":material/rss_feed:",
                  on_click=use_feed_link, args=(feed.id, feed.name, url, report.feed_links), help="Make this the feed's URL")  # fmt: skip


def submit_feed() -> None:
    """Add the feed from the form; on success empty the form and preselect the feed for Fetch now."""
    state = st.session_state
    try:
        new_id = add_feed(state.feed_name, state.feed_url, state.feed_tags, int(state.feed_interval))
    except (ValueError, FeedError, PermissionError) as exc:  # PermissionError: the role may not add feeds
        state.feed_form_result = ("error", dash.error_text(exc))  # the form keeps its values to fix
        return
    name = " ".join(state.feed_name.split())
    state.feed_form_result = ("success", f"Feed {name!r} added. The worker fetches it on schedule; Fetch now fetches it at once.")
    state.feed_pick = new_id
    state.feed_name = state.feed_url = state.feed_tags = ""


def clicked_chart(chart: str) -> None:
    """A chart click replaces any pick from the bucket list."""
    st.session_state["t_clicked"] = chart
    st.session_state["t_pick"] = None


def show_items(frame, key: str, pickable: bool = False) -> list[int]:  # noqa: ANN001 - DataFrame of items
    """The items table; ``pickable``: a row can be picked (its left edge), and the picked rows' positions are returned."""
    picking = {"on_select": "rerun", "selection_mode": "single-row"} if pickable else {}
    shown = table(dash.items_table(frame), hide_index=True, width="stretch", column_config=ARTICLE_COLUMNS, key=key, **picking)
    return list(shown.selection.rows) if pickable else []


def correction_form(items, picked_rows: list[int]) -> None:  # noqa: ANN001 - DataFrame of listed items
    """Reviewers fix a wrong sentiment or topic; the fix shows at once and can train the next model. A row picked in
    the items table opens the form on that item."""
    picked = dash.picked_item(items, picked_rows)
    if picked != st.session_state.get("fix_picked"):  # a new pick (not on every rerun: the box may be changed after it)
        st.session_state["fix_picked"] = picked
        if picked is not None:
            st.session_state["fix_item"] = picked
    with st.expander("Correct an item's sentiment or topic", expanded=picked is not None):
        titles = dict(zip(items["id"], items["title"]))
        c1, c2, c3 = st.columns([3, 1, 1])
        item = c1.selectbox("Item", list(titles), format_func=lambda i: titles[i][:120], key="fix_item")
        field = c2.radio("Field", CORRECTABLE, key="fix_field", horizontal=True)
        choices = label_choices(field)
        label = c3.selectbox("Right label", choices, key=f"fix_label_{field}", index=None, placeholder="Pick the right label")
        st.caption(dash.labels_now(items, item))
        if st.button("Save correction", key="fix_save", disabled=label is None):
            try:
                correct_label(int(item), field, label, choices)
            except (ValueError, LookupError) as exc:
                say("error", str(exc))
            else:
                st.session_state["fix_result"] = (
                    f"Saved: this item's {field} is now {label!r}. Model Studio can add it to the next training set."
                )
                st.rerun()
        say_pending("fix_result")


def opml_section() -> None:
    """Feeds in bulk (admins): import an OPML file from a feed reader, export the feed list as OPML."""
    with st.expander("Import or export feeds (OPML)", expanded=holds_upload("opml_upload")):
        upload = tab_upload("OPML file from a feed reader (folders become topic tags)", "opml_upload", type=["opml", "xml"],
                            max_upload_size=opml_upload_limit_mb())
        b1, b2 = st.columns(2)
        if b1.button("Import feeds", type="primary", key="opml_import", disabled=upload is None, width="stretch"):
            try:
                report = import_opml(upload.getvalue())
            except (ValueError, PermissionError) as exc:  # OpmlError is a ValueError: the file as a whole is unreadable
                say("error", f"{upload.name}: {exc}")
            else:
                say(report.level, report.summary())
                if report.rows():
                    table(report.rows(), hide_index=True, width="stretch", key="opml_report", column_config={
                        "line": st.column_config.NumberColumn("Line"), "title": st.column_config.TextColumn("Outline"),
                        "url": st.column_config.TextColumn("URL"), "outcome": st.column_config.TextColumn("Outcome"),
                        "reason": st.column_config.TextColumn("Reason", width="large"),
                    })
        b2.download_button("Export OPML", export_opml(), file_name="beacon-feeds.opml", mime="text/x-opml", key="opml_export",
                           width="stretch")


def scoring_bar():  # noqa: ANN201 - a progress callback
    """A bar that appears once the fetched items are being scored and follows each batch."""
    holder = st.empty()

    def show(done: int, waiting: int) -> None:
        holder.progress(done / max(1, waiting), text=dash.scoring_progress_text(done, waiting))

    return show


def feed_editor(feed) -> None:  # noqa: ANN001 - FeedView
    """An admin changes a feed's name, URL, tags or interval, or pauses it; its items stay."""
    with st.form(f"edit_feed_{feed.id}", border=True):
        st.markdown(f"**Edit the feed {plain(feed.name)}**")
        e1, e2 = st.columns([1, 2])
        name = e1.text_input("Name", feed.name, key=f"fe_name_{feed.id}")
        url = e2.text_input("RSS or Atom URL", feed.url, key=f"fe_url_{feed.id}")
        e3, e4 = st.columns([2, 1])
        tags = e3.text_input("Topic tags (comma-separated, optional)", ", ".join(feed.topics), key=f"fe_tags_{feed.id}")
        interval = e4.number_input("Fetch every (minutes)", min_value=1, value=feed.interval_minutes, step=1, key=f"fe_interval_{feed.id}")
        enabled = st.checkbox("Fetch on schedule (untick to pause the feed; its items stay)", feed.enabled, key=f"fe_enabled_{feed.id}")
        b1, b2, _ = st.columns([1, 1, 4])
        save = b1.form_submit_button("Save changes", type="primary", width="stretch")
        cancel = b2.form_submit_button("Cancel", width="stretch")
    if cancel:
        st.session_state.pop("feed_edit", None)
        st.rerun()
    if save:
        changes = changed_settings(feed, name=name, url=url, topics=tags, interval_minutes=interval, enabled=enabled)
        if not changes:
            say("info", "Nothing to save: the settings are as they were.")
            return
        try:
            update_feed(feed.id, **changes)
        except (ValueError, FeedError, PermissionError) as exc:  # the form keeps the values to fix
            say("error", dash.error_text(exc))
            return
        st.session_state.pop("feed_edit", None)
        st.session_state["feed_report"] = dash.ActionReport("success", dash.feed_saved_text(feed.name, changes))
        st.rerun()


def add_feed_form() -> None:
    with st.form("add_feed", border=True):
        st.subheader("Add a feed")
        a1, a2 = st.columns([1, 2])
        a1.text_input("Name", placeholder="e.g. Markets wire", key="feed_name")
        a2.text_input("RSS or Atom URL", placeholder="https://example.com/news.rss", key="feed_url",
                      help="A JSON Feed (jsonfeed.org) works too; a site's own address is answered with the feeds it names.")
        a3, a4 = st.columns([2, 1])
        a3.text_input("Topic tags (comma-separated, optional)", key="feed_tags")
        a4.number_input("Fetch every (minutes)", min_value=1, value=dash.default_interval(), step=1, key="feed_interval")
        st.form_submit_button("Add feed", type="primary", on_click=submit_feed)


def open_feed_editor() -> None:
    """The editor of the feed whose "Edit…" was pressed, if it is still there."""
    feed_id = st.session_state.get("feed_edit")
    feed = get_feed(feed_id) if feed_id is not None else None
    if feed is not None:
        feed_editor(feed)


def feed_actions(by_id: dict, report: dash.ActionReport | None) -> None:
    """Fetch now (the feed picked) and Fetch all (analysts and admins), Edit and Delete (admins); ``report``: the one just
    shown."""
    m1, m2, m3, m4, m5 = st.columns([3, 1, 1, 1, 1], vertical_alignment="bottom")
    chosen = by_id[m1.selectbox("Feed", list(by_id), format_func=lambda i: by_id[i].name, key="feed_pick",
                                   persist_state=KEPT)]
    if m2.button("Fetch now", type="primary", key="fetch_now", width="stretch", help="Fetch and score the feed picked"):
        with st.spinner(f"Fetching and scoring {plain(chosen.name)}…"):
            st.session_state["feed_report"] = dash.fetch_now(chosen.id, scoring_bar())
        st.rerun()
    if m3.button("Fetch all", key="fetch_all", width="stretch", help="Fetch and score every enabled feed now"):
        with st.spinner("Fetching and scoring every enabled feed…"):
            st.session_state["feed_report"] = dash.fetch_all_now(scoring_bar())
        st.rerun()
    if may("admin") and m4.button("Edit…", key="edit_feed", width="stretch", help="Rename, change the URL, tags or interval, pause"):
        st.session_state["feed_edit"] = chosen.id
        st.session_state.pop("feed_delete", None)
    if may("admin") and m5.button("Delete…", key="delete_feed", width="stretch"):
        st.session_state["feed_delete"] = chosen.id
        st.session_state.pop("feed_edit", None)
    if problem := dash.last_fetch_problem(chosen, report):
        say(*problem)
    if st.session_state.get("feed_edit") not in (None, chosen.id):  # another feed picked: its editor is not this one
        st.session_state.pop("feed_edit")
    if st.session_state.get("feed_edit") == chosen.id:
        feed_editor(chosen)
    doomed = by_id.get(st.session_state.get("feed_delete"))
    if doomed is not None and confirm_deletion(
        "feed_delete", f"Delete the feed {doomed.name!r} and its {count_of(doomed.articles, 'item')}? This cannot be undone."
    ):
        try:
            delete_feed(doomed.id)
        except (ValueError, PermissionError) as exc:  # an alert rule watches it
            st.session_state["feed_report"] = dash.ActionReport("error", dash.error_text(exc))
        else:
            st.session_state["feed_report"] = dash.ActionReport("success", f"Deleted the feed {doomed.name!r}.")
        st.rerun()


st.title("Financial sentiment")
for notice in dash.model_notices():
    getattr(st, notice.level)(notice.text)
if not (worker := worker_health()).ok:
    getattr(st, worker.level)(worker.text)

options = dash.filter_options()
feed_names = dict(options["feeds"])
FILTER_KEYS = ("f_dates", "f_feeds", "f_topics", "f_companies", "f_watchlist", "f_keyword", "f_sentiments", "f_count")


def use_filters(preset: dash.FilterPreset, from_link: bool) -> None:
    """Put a preset into the filter widgets: a new session starts with the URL's filters, and an alert's
    link replaces the current ones and opens the Items tab, whichever tab was used last."""
    state = st.session_state
    state.f_dates = (preset.start, preset.end)
    state.f_feeds = [i for i in preset.feed_ids if i in feed_names]
    state.f_topics, state.f_companies = list(preset.topics), list(preset.companies)
    state.f_keyword, state.f_sentiments = preset.keyword, list(preset.sentiments)
    state.f_count = preset.count
    state.f_watchlist = preset.watchlist or None
    notes = [("info", preset.note)] if from_link and preset.note else []
    state.f_messages = notes + [("warning", f"Part of the link was ignored: {problem}.") for problem in preset.problems]
    if from_link:
        state.tab = dash.ITEMS_TAB


def forget_link_messages() -> None:
    st.session_state.pop("f_messages", None)


def clear_narrowing() -> None:
    """Every filter but the dates and the count back to "any"."""
    state = st.session_state
    state.f_feeds, state.f_topics, state.f_companies, state.f_sentiments = [], [], [], []
    state.f_watchlist, state.f_keyword = None, ""
    forget_link_messages()


def show_dates(dates: tuple) -> None:
    st.session_state.f_dates = dates
    forget_link_messages()


def show_all_dates() -> None:
    show_dates(dash.all_dates())


def older_items_notice(flt, tab: str) -> bool:  # noqa: ANN001 - ArticleFilter
    """When the date range hides older items: say how many and offer the newest week that has some, or every date.
    Whether it said so."""
    hidden = dash.hidden_older_items(flt)
    if not hidden.count:
        return False
    say("info", dash.older_items_message(hidden.count, flt.count_stories))
    row = st.container(horizontal=True)
    start, end = hidden.newest_week
    row.button(f"Show the newest week with items ({start:%-d %b} – {end:%-d %b %Y})", on_click=show_dates,
               args=(hidden.newest_week,), type="primary", key=f"show_newest_{tab}")
    first = dash.all_dates()[0]  # an outlier years older stretches "all" over years: the label says from when
    row.button(f"Show all dates (from {first:%-d %b %Y})", on_click=show_all_dates, key=f"show_all_{tab}")
    return True


def keep_filters_in_url(wanted: dict) -> None:
    """The filters live in the URL too, so a reload or a bookmark keeps them; an alert link's own
    parameters are replaced by them once applied."""
    for key in (*dash.FILTER_PARAMS, *dash.LINK_PARAMS):
        value = wanted.get(key)
        values = value if isinstance(value, list) else [value] if value else []
        if st.query_params.get_all(key) != values:
            if values:
                st.query_params[key] = value
            else:
                del st.query_params[key]


params = {key: st.query_params.get_all(key) for key in st.query_params}
link = dash.opened_from_link(params)
link_signature = repr(sorted(params.items())) if link else None
# a new session starts from the URL; a link (new, or the same one opened again) replaces the filters once. The run
# after a link must not re-read the URL: it would undo the first filter the user changed.
if (link and link_signature != st.session_state.get("f_link")) or "f_dates" not in st.session_state:
    use_filters(dash.preset_from_query(params, options["feeds"]), from_link=link)
st.session_state["f_link"] = link_signature

with st.sidebar:
    st.header("Filters")
    st.caption("They apply to the Items and Trends tabs.")
    count = st.radio("Count", list(dash.COUNTS), format_func=dash.COUNTS.get, key="f_count", horizontal=True, help=dash.COUNT_HELP,
                     on_change=forget_link_messages)
    picked = st.date_input("Date range (UTC)", key="f_dates", on_change=forget_link_messages)
    if kept := dash.retention_note():
        st.caption(kept)
    start, end = dash.date_range(picked, dash.all_dates())
    feed_ids = st.multiselect("Feeds", list(feed_names), format_func=feed_names.get, key="f_feeds", on_change=forget_link_messages)
    topics = st.multiselect("Topics", dash.with_values(options["topics"], st.session_state.f_topics), key="f_topics",
                            on_change=forget_link_messages)
    companies = st.multiselect("Companies", dash.with_values(options["companies"], st.session_state.f_companies), key="f_companies",
                               format_func=dash.company_label, on_change=forget_link_messages)
    watchlist = st.selectbox("Watchlist", dash.with_values(dash.watchlist_names(), filter(None, [st.session_state.get("f_watchlist")])),
                             index=None, placeholder="Any", key="f_watchlist", on_change=forget_link_messages,
                             help="Items naming one of the watchlist's companies or tickers, or holding one of its keywords") or ""
    keyword = st.text_input("Keyword in title or summary", key="f_keyword", on_change=forget_link_messages)
    sentiments = st.multiselect("Sentiment", dash.SENTIMENTS, key="f_sentiments", on_change=forget_link_messages)

for level, message in st.session_state.get("f_messages", []):
    say(level, message)
keep_filters_in_url(dash.filter_query(start, end, [feed_names[i] for i in feed_ids], topics, companies, keyword, sentiments, count,
                                      watchlist))

flt = dash.make_filter(start, end, feed_ids, topics, companies, keyword, sentiments, count, watchlist)
unit = dash.counted(flt)  # Stories | Items
narrowed = dash.narrowing_text(flt, feed_names)
if narrowed:
    row = st.container(horizontal=True, vertical_alignment="center")
    row.caption(plain(narrowed))
    row.button("Clear these filters", on_click=clear_narrowing, key="f_clear", help="Dates and the count stay as they are")
items_tab, trends_tab, feeds_tab = page_tabs(["Items", "Trends", "Feeds"])

if items_tab.open:
    with items_tab:
        summary = dash.summarise(flt)
        if summary.items:  # five cards of 0 say nothing (and stack down a phone's screen): the message below does
            c1, c2, c3, c4, c5 = st.columns(5)
            c1.metric(unit, f"{summary.items:,}", border=True)
            c2.metric("Negative", f"{summary.negative:,}", border=True)
            c3.metric("Neutral", f"{summary.neutral:,}", border=True)
            c4.metric("Positive", f"{summary.positive:,}", border=True)
            share = summary.negative_share
            c5.metric("Negative share", "–" if share is None else f"{share:.0%}", border=True)
        items = dash.list_articles(flt, limit=ITEM_LIMIT)
        if items.empty:
            if not older_items_notice(flt, "items"):
                st.info(dash.empty_items_message(len(feed_names), dash.unscored_count()))
            if not feed_names and may("admin"):
                st.button("Open the Feeds tab", on_click=open_tab, args=("Feeds",))
        else:
            if summary.items > len(items):
                st.caption(f"Showing the newest {len(items):,} of {summary.items:,} {unit.lower()}; narrow the filters to see the rest.")
            if flt.count_stories:
                st.caption("One row per story: its first item, with how many feeds carried it (Sources).")
            if may("analyst"):
                st.caption("To correct an item's sentiment or topic, pick its row (the box at its left edge).")
            picked_rows = show_items(items, key="items_table", pickable=may("analyst"))
            st.download_button(dash.items_download_label(summary.items, flt.count_stories), dash.items_download(flt),
                               "beacon_items.csv", "text/csv", key="items_download")  # fmt: skip
            if may("analyst"):
                correction_form(items, picked_rows)

if trends_tab.open:
    with trends_tab:
        g1, g2, g3 = st.columns(3)
        group_by = g1.selectbox("Group by", list(dash.GROUPINGS), format_func=dash.GROUPINGS.get, key="t_group",
                                persist_state=KEPT)
        resolutions = list(dash.FREQUENCIES)
        frequency = g2.selectbox("Resolution", resolutions, index=resolutions.index(dash.suggested_frequency(flt)),
                                 format_func=dash.FREQUENCIES.get, key="t_freq", persist_state=KEPT)  # fmt: skip
        measure = g3.selectbox("Measure", list(dash.MEASURES), format_func=dash.MEASURES.get, key="t_measure",
                               persist_state=KEPT)
        trend = dash.sentiment_trend(flt, group_by, frequency)
        if trend.empty:
            if not older_items_notice(flt, "trends"):
                st.info(dash.empty_items_message(len(feed_names), dash.unscored_count()))
        else:
            share, marked = measure == "negative_share", dash.mark_thin(trend, stories=flt.count_stories)
            bars = dash.interval_bars(marked, share)
            line = px.line(
                dash.trend_chart_frame(marked, frequency), x="bucket", y=measure, color="series", markers=True,
                custom_data=["group", "bucket_key", "thin"],
                hover_data={"items": True, "negative": True, "positive": True, "interval": share, "note": True},
                error_y="error_plus" if bars else None, error_y_minus="error_minus" if bars else None,
                labels={"bucket": dash.BUCKET_TITLES[frequency], "series": dash.GROUPINGS[group_by], measure: dash.MEASURES[measure],
                        "items": unit, "negative": "Negative", "positive": "Positive", "interval": "95% interval", "note": "Note"},
                title=f"{dash.MEASURES[measure]} by {dash.GROUPINGS[group_by].lower()}",
            )
            if share:
                line.update_yaxes(tickformat=".0%", range=[0, 1.02])
            elif measure == "net_sentiment":
                line.update_yaxes(range=[-1.05, 1.05])
            line.update_traces(marker={"size": 9})
            if bars:
                line.update_traces(error_y={"thickness": 1.5, "width": 4})
            draw_thin_points_apart(line)
            span = dash.chart_span(trend, frequency)
            line.update_xaxes(**dash.time_axis(trend["bucket"], frequency, span))
            line_event = st.plotly_chart(
                line, width="stretch", on_select=lambda: clicked_chart("trend"), selection_mode="points", key="trend_chart"
            )
            per_sentiment = dash.sentiment_counts(flt, frequency)
            counts = px.bar(
                per_sentiment, x="bucket", y="items", color="sentiment",
                custom_data=["sentiment", "bucket_key"], color_discrete_map=dash.SENTIMENT_COLORS,
                category_orders={"sentiment": list(dash.SENTIMENTS)},
                labels={"bucket": dash.BUCKET_TITLES[frequency], "items": unit, "sentiment": "Sentiment"},
                title=f"{unit} per sentiment",
            )
            counts.update_xaxes(**dash.time_axis(trend["bucket"], frequency, span))
            counts.update_traces(width=dash.bar_width(frequency))
            counts.update_yaxes(dtick=count_tick(per_sentiment.groupby("bucket")["items"].sum().max()))
            draw_partial_periods_lighter(counts, per_sentiment.loc[per_sentiment["so_far"] | per_sentiment["cut"], "bucket"])
            counts_event = st.plotly_chart(
                counts, width="stretch", on_select=lambda: clicked_chart("count"), selection_mode="points", key="count_chart"
            )
            st.caption(dash.trend_caption(marked, unit, share))
            if far := dash.chart_span_caption(span, frequency, flt.count_stories):
                st.caption(far)
            if so_far := dash.so_far_caption(per_sentiment, frequency):
                st.caption(so_far)
            st.download_button("Download the trend (CSV)", dash.trend_csv(marked, group_by, flt.count_stories), "trend.csv",
                               "text/csv", key="t_download")  # fmt: skip
            if st.toggle(f"Compare {' with '.join(dash.COMPARE_NAMES[frequency])}", key="t_compare", persist_state=KEPT):
                comparison = dash.compare_periods(flt, group_by, frequency)
                st.caption(comparison.caption())
                table(
                    comparison.table, hide_index=True, width="stretch", key="compare_table",
                    column_config={
                        "group": st.column_config.TextColumn(dash.GROUPINGS[group_by]),
                        "items": count_column(f"{unit} {comparison.headers[0]}"),
                        "previous_items": count_column(f"{unit} {comparison.headers[1]}"),
                        "negative_share": st.column_config.NumberColumn(f"Negative {comparison.headers[0]}", format="percent"),
                        "previous_share": st.column_config.NumberColumn(f"Negative {comparison.headers[1]}", format="percent"),
                        "change_points": st.column_config.NumberColumn("Change (points)", format="%+d"),
                        "direction": st.column_config.TextColumn("Direction"),
                        "note": st.column_config.TextColumn("Note"),
                    },
                )
            drill = st.selectbox(
                "Show the items for a time bucket and group", dash.drill_choices(trend, frequency), index=None,
                format_func=lambda d: d.label(frequency), placeholder="Choose a bucket and group…", key="t_pick",
                persist_state=KEPT,
            )
            if drill is None:  # no pick: the chart clicked last decides
                trend_drill = drill_from_trend_point(line_event.selection.points)
                count_drill = drill_from_count_point(counts_event.selection.points)
                if st.session_state.get("t_clicked") == "count":
                    drill = count_drill or trend_drill
                else:
                    drill = trend_drill or count_drill
            if drill is not None:
                st.subheader(plain(f"Items: {drill.label(frequency)}"))
                if flt.count_stories:
                    st.caption("The stories behind this point, one row each: the story's first item, with how many feeds "
                               "carried it (Sources).")
                drilled = dash.list_articles(dash.drill_filter(flt, group_by, drill, frequency), limit=ITEM_LIMIT)
                if drilled.empty:
                    st.info("No items behind this point (the filters may have changed).")
                else:
                    show_items(drilled, key="drill_table")

if feeds_tab.open:
    with feeds_tab:
        if may("admin"):
            add_feed_form()
            opml_section()
        elif may("analyst"):
            st.info("Admins add, change and delete feeds; as an analyst you can fetch a feed now.")
        else:
            st.info("You are signed in as a viewer: you can see the feeds and their status. Admins add, change and delete feeds; "
                    "analysts can fetch them now.")
        say_pending("feed_form_result")

        feeds = list_feeds()
        st.subheader("Monitored feeds")  # the team's, not one user's
        report = say_pending("feed_report")
        feed_link_buttons(report, {f.id: f for f in feeds})
        if not feeds:
            st.info("No feeds yet — add one above with its RSS or Atom URL." if may("admin") else "No feeds yet.")
        else:
            table(
                dash.feeds_table(feeds), hide_index=True, width="stretch", key="feeds_table",
                column_config={
                    "id": None,
                    "name": st.column_config.TextColumn("Feed", width="medium"),
                    "status": st.column_config.TextColumn("Status"),
                    "last_error": st.column_config.TextColumn("Last problem", width="large"),
                    "last_fetched_at": st.column_config.DatetimeColumn("Last fetched (UTC)", format="YYYY-MM-DD HH:mm"),
                    "last_new_items": count_column("New last time"),
                    "items": count_column("Items"),
                    "interval_minutes": st.column_config.NumberColumn("Every (min)"),
                    "topics": st.column_config.TextColumn("Topic tags"),
                    "url": st.column_config.TextColumn("URL"),
                },
            )
            by_id = {f.id: f for f in feeds}
            keep_choice("feed_pick", list(by_id))  # a feed deleted since
            if may("analyst"):
                feed_actions(by_id, report)


if may("admin"):  # unsaved edits in the feed forms survive a look at another tab
    draw_hidden(feeds_tab, add_feed_form, open_feed_editor)
