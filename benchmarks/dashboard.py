"""Financial sentiment page at volume: 1,000,000 stored items on PostgreSQL, p95 of each page query.

    .venv/bin/python benchmarks/dashboard.py --url postgresql+psycopg://postgres@127.0.0.1:54413/postgres

Creates (and afterwards drops) the database ``beacon_dashboard`` on that server, migrates it, loads the items
server-side (generate_series: ~200 feeds, 18 months of published_at, skewed topics and companies, sentiment labels
and probabilities as the scorer stores them, companies both in articles.companies and in company_mentions, 2 %
unscored), then times exactly the functions the page calls (core/views/financial_sentiment.py).

Stories: 60 % of the items are grouped into stories of three (one lead item each, articles.story_lead), so the
page's default count (stories: a story once, through its lead item) counts 600,000 of the 1,000,000 rows; the
"(items)" rows time the page with its Count switch on Items.

"before" = the migration 0013 indexes (and 0015's stories-mode index) dropped and the trend counted the old way
(every matching row loaded by items.scored_sentiments and bucketed in pandas, as the page did before); "after" =
indexes in place, counts in SQL. Both in the same run, on the same data. Writes benchmarks/results/dashboard.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pandas as pd
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RESULTS = Path(__file__).resolve().parent / "results" / "dashboard.json"
DB_NAME = "beacon_dashboard"
NEW_INDEXES = {
    "ix_articles_scored_published": "articles (published_at, id) WHERE scored_at IS NOT NULL",
    "ix_articles_topic_published": "articles (topic, published_at)",
    "ix_articles_sentiment_published": "articles (sentiment, published_at)",
    "ix_company_mentions_company_article": "company_mentions (company, article_id)",
    "ix_articles_lead_published": "articles (published_at, id) WHERE scored_at IS NOT NULL AND story_lead",
}
GROUPED_SHARE = 0.6  # of the items, in stories of STORY_SIZE; the rest are items of their own (story leads too)
STORY_SIZE = 3
TOPICS = ["Earnings", "M&A", "Markets", "Macro", "Regulation", "Technology", "Energy", "Financials", "Healthcare",
          "Consumer", "Industrials", "Real estate"]

LOAD_SQL = """
INSERT INTO feeds (name, url, topics, enabled, interval_minutes, last_new_items, created_at)
SELECT 'Feed ' || g, 'https://feeds.example.com/' || g || '.xml', '[]', true, 15, 0, now()
FROM generate_series(1, 200) g;

INSERT INTO articles (feed_id, guid, link, title, summary, published_at, fetched_at, sentiment, sentiment_confidence,
                      prob_negative, prob_neutral, prob_positive, topic, topic_confidence, companies, scored_at)
SELECT f, 'guid-' || g, 'https://news.example.com/a/' || g, 'Headline ' || g || ' about ' || c1, 'Summary of item ' || g,
       pub, pub + interval '5 minutes',
       CASE WHEN scored THEN (ARRAY['negative', 'neutral', 'neutral', 'positive'])[1 + (g::bigint * 7919 % 4)::int] END,
       CASE WHEN scored THEN 0.5 + (g % 50) / 100.0 END,
       CASE WHEN scored THEN (g % 97) / 97.0 END, CASE WHEN scored THEN 0.2 END, CASE WHEN scored THEN 0.1 END,
       CASE WHEN scored THEN (ARRAY[{topics}])[1 + floor(12 * power(random(), 1.6))::int] END,
       CASE WHEN scored THEN 0.8 END,
       CASE WHEN c2 IS NULL THEN json_build_array(c1) ELSE json_build_array(c1, c2) END,
       CASE WHEN scored THEN pub + interval '10 minutes' END
FROM (
  SELECT g, 1 + (g * 31 % 200) AS f, now()::timestamp - random() * interval '548 days' AS pub, random() > 0.02 AS scored,
         'Company ' || floor(300 * power(random(), 3))::int AS c1,
         CASE WHEN random() < 0.3 THEN 'Company ' || (300 + floor(300 * power(random(), 3))::int) END AS c2
  FROM generate_series(1, {items}) g
) s;

