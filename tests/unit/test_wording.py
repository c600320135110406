"""Counts in sentences: one word for one thing, the plural for any other number."""

from core.wording import count_of, time_taken


def test_one_is_singular_and_every_other_count_plural():
    assert [count_of(n, "feed") for n in (0, 1, 2)] == ["0 feeds", "1 feed", "2 feeds"]
    assert count_of(1, "usable example") == "1 usable example" and count_of(5, "usable example") == "5 usable examples"
    assert count_of(2, "query", "queries") == "2 queries" and count_of(1, "query", "queries") == "1 query"


def test_large_counts_are_grouped_by_thousands():
    assert count_of(1272, "interaction") == "1,272 interactions" and count_of(999, "item") == "999 items"


def test_a_measured_duration_reads_as_people_say_it():
    assert [time_taken(s) for s in (0.4, 42, 89.6, 1559, 3420.2, 4320, 7260)] == [
        "0 s", "42 s", "90 s", "26 min", "57 min", "1 h 12 min", "2 h 1 min"]  # fmt: skip
