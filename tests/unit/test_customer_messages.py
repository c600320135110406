"""The project-authored customer-support messages the customer_sentiment model is trained on."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from training_data.customer_messages import customer_messages

LABELS = {"negative", "neutral", "positive"}
# words of a plainly reported problem (apostrophes removed, lower case)
PROBLEM_WORDS = (
    "declined",
    "charged",
    "twice",
    "failed",
    "wrong",
    "damaged",
    "broken",
    "missing",
    "locked",
    "blocked",
    "crash",
    "stuck",
    "pending",
    "disappeared",
    "cancelled",
    "rejected",
    "error",
    "stopped",
    "delayed",
    "lost",
    "invalid",
    "higher",
    "slow",
    "hasnt",
    "havent",
    "didnt",
    "isnt",
    "doesnt",
    "wasnt",
    "cant",
    "wont",
    "couldnt",
    " not ",
    " no ",
    " down ",
    "drop",
    "expired",
    "instead of",
    "less than",
    "went up",
    "taken",
    "took",
    "kept",
    "cut off",
    "power cut",
    "typo",
    "scratched",
    "under review",
    "double",
    "dont recognise",
)


def _norm(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9 ]", " ", text.lower().replace("'", "")) + " "


def _by_label(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {label: [] for label in LABELS}
    for text, label in rows:
        out[label].append(text)
    return out


@pytest.fixture(scope="module")
def rows() -> list[tuple[str, str]]:
    return customer_messages()


def test_deterministic_for_a_seed_and_different_across_seeds() -> None:
    assert customer_messages(200, seed=3) == customer_messages(200, seed=3)
    other = customer_messages(200, seed=4)
    assert other != customer_messages(200, seed=3)
    assert len({t for t, _ in other} - {t for t, _ in customer_messages(200, seed=3)}) > 300


@pytest.mark.parametrize("n", [1, 50, 1500])
def test_exact_counts_labels_and_clean_unique_texts(n: int) -> None:
    rows = customer_messages(n)
    assert Counter(label for _, label in rows) == {label: n for label in LABELS}
    texts = [text for text, _ in rows]
    assert len(set(texts)) == len(texts)  # no duplicates, also none shared between labels
    assert all(text and text == text.strip() and "  " not in text and "{" not in text for text in texts)


def test_default_size(rows: list[tuple[str, str]]) -> None:
    assert len(rows) == 4500


def test_neutral_rows_include_plain_problem_reports(rows: list[tuple[str, str]]) -> None:
    neutral = _by_label(rows)["neutral"]
    with_problem = [t for t in neutral if any(w in _norm(t) for w in PROBLEM_WORDS)]
    # at least half of the neutral rows are plain problem reports; how-to questions alone would give almost none
    assert len(with_problem) / len(neutral) >= 0.45
    assert not [t for t in neutral if "!" in t]


def test_neutral_rows_express_no_feeling(rows: list[tuple[str, str]]) -> None:
    feeling = re.compile(
        r"ridiculous|unacceptable|useless|worst|worried|annoy|frustrat|disappoint|scam|furious|love|great|\b(still|again)\b", re.I
    )
    assert not [t for t in _by_label(rows)["neutral"] if feeling.search(t)]


@pytest.mark.parametrize("word", ["declined", "refund", "transfer", "parcel", "internet", "claim", "bill"])
def test_the_same_problems_appear_under_every_label(rows: list[tuple[str, str]], word: str) -> None:
    by_label = _by_label(rows)
    for label in LABELS:
        assert any(word in _norm(t) for t in by_label[label]), (word, label)


def test_register_varies(rows: list[tuple[str, str]]) -> None:
    texts = [t for t, _ in rows]
    words = [len(t.split()) for t in texts]
    assert sum(w <= 6 for w in words) > 150  # short messages
    assert sum(w >= 25 for w in words) > 150  # long, several sentences
    assert sum(t == t.lower() for t in texts) > 300  # casual chat style
    negative = _by_label(rows)["negative"]
    assert any("!!" in t or "??" in t for t in negative)
    assert any(re.search(r"\b[A-Z]{4,}\b", t) for t in negative)  # a shouted word
