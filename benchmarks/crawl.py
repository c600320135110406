"""Crawl benchmark: one full cycle over 5,000 feeds of 20 items each, served from 127.0.0.1 with realistic
latencies, against today's sequential crawl on a 200-feed sample of the same feeds in the same run.

    .venv/bin/python benchmarks/crawl.py [--feeds 5000] [--sample 200] [--hosts 50] [--postgres URL --workers 1,3]

The feed server runs in its own process (so it does not take the crawler's GIL): one threaded HTTP server per
host on 127.0.0.1 ... 127.0.0.<hosts> (one host name per address, so the per-host limit applies as it would to
real publishers). Each feed's behaviour is fixed by its number: 2 % never answer within the 10 s fetch timeout,
1 % answer an HTML error page instead of a feed, the rest answer after 50-500 ms. The cycle uses the product's
settings (BEACON_CRAWL_CONCURRENCY, BEACON_CRAWL_PER_HOST; defaults raised to 64 and 2 here unless set) and a
fresh SQLite database; afterwards every stored item is counted per (feed, guid) and every request per feed.
With ``--postgres URL`` (a throw-away database: its public schema is dropped; ``scripts/test_postgres.sh start``
prints one) the same cycle then runs once per ``--workers`` count as that many worker processes started together
on one fresh PostgreSQL database (each process calls the product's crawl_due_feeds, which claims every feed it
fetches), timed from the go signal (after their imports) until the last one exits; the feed server counts the
requests per feed, so a feed fetched by two workers shows.
Writes benchmarks/results/crawl.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "crawl.json"
ITEMS = 20
TIMEOUT_SHARE, MALFORMED_SHARE = 0.02, 0.01
HANG_S = 15.0  # longer than the 10 s fetch timeout


def behaviour(feed: int) -> tuple[str, float]:
    """('timeout' | 'malformed' | 'ok', latency in seconds), fixed by the feed's number."""
    rng = random.Random(feed)
    draw = rng.random()
    kind = "timeout" if draw < TIMEOUT_SHARE else "malformed" if draw < TIMEOUT_SHARE + MALFORMED_SHARE else "ok"
    return kind, HANG_S if kind == "timeout" else rng.uniform(0.05, 0.5)


def feed_body(feed: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {feed} story {n}</title><link>https://news{feed % 97}.example.com/{feed}/{n}</link>"
        f"<guid>urn:feed:{feed}:{n}</guid><description>Shares of company {n} moved after results.</description>"
        f"<pubDate>Tue, 05 Mar 2024 {n % 24:02d}:00:00 GMT</pubDate></item>"
        for n in range(ITEMS)
    )
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>https://example.com/</link><description>bench</description>{items}</channel></rss>").encode()


