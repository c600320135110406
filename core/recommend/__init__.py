"""Recommendations: interaction/catalogue ingestion and data check, rankers (popularity, EASE, item-kNN,
item-text, hybrid), honest offline evaluation, explanations and export."""