INSERT INTO company_mentions (article_id, company)
SELECT a.id, c FROM articles a, json_array_elements_text(a.companies) c;
"""

STORIES_SQL = """
INSERT INTO stories (title, first_seen_at, last_seen_at)
SELECT 'Story ' || g, now()::timestamp, now()::timestamp FROM generate_series(1, {stories}) g;

UPDATE articles SET story_id = s.first + (articles.id - a.first) / {size}, story_lead = (articles.id - a.first) % {size} = 0
FROM (SELECT min(id) AS first FROM stories) s, (SELECT min(id) AS first FROM articles) a
WHERE articles.id < a.first + {stories} * {size};
"""


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]


def timed(fn: Callable[[], object], runs: int) -> dict:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return {"p95_s": round(p95(times), 4), "median_s": round(statistics.median(times), 4), "runs": runs}


def legacy_trend(flt, group_by: str = "topic", frequency: str = "day", top: int = 8) -> pd.DataFrame:
    """The page's trend as it was before: every matching row loaded, bucketed and counted in pandas."""
    from core.repositories import items
    from core.views.financial_sentiment import SENTIMENTS

    frame = pd.DataFrame(items.scored_sentiments(flt, group_by), columns=["published_at", "sentiment", "group"])
    if frame.empty:
        return frame
    frame = frame[frame["group"].isin(frame["group"].value_counts().head(top).index)]
    frame["bucket"] = pd.to_datetime(frame["published_at"]).dt.floor({"day": "D", "hour": "h"}[frequency])
    counts = pd.crosstab([frame["bucket"], frame["group"]], frame["sentiment"])
    return counts[[s for s in SENTIMENTS if s in counts]].reset_index()


def queries(legacy: bool) -> dict[str, Callable[[], object]]:
    from core.views import financial_sentiment as dash
    trend = legacy_trend if legacy else dash.sentiment_trend
    today = dash.today()
    default = dash.make_filter(today - timedelta(days=dash.DEFAULT_DAYS), today)  # the page's default: the last 7 days
    long = dash.make_filter(today - timedelta(days=548), today)
    top_company = dash.filter_options()["companies"][0]
    month = dash.make_filter(today - timedelta(days=60), today - timedelta(days=30), companies=[top_company], sentiments=["negative"])
    default_items, long_items = (dash.make_filter(f.start.date(), f.end.date() - timedelta(days=1), count="items") for f in (default, long))

    def summary(flt):  # the KPIs: summarise() is the 'all items' trend summed
        return trend(flt, "all", "day")

    from core.views.financial_sentiment import ArticleFilter

    return {
        "filter options": dash.filter_options,
        "date span + unscored": lambda: (dash.stored_item_span(), dash.unscored_count()),
        "KPIs (default range)": lambda: summary(default),
        "hidden older items": lambda: summary(ArticleFilter(end=default.start)),
        "trend per topic (default)": lambda: trend(default, "topic", "day"),
        "trend per company (default)": lambda: trend(default, "company", "day"),
        "trend per topic (18 months)": lambda: trend(long, "topic", "day"),
        "trend per company (18 months)": lambda: trend(long, "company", "day"),
        "sentiment counts (18 months)": lambda: summary(long),
        "compare periods (topic)": lambda: dash.compare_periods(default, "topic", "day"),
        "items first page (default)": lambda: dash.list_articles(default),
        "items: company + negative + month": lambda: dash.list_articles(month),
        "KPIs: company + negative + month": lambda: summary(month),
        "KPIs (default range, items)": lambda: summary(default_items),
        "trend per topic (18 months, items)": lambda: trend(long_items, "topic", "day"),
        "trend per company (18 months, items)": lambda: trend(long_items, "company", "day"),
        "items first page (default, items)": lambda: dash.list_articles(default_items),
    }


def recount_every_day() -> float:
    """The items were loaded by SQL after the migration: the triggers marked every day stale; the first daily trend
    recounts them all (timed here, once, instead of inside a query's warm-up run)."""
    from core.repositories import daily_counts
    from core.storage import session_scope

    started = time.perf_counter()
    with session_scope() as session:
        daily_counts.recount_stale_days(session)
    return time.perf_counter() - started


