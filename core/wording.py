"""How Beacon writes counts and durations in sentences (one place, so every message says "1 feed" and "2 feeds")."""

from __future__ import annotations

import re


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "feed")`` -> "1 feed", ``count_of(3, "feed")`` -> "3 feeds", "1,272 items" (``plural`` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def one_or_many(n: int, one: str, many: str) -> str:
    """The words that agree with a count: ``one_or_many(1, "is", "are")`` -> "is" (for verbs and pronouns after ``count_of``)."""
    return one if n == 1 else many


def a_or_an(noun: str) -> str:
    """The noun with its indefinite article by its first letter: "an analyst", "an admin", "a viewer"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def sentence(text: str) -> str:
    """A message part ("the file has a header but no rows", also printed after "data check: " on the command line)
    as a sentence on a page: capital first letter, a full stop unless it already ends in punctuation."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


_FIRST_WORD = re.compile(r"[a-z]+(?=[ ,;]|$)")  # a plain word, not a file name (news.csv), path, identifier or "name:"
_KEEP_LOWER = {"python", "pip", "make"}  # a command written first: `python -m core setup` stays as typed


def capitalised(text: str) -> str:
    """A message shown on its own (an error box) starting with a capital, as a sentence does: the same message the
    command line prints after "error: " ("only 12 distinct texts …" -> "Only 12 distinct texts …"). Left as it is
    when it starts with anything but a plain lower-case word: a file name, a path, a name followed by a colon."""
    match = _FIRST_WORD.match(text)
    if not match or match.group() in _KEEP_LOWER:
        return text
    return text[0].upper() + text[1:]


def time_taken(seconds: float) -> str:
    """A measured duration as people say it: "under 1 s", "42 s", "26 min", "1 h 12 min"."""
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def clock_duration(seconds: float) -> str:
    """A running clock on a progress line, where it changes every few seconds: "42s", "4m 20s", "1h 05m"."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"


MIN_SECONDS_MEASURED = 10.0  # a speed measured over less than this says more about start-up than about the work


def time_left(seconds: float | None, done: float, total: float, since: float = 0.0) -> str:
    """" · about 4m 20s left" when ``done`` of ``total`` took ``seconds`` at a steady speed, counted down by the
    ``since`` seconds that have passed since it was measured; "" while that is not known yet (too soon, nothing done)
    or nothing is left."""
    if seconds is None or seconds < MIN_SECONDS_MEASURED or done <= 0 or done >= total:
        return ""
    left = seconds * (total - done) / done - max(0.0, since)
    return f" · about {clock_duration(left)} left" if left >= 1 else ""


def rough_duration(seconds: float) -> str:
    """An estimate before the work starts: "about 50 seconds", "about 3 minutes", "about 1.5 hours"."""
    if seconds < 90:
        return f"about {max(10, round(seconds, -1)):.0f} seconds"
    if seconds < 5400:
        return f"about {round(seconds / 60):.0f} minutes"
    return f"about {seconds / 3600:.1f} hours"


def training_time_text(seconds: float, may_stop_early: bool) -> str:
    """An estimate of a training run that counts every epoch: "about 20 seconds", or when early stopping can end the
    run sooner "at most about 20 seconds (early stopping can end it sooner)"."""
    said = rough_duration(seconds)
    return f"at most {said} (early stopping can end it sooner)" if may_stop_early else said


def shortened(text: str, limit: int = 200) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when one is near the end, with "…" where it was cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit * 0.8 else cut).rstrip() + "…"


def has_word(text: str) -> bool:
    """Whether ``text`` has a letter in it (any script): not only numbers, codes or symbols."""
    return any(ch.isalpha() for ch in text)


def loose_key(name: str) -> str:
    """How names a person typed are compared: capitals and spaces ignored ("Billing  issue" and "billing issue" match)."""
    return " ".join(name.casefold().split())
