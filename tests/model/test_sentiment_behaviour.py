"""Behaviour of the shipped sentiment model, in the manner of Made-With-ML's ``tests/model``: minimum functionality
(plain cases it must get right), invariance (changing what should not matter changes nothing) and direction
(a change that should push one way does not push the other). Sentences written for these tests (fictional
companies); none comes from a training, validation or test set. A case the shipped model fails is marked
xfail(strict=True) with the reason and reported for the next rebuild; the test is never edited to pass."""

from __future__ import annotations

import pytest

PROFIT_WARNINGS = [
    "Norrvik Industries issues a profit warning as orders dry up",
    "Halden Foods issues a profit warning for the second half",
    "A profit warning from Caldera Mining sends its shares lower",
    "Brightwater Retail warns that full-year profit will fall short of expectations",
]
RAISED_GUIDANCE = [
    "Norrvik Industries raises full-year guidance after a strong third quarter",
    "Halden Foods raises its full-year guidance on robust demand",
    "Caldera Mining raises full-year production and earnings guidance",
    "Brightwater Retail lifts its full-year guidance as sales beat forecasts",
]
NEW_CFO = [
    "Norrvik Industries appoints a new CFO",
    "Halden Foods appoints Maria Lind as its new chief financial officer",
    "Caldera Mining names a new CFO, effective 1 March",
    "Brightwater Retail appoints a new CFO to succeed the retiring finance chief",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [(t, "negative") for t in PROFIT_WARNINGS] + [(t, "positive") for t in RAISED_GUIDANCE] + [(t, "neutral") for t in NEW_CFO],
)
def test_minimum_functionality(sentiment, text: str, expected: str) -> None:
    assert sentiment.predict([text])[0].label == expected


COMPANIES = [
    ("Norrvik Industries", "NRVK"),
    ("Halden Foods", "HLDN"),
    ("Caldera Mining", "CALD"),
    ("Apple", "AAPL"),
    ("Siemens", "SIE"),
    ("Toyota Motor", "TM"),
]
TEMPLATES = [
    "{company} ({ticker}) shares slump after the company cuts its dividend",
    "{company} ({ticker}) posts record quarterly revenue",
    "{company} ({ticker}) will publish its interim report on 12 August",
    "{company} ({ticker}) raises full-year guidance",
    "{company} ({ticker}) announces the closure of two plants and 800 job cuts",
    "{company} ({ticker}) holds its annual general meeting in May",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_invariance_to_company_names_and_tickers(sentiment, template: str) -> None:
    texts = [template.format(company=c, ticker=t) for c, t in COMPANIES]
    labels = {text: p.label for text, p in zip(texts, sentiment.predict(texts))}
    assert len(set(labels.values())) == 1, labels


FALLS = [
    ("Shares of Norrvik Industries fell after the results", "Shares of Norrvik Industries fell sharply after the results"),
    ("Halden Foods' operating profit fell in the third quarter", "Halden Foods' operating profit fell sharply in the third quarter"),
    ("Caldera Mining's copper output fell last month", "Caldera Mining's copper output fell sharply last month"),
    ("Brightwater Retail's December sales fell", "Brightwater Retail's December sales fell sharply"),
    ("Orders at the Finnish shipyard fell from a year earlier", "Orders at the Finnish shipyard fell sharply from a year earlier"),
]


@pytest.mark.parametrize(("plain", "sharper"), FALLS)
def test_direction_sharply_does_not_make_a_fall_less_negative(sentiment, plain: str, sharper: str) -> None:
    negative = sentiment.labels.index("negative")
    p_plain, p_sharper = sentiment.predict_proba([plain, sharper])[:, negative]
    assert p_sharper >= p_plain - 0.01, (p_plain, p_sharper)  # 0.01: room for reduced-precision rounding only