def _serve(hosts: list[str], ports: list, ready, commands) -> None:  # noqa: ANN001
    hits: Counter[int] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            feed = int(self.path.strip("/").removesuffix(".rss"))
            with lock:
                hits[feed] += 1
            kind, latency = behaviour(feed)
            time.sleep(latency)
            body, kind_type = (b"<html><body>Service unavailable</body></html>", "text/html") if kind == "malformed" \
                else (feed_body(feed), "application/rss+xml")
            self.send_response(200)
            self.send_header("Content-Type", kind_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up on a feed that hung past its timeout

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    for host in hosts:
        httpd = ThreadingHTTPServer((host, 0), Handler)
        httpd.daemon_threads, httpd.request_queue_size = True, 256
        ports.append(httpd.server_address[1])
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ready.set()
    while (command := commands.recv()) != "stop":
        if command == "hits":
            commands.send(dict(hits))
        elif command == "reset":
            hits.clear()


def _database(folder: Path, name: str, feeds: list[int], urls: dict[int, str]) -> None:
    from core.settings import get_settings
    from core.storage import reset_engines, session_scope, upgrade_database
    from core.storage.tables import Feed

    os.environ["DATABASE_URL"] = f"sqlite:///{folder / name}"
    get_settings.cache_clear()
    reset_engines()
    upgrade_database()
    with session_scope() as session:
        session.add_all([Feed(name=f"Feed {feed}", url=urls[feed], enabled=True, interval_minutes=15, topics=[]) for feed in feeds])


def _stored() -> tuple[int, int, dict[int, int]]:
    from sqlalchemy import func, select

    from core.storage import session_scope
    from core.storage.tables import Article

    with session_scope() as session:
        total = session.scalar(select(func.count()).select_from(Article))
        pairs = select(Article.feed_id, Article.guid).distinct().subquery()
        distinct_pairs = session.scalar(select(func.count()).select_from(pairs))
        per_feed = dict(session.execute(select(Article.feed_id, func.count()).group_by(Article.feed_id)).all())
    return total, distinct_pairs, per_feed


def _crawl_once_when_told() -> int:
    """One worker of the several-workers phase: import everything, say ready, crawl the due feeds on 'go'."""
    from core.auth import WORKER, set_process_actor
    from core.feeds import crawl_due_feeds

    set_process_actor(WORKER)
    logging.getLogger("core.feeds.crawl").setLevel(logging.CRITICAL)
    print("ready", flush=True)
    sys.stdin.readline()
    outcomes = crawl_due_feeds()
    print(json.dumps({"feeds": len(outcomes), "ok": sum(o.status == "ok" for o in outcomes),
                      "database_errors": sum(bool(o.database_error) for o in outcomes)}), flush=True)
    return 0


def _use_database(url: str) -> None:
    from core.settings import get_settings
    from core.storage import reset_engines

    os.environ["DATABASE_URL"] = url
    get_settings.cache_clear()
    reset_engines()


def _fresh_postgres(url: str, feeds: list[int], urls: dict[int, str]) -> None:
    from sqlalchemy import create_engine, text

    from core.storage import session_scope, upgrade_database
    from core.storage.tables import Feed

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    _use_database(url)
    upgrade_database()
    with session_scope() as session:
        session.add_all([Feed(name=f"Feed {feed}", url=urls[feed], enabled=True, interval_minutes=15, topics=[]) for feed in feeds])


def _workers_cycle(count: int, url: str, feeds: list[int], urls: dict[int, str], good: set[int], server) -> dict:  # noqa: ANN001
    """``count`` worker processes crawl one fresh PostgreSQL database's due feeds at once."""
    _fresh_postgres(url, feeds, urls)
    server.send("reset")
    env = {**os.environ, "DATABASE_URL": url}
    workers = [subprocess.Popen([sys.executable, __file__, "--crawl-once-when-told"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True) for _ in range(count)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", "a worker did not start"
    started = time.monotonic()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    reports = [json.loads(worker.communicate(timeout=3600)[0]) for worker in workers]
    cycle_s = time.monotonic() - started
    _use_database(url)
    total, distinct_pairs, per_feed = _stored()
    server.send("hits")
    hits = server.recv()
    return {
        "workers": count, "cycle_s": round(cycle_s, 1), "feeds_per_worker": [report["feeds"] for report in reports],
        "ok_feeds": sum(report["ok"] for report in reports), "database_errors": sum(report["database_errors"] for report in reports),
        "items_stored": total, "items_expected": ITEMS * len(good), "duplicate_items": total - distinct_pairs,
        "good_feeds_with_every_item": sum(per_feed.get(feed + 1, 0) == ITEMS for feed in good),
        "feeds_fetched_more_than_once": sum(count > 1 for count in hits.values()), "feeds_never_fetched": len(feeds) - len(hits),
        "load_average_after": round(os.getloadavg()[0], 1),
    }


def _several_workers(args: argparse.Namespace, feeds: list[int], urls: dict[int, str], good: set[int], server) -> dict | str:  # noqa: ANN001
    if not args.postgres:
        return "not measured: no --postgres URL given"
    runs = [_workers_cycle(count, args.postgres, feeds, urls, good, server) for count in args.workers]
    summary: dict = {"runs": runs, "order": f"one after another, in this order: {args.workers} (the shared machine's load drifts "
                                            "between runs; an ABBA order puts the drift on both sides alike)"}
    by_count: dict[int, list[float]] = {}
    for run in runs:
        by_count.setdefault(run["workers"], []).append(run["cycle_s"])
    summary["mean_cycle_s_by_workers"] = {count: round(sum(times) / len(times), 1) for count, times in sorted(by_count.items())}
    if len(by_count) > 1:
        fewest, most = min(by_count), max(by_count)
        means = summary["mean_cycle_s_by_workers"]
        summary[f"cycle_ratio_{most}_vs_{fewest}_workers"] = round(means[most] / means[fewest], 2)
        summary["target"] = f"{most} workers not slower than {fewest}; no duplicate item, no feed fetched twice"
        summary["meets_target"] = means[most] <= means[fewest] and all(
            run["duplicate_items"] == 0 and run["feeds_fetched_more_than_once"] == 0 for run in runs)
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--postgres", default="", help="a throw-away PostgreSQL database's URL for the several-workers phase")
    parser.add_argument("--workers", type=lambda text: [int(n) for n in text.split(",")], default=[1, 3])
    parser.add_argument("--crawl-once-when-told", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.crawl_once_when_told:
        return _crawl_once_when_told()
    hosts = [f"127.0.0.{n}" for n in range(1, args.hosts + 1)]
    os.environ["BEACON_FEED_ALLOWED_HOSTS"] = ",".join(hosts)
    os.environ.setdefault("BEACON_CRAWL_CONCURRENCY", "64")
    os.environ.setdefault("BEACON_CRAWL_PER_HOST", "2")
    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="beacon-crawl-bench-"))
    os.environ["BEACON_DATA_DIR"] = str(folder)

    from core.auth import WORKER, set_process_actor
    from core.feeds import crawl_due_feeds, crawl_feed
    from core.settings import get_settings

    set_process_actor(WORKER)
    logging.getLogger("core.feeds.crawl").setLevel(logging.ERROR)  # the failing 3 % would print one line each
    manager = multiprocessing.Manager()
    ports, ready = manager.list(), manager.Event()
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(hosts, ports, ready, theirs), daemon=True)
    server.start()
    ready.wait(60)
    urls = {feed: f"http://{hosts[feed % len(hosts)]}:{ports[feed % len(hosts)]}/{feed}.rss" for feed in range(args.feeds)}
    feeds = list(range(args.feeds))
    sample = random.Random(7).sample(feeds, args.sample)
    good = {feed for feed in feeds if behaviour(feed)[0] == "ok"}

    _database(folder, "sample.db", sample, urls)  # today's way: one feed after another
    started = time.monotonic()
    sample_outcomes = [crawl_feed(feed_id) for feed_id in range(1, args.sample + 1)]
    sequential_s = time.monotonic() - started
    sample_stored = _stored()[0]

    _database(folder, "cycle.db", feeds, urls)
    ours.send("reset")
    started = time.monotonic()
    outcomes = crawl_due_feeds()
    cycle_s = time.monotonic() - started
    total, distinct_pairs, per_feed = _stored()
    ours.send("hits")
    hits = ours.recv()
    several = _several_workers(args, feeds, urls, good, ours)
    ours.send("stop")
    settings = get_settings()

    sequential_full_s = sequential_s * args.feeds / args.sample
    result = {
        "feeds": args.feeds, "items_per_feed": ITEMS, "hosts": args.hosts,
        "concurrency": settings.crawl_concurrency, "per_host": settings.crawl_per_host, "fetch_timeout_s": settings.feed_timeout_s,
        "cycle_s": round(cycle_s, 1), "target_cycle_s": 120, "meets_target": cycle_s < 120,
        "sequential_sample_feeds": args.sample, "sequential_sample_s": round(sequential_s, 1),
        "sequential_sample_ok": sum(o.status == "ok" for o in sample_outcomes), "sequential_sample_items": sample_stored,
        "sequential_estimate_full_cycle_s": round(sequential_full_s, 1),
        "speedup_vs_sequential": round(sequential_full_s / cycle_s, 1),
        "cycle_per_feed_ms": round(1000 * cycle_s / args.feeds, 1), "sequential_per_feed_ms": round(1000 * sequential_s / args.sample, 1),
        "outcomes": dict(Counter(o.status for o in outcomes)),
        "items_stored": total, "items_expected": ITEMS * len(good), "duplicate_items": total - distinct_pairs,
        "good_feeds_with_every_item": sum(per_feed.get(feed + 1, 0) == ITEMS for feed in good), "good_feeds": len(good),
        "feeds_fetched_more_than_once": sum(count > 1 for count in hits.values()), "feeds_never_fetched": args.feeds - len(hits),
        "several_workers_on_postgresql": several,
        "machine": f"{os.cpu_count()} CPUs shared with other engineers' tests and benchmarks; load average "
               f"at the start {load_before:.1f}, at the end {os.getloadavg()[0]:.1f}",
        "load_average_1_5_15_at_end": [round(value, 1) for value in os.getloadavg()],
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'crawl':<34}{'feeds':>7}{'seconds':>10}{'ms/feed':>10}")
    print(f"{'sequential (today), sample':<34}{args.sample:>7}{sequential_s:>10.1f}{result['sequential_per_feed_ms']:>10}")
    print(f"{'concurrent, full cycle':<34}{args.feeds:>7}{cycle_s:>10.1f}{result['cycle_per_feed_ms']:>10}")
    print(f"speed-up x{result['speedup_vs_sequential']}; items {total}/{result['items_expected']}, duplicates {result['duplicate_items']}, "
          f"feeds fetched twice {result['feeds_fetched_more_than_once']}; {RESULTS}")
    if isinstance(several, dict):
        print(f"{'PostgreSQL, workers':<22}{'seconds':>9}{'items':>9}{'duplicates':>12}{'fetched twice':>15}{'feeds each':>24}")
        for run in several["runs"]:
            print(f"{run['workers']:<22}{run['cycle_s']:>9}{run['items_stored']:>9}{run['duplicate_items']:>12}"
                  f"{run['feeds_fetched_more_than_once']:>15}{str(run['feeds_per_worker']):>24}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
