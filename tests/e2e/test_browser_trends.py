"""Honest trends in a real browser: a one-item bucket no longer draws as a confident 100 %. The fixture's
seeded item (one negative Earnings item) is a one-item bucket; six Fed items make a full one beside it.
In the rendered SVG the thin point is faded and hollow, it carries an error bar reaching most of the way
down the axis, and on the screenshot its inside shows the background where a full point is filled."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow
from tests.support.browser import open_tab, settled, shot, sign_in

pytestmark = pytest.mark.e2e

POINTS = """chart => [...chart.querySelectorAll('.scatterlayer .trace')].map(trace => {
    const name = trace.__data__ && trace.__data__[0] && trace.__data__[0].trace.name;
    const point = trace.querySelector('path.point');
    const bar = trace.querySelector('.errorbar path.yerror');
    const style = point && getComputedStyle(point);
    const box = point && point.getBoundingClientRect();
    const barBox = bar && bar.getBoundingClientRect();
    return {name, opacity: style && parseFloat(style.opacity), fillOpacity: style && style.fillOpacity, fill: style && style.fill,
            x: box && box.x + box.width / 2, y: box && box.y + box.height / 2, r: box && box.width / 2,
            bar: barBox && barBox.height};
})"""
PLOT_HEIGHT = "chart => chart.querySelector('.cartesianlayer .subplot .bg, rect.nsewdrag').getBoundingClientRect().height"


def seed_full_bucket() -> None:
    now = utcnow()
    with session_scope() as session:
        feed = Feed(name="Central", url="http://127.0.0.1:9/central.rss", topics=[], enabled=False)
        session.add(feed)
        session.flush()
        for i in range(6):
            session.add(Article(
                feed_id=feed.id, guid=f"fed-{i}", link=f"https://example.com/fed/{i}", title=f"The central bank comment {i}",
                summary="", published_at=now - timedelta(hours=1), sentiment="negative" if i < 3 else "neutral",
                sentiment_confidence=0.9, prob_negative=0.5, topic="Fed", scored_at=now, companies=[],
            ))


def test_a_one_item_bucket_does_not_draw_as_a_confident_100_percent(beacon, browser_page, tmp_path):
    from PIL import Image

    seed_full_bucket()
    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    open_tab(page, "Trends")
    chart = page.locator(".st-key-trend_chart .js-plotly-plot")
    chart.wait_for()
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(700)  # let the chart finish drawing
    settled(page)
    shot(page, "trends_thin_bucket", tmp_path)

    points = {p["name"]: p for p in chart.evaluate(POINTS)}
    assert {"Earnings", "Fed"} <= set(points), points
    thin, full = points["Earnings"], points["Fed"]
    assert thin["opacity"] < 0.6 and full["opacity"] == 1.0, points  # faded
    assert thin["fillOpacity"] in ("0", 0) or "rgba(0, 0, 0, 0)" in thin["fill"] or thin["fill"] == "none", thin  # hollow
    height = chart.evaluate(PLOT_HEIGHT)
    assert thin["bar"] and thin["bar"] > 0.7 * height, (thin, height)  # its interval spans most of the axis
    assert full["bar"] and full["bar"] < thin["bar"], points
    assert page.get_by_text("thin data", exact=False).count() >= 1  # the caption names it

    # the screenshot: two pixels above a point's centre (clear of its error bar's cap, inside its outline) the thin
    # point shows the background, the full point its fill colour
    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")

    def brightness(point: dict) -> int:
        return sum(image.getpixel((round(point["x"]), round(point["y"]) - 2)))

    background = sum(image.getpixel((round(thin["x"]) + 40, round(thin["y"]) - 20)))
    assert brightness(thin) > background - 60 and brightness(full) < background - 120, (brightness(thin), brightness(full), background)
