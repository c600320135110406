"""Stories: normalisation of titles and links, and incremental grouping (core.stories, pure)."""

from datetime import datetime, timedelta

from core.stories.cluster import ItemText, StoryIndex
from core.stories.normalise import canonical_link, content_words, normalise_title, strip_publisher

T0 = datetime(2026, 3, 8, 12, 0)


def item(title: str, hours: float = 0.0, link: str | None = None, summary: str = "") -> ItemText:
    return ItemText(title, summary, link, T0 + timedelta(hours=hours))


def test_publisher_suffix_and_wire_prefix_are_removed():
    assert strip_publisher("EXCLUSIVE: Chery's robot unit eyes IPO - Reuters") == "Chery's robot unit eyes IPO"
    assert strip_publisher("Oil tops $100 a barrel as Iran war widens | Yahoo Finance") == "Oil tops $100 a barrel as Iran war widens"
    # a long tail is part of the headline, not a publisher
    headline = "Fed holds rates - and signals two cuts later this year"
    assert strip_publisher(headline) == headline


def test_titles_normalise_to_the_same_words():
    assert normalise_title("Oil Surges Above $100 a Barrel — CNBC") == normalise_title("oil surges above 100 a barrel - Reuters")
    assert normalise_title("Iran&#8217;s leader") == "iran's leader"
    assert content_words("The banks raise rates") == {"bank", "raise", "rate"}


def test_tracking_parameters_are_dropped_from_links():
    a = canonical_link("http://www.example.com/news/oil-100/?utm_source=rss&utm_medium=feed&fbclid=x#top")
    b = canonical_link("https://example.com/news/oil-100?utm_campaign=y")
    assert a == b == "https://example.com/news/oil-100"
    assert canonical_link("https://example.com/a?id=7&utm_source=z") == "https://example.com/a?id=7"
    assert canonical_link("https://example.com/a?id=7") != canonical_link("https://example.com/a?id=8")


def test_syndicated_copies_join_one_story_and_other_news_does_not():
    index = StoryIndex(threshold=0.5)
    first = index.assign(item("Oil surges above $100 a barrel as Iran war widens - Reuters", 0), "s1")
    copy = index.assign(item("Oil surges above $100 a barrel as Iran war widens | Yahoo Finance", 3), "s2")
    other = index.assign(item("Apple unveils a cheaper iPhone for emerging markets", 4), "s3")
    assert (first, copy, other) == ("s1", "s1", "s3")
    assert len(index) == 2


def test_the_same_link_with_other_tracking_joins_the_story_even_with_a_new_title():
    index = StoryIndex(threshold=0.5)
    index.assign(item("Fed cuts rates", 0, "https://wire.example/fed?utm_source=a"), "s1")
    assert index.assign(item("Powell explains a surprise decision", 1, "https://wire.example/fed?utm_source=b"), "s2") == "s1"


def test_an_item_outside_the_time_window_starts_a_new_story():
    index = StoryIndex(threshold=0.5, window_hours=48)
    index.assign(item("Oil surges above $100 a barrel", 0), "s1")
    assert index.assign(item("Oil surges above $100 a barrel", 47), "s2") == "s1"
    assert index.assign(item("Oil surges above $100 a barrel", 47 + 49), "s3") == "s3"


def test_old_stories_are_forgotten_as_time_moves_on():
    index = StoryIndex(threshold=0.5, window_hours=1)
    for n in range(6000):
        index.assign(item(f"Company number{n} reports results", n / 60), n)
    assert len(index) < 6000  # the sweep dropped stories older than the window
