"""Project-authored financial news sentences with sentiment labels, generated from templates.

Written for Beacon (not derived from any dataset) so the shipped sentiment model learns the
register of company news releases: results figures, guidance, orders, staffing and neutral
corporate facts. Deterministic: ``financial_news_sentences(seed)`` always returns the same rows.
"""

from __future__ import annotations

import random

COMPANIES = [
    "Nordvik Group",
    "Aalto Systems",
    "Baltica Paper",
    "Kestrel Foods",
    "Harbor Logistics",
    "Vantaa Steel",
    "Lumen Telecom",
    "Orion Retail",
    "Polar Engineering",
    "Meridian Bank",
    "Silva Forest Products",
    "Tundra Energy",
    "Fjord Shipping",
    "Cobalt Software",
    "Granite Construction",
    "Riverside Media",
    "Helix Pharma",
    "Northwind Airlines",
    "the company",
    "the group",
    "the bank",
    "the Finnish company",
    "the Swedish group",
    "the retailer",
    "the insurer",
    "the steel maker",
    "the software company",
    "the operator",
    "the utility",
]
METRICS = [
    "net sales",
    "operating profit",
    "net profit",
    "revenue",
    "pre-tax profit",
    "earnings per share",
    "order intake",
    "operating income",
    "sales",
    "EBITDA",
    "comparable operating profit",
    "net income",
    "gross margin",
    "cash flow from operations",
    "order backlog",
    "profit before taxes",
    "turnover",
]
PERIODS = [
    "in the first quarter",
    "in the second quarter",
    "in the third quarter",
    "in the fourth quarter",
    "in January-March",
    "in January-June",
    "in January-September",
    "in 2024",
    "in 2025",
    "for the full year",
    "during the reporting period",
    "in the first half of the year",
    "year-on-year",
    "compared with last year",
]
UP = ["rose", "increased", "grew", "climbed", "jumped", "improved", "went up", "surged", "was up"]
DOWN = ["fell", "decreased", "declined", "dropped", "slumped", "went down", "weakened", "was down", "shrank"]
CURRENCY = ["EUR", "USD", "SEK", "GBP"]
UNITS = ["mn", "million", "bn", "m"]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _amount(rng: random.Random) -> str:
    return f"{rng.choice(CURRENCY)} {rng.uniform(0.5, 900):.1f} {rng.choice(UNITS)}"


def _pct(rng: random.Random) -> str:
    return f"{rng.uniform(0.5, 45):.1f} %"


def _positive(rng: random.Random, c: str, m: str, p: str) -> str:
    a, b = sorted([rng.uniform(1, 500), rng.uniform(1, 500)])
    cur = rng.choice(CURRENCY)
    return rng.choice(
        [
            f"{_cap(c)} said its {m} {rng.choice(UP)} by {_pct(rng)} {p} .",
            f"{_cap(m)} {rng.choice(UP)} to {cur} {b:.1f} mn from {cur} {a:.1f} mn {p} .",
            f"{_cap(c)} 's {m} {rng.choice(UP)} {_pct(rng)} to {_amount(rng)} {p} .",
            f"{_cap(c)} reported record {m} of {_amount(rng)} {p} , beating expectations .",
            f"The operating loss narrowed to {cur} {a:.1f} mn from {cur} {b:.1f} mn {p} .",
            f"{_cap(c)} turned to an operating profit of {_amount(rng)} from a loss a year earlier .",
            f"{_cap(c)} raised its full-year outlook and now expects {m} to grow .",
            f"{_cap(c)} won an order worth {_amount(rng)} to supply equipment to a new customer .",
            f"{_cap(c)} signed a multi-year contract that will increase its {m} .",
            f"Shares in {c} rose {_pct(rng)} after the results were published .",
            f"{_cap(c)} will raise its dividend to {cur} {rng.uniform(0.1, 3):.2f} per share .",
            f"{_cap(c)} expects its {m} to improve {p} thanks to strong demand .",
            f"The acquisition will strengthen {c} 's market position and boost {m} .",
            f"Demand for {c} 's products remained strong and margins improved {p} .",
            f"{_cap(c)} successfully completed the expansion , which is expected to lift {m} .",
            f"Analysts upgraded {c} to buy , citing improving profitability .",
        ]
    )


