"""Counts in sentences: one word for one thing, the plural for any other number."""

from core.wording import a_or_an, clock_duration, count_of, time_taken


def test_one_is_singular_and_every_other_count_plural():
    assert [count_of(n, "feed") for n in (0, 1, 2)] == ["0 feeds", "1 feed", "2 feeds"]
    assert count_of(1, "usable example") == "1 usable example" and count_of(5, "usable example") == "5 usable examples"
    assert count_of(2, "query", "queries") == "2 queries" and count_of(1, "query", "queries") == "1 query"


def test_large_counts_are_grouped_by_thousands():
    assert count_of(1272, "interaction") == "1,272 interactions" and count_of(999, "item") == "999 items"


def test_a_measured_duration_reads_as_people_say_it():
    assert [time_taken(s) for s in (0.4, 42, 89.6, 1559, 3420.2, 4320, 7260)] == [
        "under 1 s", "42 s", "90 s", "26 min", "57 min", "1 h 12 min", "2 h 1 min"]  # fmt: skip


def test_a_running_clock_keeps_its_width_and_never_goes_below_zero():
    assert [clock_duration(s) for s in (-3, 0.4, 59.4, 60, 263, 3599, 3660, 7384)] == [
        "0s", "0s", "59s", "1m 00s", "4m 23s", "59m 59s", "1h 01m", "2h 03m"]  # fmt: skip


def test_a_message_part_becomes_a_sentence_on_a_page():
    from core.wording import sentence

    assert sentence("the file has a header but no rows") == "The file has a header but no rows."
    assert sentence("is the label column right?") == "Is the label column right?"
    assert sentence("(the new version predicts only this file's labels)") == "(the new version predicts only this file's labels)."
    assert sentence("  ") == ""


def test_a_message_shown_on_its_own_starts_with_a_capital_unless_it_starts_with_a_name_or_command() -> None:
    from core.wording import capitalised

    assert capitalised("only 12 distinct texts to distil sentiment on") == "Only 12 distinct texts to distil sentiment on"
    assert capitalised("no knowledge base named 'Crads', did you mean 'Cards'?") == "No knowledge base named 'Crads', did you mean 'Cards'?"
    assert capitalised("unknown") == "Unknown"
    for kept in ("news.csv: column 'id' holds no texts", "data/uploads/x.csv is missing", "cards: no such entry",
                 "python -m core setup installs it", "feed_url must be set", "Already a sentence.", "'quoted' first",
                 "`python -m core setup`", "42 rows were read", ""):  # fmt: skip
        assert capitalised(kept) == kept


def test_the_time_left_follows_the_speed_so_far_once_it_is_known() -> None:
    from core.wording import time_left

    assert time_left(60.0, 100, 1100) == " · about 10m 00s left"  # 100 a minute, 1,000 to go
    assert time_left(5.0, 100, 1100) == ""  # too soon: start-up, not speed
    assert time_left(60.0, 0, 1100) == "" and time_left(60.0, 1100, 1100) == "" and time_left(None, 5, 10) == ""
    assert time_left(60.0, 100, 1100, since=90) == " · about 8m 30s left" and time_left(60.0, 100, 1100, since=600) == ""


def test_progress_words_add_the_time_left_from_their_own_clock(monkeypatch) -> None:
    from core.views import customer_service

    clock = [1000.0]
    monkeypatch.setattr(customer_service.time, "monotonic", lambda: clock[0])
    words = customer_service.progress_text("Scoring tickets")
    assert words(0, 2000) == "Scoring tickets… 0 of 2,000"
    clock[0] = 1030.0
    assert words(400, 2000) == "Scoring tickets… 400 of 2,000 · about 2m 00s left"
    assert words(2100, 2000) == "Scoring tickets… 2,000 of 2,000"



def test_a_role_reads_with_its_article():
    assert [a_or_an(role) for role in ("viewer", "analyst", "admin")] == ["a viewer", "an analyst", "an admin"]
