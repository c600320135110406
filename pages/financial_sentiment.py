"""Financial sentiment: items, trends and feeds (UI only; logic lives in core)."""

from datetime import datetime, time, timedelta

import plotly.express as px
import streamlit as st

from core.feeds import add_feed, crawl_feed, delete_feed, list_feeds
from core.nlp.registry import NoActiveModel
from core.sentiment import score_pending_articles
from core.sentiment.views import ArticleFilter, bucket_filter, filter_options, list_articles, sentiment_trend

st.title("Financial sentiment")
params = st.query_params
options = filter_options()
feed_names = dict(options["feeds"])

with st.sidebar:
    st.header("Filters")
    today = datetime.utcnow().date()
    default_start = datetime.fromisoformat(params["start"]).date() if "start" in params else today - timedelta(days=7)
    start, end = st.date_input("Date range (UTC)", (default_start, today), key="range") or (default_start, today)
    feeds = st.multiselect("Feeds", list(feed_names), format_func=feed_names.get)
    preset_topic = [params["scope"]] if params.get("scope_type") == "topic" else []
    topics = st.multiselect("Topics", sorted(set(options["topics"]) | set(preset_topic)), default=preset_topic)
    preset_company = [params["scope"]] if params.get("scope_type") == "company" else []
    companies = st.multiselect("Companies", sorted(set(options["companies"]) | set(preset_company)), default=preset_company)
    keyword = st.text_input("Keyword", value=params.get("scope", "") if params.get("scope_type") == "keyword" else "")
    sentiments = st.multiselect("Sentiment", ["negative", "neutral", "positive"])

flt = ArticleFilter(
    start=datetime.combine(start, time.min), end=datetime.combine(end, time.min) + timedelta(days=1),
    feed_ids=feeds, topics=topics, companies=companies, keyword=keyword, sentiments=sentiments,
)
LINKS = {"link": st.column_config.LinkColumn("Source", display_text="open")}
CONF = {"confidence": st.column_config.ProgressColumn("Confidence", min_value=0.0, max_value=1.0, format="%.2f")}


def show_items(frame) -> None:
    if frame.empty:
        st.info("No scored items match these filters. Add a feed in the Feeds tab or widen the date range.")
        return
    cols = ["published_at", "title", "sentiment", "confidence", "topic", "companies", "feed", "link"]
    st.dataframe(frame[cols], hide_index=True, width="stretch", column_config={**LINKS, **CONF})


items_tab, trends_tab, feeds_tab = st.tabs(["Items", "Trends", "Feeds"])

with items_tab:
    items = list_articles(flt)
    counts = items["sentiment"].value_counts() if not items.empty else {}
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Items", len(items))
    for col, label in ((c2, "negative"), (c3, "neutral"), (c4, "positive")):
        col.metric(label.capitalize(), int(counts.get(label, 0)) if len(items) else 0)
    show_items(items)

with trends_tab:
    g1, g2, g3 = st.columns(3)
    group_by = g1.selectbox("Group by", ["topic", "company", "feed", "all"])
    frequency = g2.selectbox("Resolution", ["day", "hour"])
    metric = g3.selectbox("Measure", ["negative_share", "net_sentiment", "items"])
    trend = sentiment_trend(flt, group_by, frequency)
    if trend.empty:
        st.info("No scored items in this range yet.")
    else:
        fig = px.line(trend, x="bucket", y=metric, color="group", markers=True, custom_data=["group"])
        event = st.plotly_chart(fig, width="stretch", on_select="rerun", selection_mode="points", key="trend")
        stacked = trend.melt(id_vars=["bucket", "group"], value_vars=["negative", "neutral", "positive"], var_name="sentiment", value_name="count")
        st.plotly_chart(
            px.bar(stacked, x="bucket", y="count", color="sentiment", barmode="stack",
                   color_discrete_map={"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}),
            width="stretch",
        )
        points = (event.selection.points if event else []) or []
        choices = [f"{b:%Y-%m-%d %H:%M} · {g}" for b, g in zip(trend["bucket"], trend["group"])]
        picked = st.selectbox("Show the items behind a point", ["—"] + choices)
        if points:
            point = points[0]
            bucket, group = datetime.fromisoformat(str(point["x"])), point["customdata"][0]
        elif picked != "—":
            row = trend.iloc[choices.index(picked)]
            bucket, group = row["bucket"].to_pydatetime(), row["group"]
        else:
            bucket = None
        if bucket is not None:
            st.subheader(f"Items: {group}, {bucket:%Y-%m-%d %H:%M}")
            show_items(list_articles(bucket_filter(flt, group_by, group, bucket, frequency)))

with feeds_tab:
    with st.form("add_feed", clear_on_submit=False):
        st.subheader("Add a feed")
        name = st.text_input("Name")
        url = st.text_input("RSS or Atom URL")
        tags = st.text_input("Topic tags (comma-separated, optional)")
        interval = st.number_input("Crawl every (minutes)", min_value=1, value=15)
        if st.form_submit_button("Add feed"):
            try:
                add_feed(name, url, tags, int(interval))
                st.success(f"Feed {name!r} added; the worker fetches it within a minute, or press Fetch now.")
            except ValueError as exc:
                st.error(str(exc))
    feeds_now = list_feeds()
    if not feeds_now:
        st.info("No feeds yet — add one above.")
    for feed in feeds_now:
        with st.container(border=True):
            left, mid, right = st.columns([5, 1, 1])
            status = feed.last_status or "not fetched yet"
            left.markdown(f"**{feed.name}** · {feed.articles} items · status: `{status}`")
            left.text(feed.url)
            if feed.last_error:
                left.error(feed.last_error)
            if mid.button("Fetch now", key=f"fetch{feed.id}"):
                with st.spinner("Fetching and scoring…"):
                    outcome = crawl_feed(feed.id)
                    try:
                        scored = score_pending_articles()
                        st.toast(f"{outcome.new_items} new items, {scored} scored")
                    except NoActiveModel as exc:
                        st.error(f"{exc}. Run `make run` or `python -m core setup` first.")
                st.rerun()
            if right.button("Delete", key=f"del{feed.id}"):
                delete_feed(feed.id)
                st.rerun()
