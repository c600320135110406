"""Financial news sentiment: scoring stored items, company tagging, trends and item queries."""

from core.sentiment.score_items import score_pending_articles

__all__ = ["score_pending_articles"]
