"""How Beacon writes counts in sentences (one place, so every message says "1 feed" and "2 feeds")."""

from __future__ import annotations


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """``count_of(1, "feed")`` -> "1 feed", ``count_of(3, "feed")`` -> "3 feeds", "1,272 items" (``plural`` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