def _negative(rng: random.Random, c: str, m: str, p: str) -> str:
    a, b = sorted([rng.uniform(1, 500), rng.uniform(1, 500)])
    cur = rng.choice(CURRENCY)
    return rng.choice(
        [
            f"{_cap(c)} said its {m} {rng.choice(DOWN)} by {_pct(rng)} {p} .",
            f"{_cap(m)} {rng.choice(DOWN)} to {cur} {a:.1f} mn from {cur} {b:.1f} mn {p} .",
            f"{_cap(c)} 's {m} {rng.choice(DOWN)} {_pct(rng)} to {_amount(rng)} {p} .",
            f"{_cap(c)} swung to an operating loss of {_amount(rng)} from a profit a year earlier .",
            f"The operating loss widened to {cur} {b:.1f} mn from {cur} {a:.1f} mn {p} .",
            f"{_cap(c)} cut its full-year guidance and now expects {m} to decline .",
            f"{_cap(c)} will cut {rng.randint(20, 900)} jobs as part of a cost-saving programme .",
            f"{_cap(c)} issued a profit warning , saying {m} will fall short of expectations .",
            f"Shares in {c} fell {_pct(rng)} after the company missed forecasts .",
            f"{_cap(c)} will temporarily lay off staff at its plant due to weak demand .",
            f"{_cap(c)} cancelled its dividend to preserve cash .",
            f"Weak demand and higher costs pushed {c} 's {m} down {p} .",
            f"{_cap(c)} booked an impairment charge of {_amount(rng)} , resulting in a net loss .",
            f"The customer terminated its contract with {c} , reducing {m} .",
            f"Analysts downgraded {c} to sell , citing falling margins .",
            f"{_cap(c)} faces a lawsuit and a regulatory fine of {_amount(rng)} .",
        ]
    )


def _neutral(rng: random.Random, c: str, m: str, p: str) -> str:
    return rng.choice(
        [
            f"{_cap(m)} totalled {_amount(rng)} {p} .",
            f"{_cap(c)} will publish its interim report on {rng.choice(['April', 'July', 'October'])} {rng.randint(1, 28)} .",
            f"{_cap(c)} is headquartered in {rng.choice(['Helsinki', 'Espoo', 'Stockholm', 'Oslo', 'Tampere'])} .",
            f"The shares are listed on the {rng.choice(['Helsinki', 'Stockholm', 'Nasdaq', 'London'])} stock exchange .",
            f"{_cap(c)} operates in {rng.randint(3, 40)} countries and employs about {rng.randint(100, 20000)} people .",
            f"The value of the deal was not disclosed .",
            f"{_cap(c)} appointed a new chief financial officer , effective {rng.choice(['March', 'May', 'June'])} 1 .",
            f"The annual general meeting will be held on {rng.choice(['March', 'April'])} {rng.randint(1, 28)} .",
            f"{_cap(c)} is a supplier of {rng.choice(['packaging', 'software', 'machinery', 'paper', 'logistics services'])} .",
            f"The company 's {m} were {_amount(rng)} in the corresponding period a year ago .",
            f"{_cap(c)} has {rng.randint(2, 30)} production plants in Europe and Asia .",
            f"The board proposes a dividend of {rng.choice(CURRENCY)} {rng.uniform(0.1, 3):.2f} per share , unchanged from last year .",
            f"{_cap(c)} said {m} were in line with the previous year .",
            f"The contract covers the delivery of equipment and maintenance services .",
            f"The transaction is expected to close in the {rng.choice(['first', 'second', 'third'])} quarter .",
            f"{_cap(c)} 's financial statements are prepared in accordance with IFRS .",
            f"{_cap(c)} will hold a conference call for analysts at {rng.randint(9, 16)}:00 .",
            f"The new facility will be located in {rng.choice(['Finland', 'Poland', 'Estonia', 'Sweden'])} .",
        ]
    )


def financial_news_sentences(n_per_label: int = 1200, seed: int = 7) -> list[tuple[str, str]]:
    """``n_per_label`` sentences per sentiment label, as (text, label) rows, de-duplicated."""
    rng = random.Random(seed)
    makers = {"positive": _positive, "negative": _negative, "neutral": _neutral}
    rows: list[tuple[str, str]] = []
    for label, make in makers.items():
        seen: set[str] = set()
        while len(seen) < n_per_label:
            text = make(rng, rng.choice(COMPANIES), rng.choice(METRICS), rng.choice(PERIODS))
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    return rows