def run_all(runs: int, legacy: bool) -> dict:
    results = {}
    for name, fn in queries(legacy).items():
        fn()  # warm: caches, plans
        results[name] = timed(fn, runs)
        print(f"  {name:38s} p95 {results[name]['p95_s']:8.3f} s", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a PostgreSQL server (a database on it is created)")
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--before-runs", type=int, default=5, help="runs of the slow 'before' path (default 5)")
    args = parser.parse_args()

    plain = args.url.replace("postgresql+psycopg://", "postgresql://")
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        admin.execute(f"CREATE DATABASE {DB_NAME}")
    url = args.url.rsplit("/", 1)[0] + "/" + DB_NAME
    os.environ["DATABASE_URL"] = url
    from core.storage import reset_engines, upgrade_database

    upgrade_database(url)
    t = time.perf_counter()
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(LOAD_SQL.format(items=args.items, topics=", ".join(f"'{t}'" for t in TOPICS)))
        conn.execute(STORIES_SQL.format(stories=int(args.items * GROUPED_SHARE) // STORY_SIZE, size=STORY_SIZE))
        conn.execute("VACUUM ANALYZE")
        counts = conn.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM company_mentions), "
                              "(SELECT count(*) FROM articles WHERE story_lead)").fetchone()
        load_s = time.perf_counter() - t
        print(f"loaded {counts[0]} items ({counts[2]} story leads), {counts[1]} company mentions in {load_s:.0f} s", flush=True)
        for name in NEW_INDEXES:
            conn.execute(f"DROP INDEX {name}")
        conn.execute("ANALYZE")
        print(f"before (migration 0013 and 0015 indexes dropped, trend counted in pandas; {args.before_runs} runs):", flush=True)
        reset_engines()
        before = run_all(args.before_runs, legacy=True)
        for name, definition in NEW_INDEXES.items():
            table, columns = definition.split(" ", 1)
            conn.execute(f"CREATE INDEX {name} ON {table} {columns}")
        conn.execute("ANALYZE")
        reset_engines()
        recount_s = recount_every_day()
        print(f"daily counts: the first view after the bulk load recounts every day in {recount_s:.1f} s", flush=True)
        print(f"after (indexes, counts in SQL, daily counts; {args.runs} runs):", flush=True)
        after = run_all(args.runs, legacy=False)
    reset_engines()
    with psycopg.connect(plain, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")

    print(f"\n{'query':38s} {'before p95':>11s} {'after p95':>10s} {'speed-up':>9s}")
    for name in after:
        b, a = before[name]["p95_s"], after[name]["p95_s"]
        print(f"{name:38s} {b:10.3f}s {a:9.3f}s {b / a:8.1f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "database": "PostgreSQL " + psycopg.connect(plain).info.parameter_status("server_version"),
        "items": counts[0], "company_mentions": counts[1], "story_leads": counts[2], "load_s": round(load_s, 1),
        "stories": f"{GROUPED_SHARE:.0%} of the items in stories of {STORY_SIZE}; the page counts stories by default (its lead "
                   "items, articles.story_lead); the '(items)' queries count every item (Count: Items)",
        "before": "migration 0013 and 0015 indexes dropped; trend/KPIs by loading every matching row into pandas (the old path)",
        "after": "migration 0013 and 0015 indexes; counts per bucket, group and sentiment in SQL (items.sentiment_buckets); "
                 "daily trends of all items, per topic and per company over whole days from daily_counts (migration 0016)",
        "daily_counts_recount_after_bulk_load_s": round(recount_s, 2),
        "target": "every query p95 < 1 s",
        "met": all(r["p95_s"] < 1 for r in after.values()),
        "queries": {name: {"before": before[name], "after": after[name], "speed_up": round(before[name]["p95_s"] / after[name]["p95_s"], 1)}
                    for name in after},
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "load_average_at_start": load_at_start,
        "note": "2-core machine; see the load averages for what else ran",
    }, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
