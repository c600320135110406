"""Project-authored financial news sentences with sentiment labels, generated from templates.

Written for Beacon from scratch (not derived from, or paraphrased from, any dataset) so the shipped
sentiment model learns the register of company news releases and stock exchange bulletins:
results figures, guidance, orders and contracts, expansion and restructuring, staffing, market
reactions and neutral corporate facts. Labels follow an investor's reading of the news: would it
likely move the company's share price up (positive), down (negative) or not at all (neutral)?

Deterministic: ``financial_news_sentences(n_per_label, seed)`` always returns the same rows.
About a quarter of the sentences are written in plain typography ("EUR 5 million, up 3%."); the
rest use the tokenised wire style common in news archives ("EUR 5 mn , up 3 % .").
"""

# ruff: noqa: E501  (one template per line reads best)
from __future__ import annotations

import random
import re

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
    "Kaleva Chemicals",
    "Saimaa Packaging",
    "Boreal Mining",
    "Lakeland Dairy",
    "Archipelago Ferries",
    "Nimbus Electronics",
    "Pinecrest Insurance",
    "Arctic Cables",
    "Kvarken Machinery",
    "Sisu Tools",
    "Aurora Textiles",
    "Bothnia Bank",
    "Karelia Brewing",
    "Vega Medical",
    "Ostro Holdings",
    "Hanko Marine",
    "Solstice Solar",
    "Ilmarinen Elevators",
    "Kivi Building Materials",
    "Delta Fintech",
    "Juniper Components",
    "Tapiola Real Estate",
]
GENERIC_SUBJECTS = [
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
    "the paper maker",
    "the engineering group",
    "the airline",
    "the shipping company",
    "the builder",
    "the chemicals company",
    "the media group",
    "the telecom operator",
    "the listed company",
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
    "operating margin",
    "profit for the period",
    "adjusted EBIT",
    "comparable net sales",
    "like-for-like sales",
    "operating result",
    "result before taxes",
    "net interest income",
    "premiums written",
]
VOLUME_METRICS = [
    "passenger numbers",
    "passenger traffic",
    "deliveries",
    "production volumes",
    "sales volumes",
    "the number of subscribers",
    "cargo volumes",
    "market share",
    "the number of customers",
    "occupancy rates",
    "shipments",
    "electricity output",
    "traffic volumes",
    "online sales",
]
PERIODS = [
    "in the first quarter",
    "in the second quarter",
    "in the third quarter",
    "in the fourth quarter",
    "in January-March",
    "in January-June",
    "in January-September",
    "in April-June",
    "in July-September",
    "in October-December",
    "in 2023",
    "in 2024",
    "in 2025",
    "in 2026",
    "for the full year",
    "during the reporting period",
    "in the first half of the year",
    "in the first nine months",
    "year-on-year",
    "compared with the previous year",
    "in the review period",
    "last year",
    "in the financial year",
    "in the quarter",
    "in the corresponding period",
    "",
]
YEAR_AGO = [
    "a year earlier",
    "a year ago",
    "in the corresponding period of last year",
    "in the previous year",
    "in the same period last year",
    "in the comparison period",
    "the year before",
]
UP = ["rose", "increased", "grew", "climbed", "jumped", "improved", "went up", "surged", "was up", "advanced", "soared"]
DOWN = ["fell", "decreased", "declined", "dropped", "slumped", "went down", "weakened", "was down", "shrank", "plunged", "slid"]
CURRENCY = ["EUR", "USD", "SEK", "GBP", "NOK", "DKK"]
UNITS = ["mn", "million", "m", "bn", "billion"]
CITIES = [
    "Helsinki",
    "Espoo",
    "Stockholm",
    "Oslo",
    "Tampere",
    "Turku",
    "Oulu",
    "Gothenburg",
    "Copenhagen",
    "Tallinn",
    "Riga",
    "Vilnius",
    "Warsaw",
    "Hamburg",
    "St Petersburg",
    "Shanghai",
    "Chennai",
    "Sao Paulo",
    "Houston",
    "Lahti",
]
COUNTRIES = [
    "Finland",
    "Sweden",
    "Norway",
    "Denmark",
    "Estonia",
    "Latvia",
    "Lithuania",
    "Poland",
    "Germany",
    "Russia",
    "China",
    "India",
    "Brazil",
    "the United States",
    "the UK",
    "France",
    "Spain",
    "Italy",
    "Vietnam",
    "Mexico",
]
REGIONS = ["the Nordic countries", "the Baltic countries", "Central Europe", "Asia", "North America", "Eastern Europe", "the Middle East"]
GOODS = [
    "paper machines",
    "elevators",
    "cranes",
    "software licences",
    "diesel engines",
    "telecom network equipment",
    "packaging materials",
    "steel pipes",
    "wind turbines",
    "automation systems",
    "forest machines",
    "frozen foods",
    "medical devices",
    "power cables",
    "mining equipment",
    "ferries",
    "water treatment systems",
    "building panels",
    "mobile network upgrades",
    "IT services",
    "pulp",
    "sawn timber",
    "consumer electronics",
    "fire safety systems",
]
CUSTOMERS = [
    "a Chinese paper producer",
    "a German carmaker",
    "a US utility",
    "the Finnish Defence Forces",
    "a Swedish retailer",
    "an Indian telecom operator",
    "a Norwegian oil company",
    "the city of Tampere",
    "a leading European bank",
    "a Brazilian pulp mill",
    "a Russian steel producer",
    "a major Nordic insurer",
    "the Finnish Transport Agency",
    "an Asian shipyard",
    "a global mining company",
    "a Polish energy group",
]
PEOPLE = [
    "Matti Virtanen",
    "Anna Lindqvist",
    "Jukka Korhonen",
    "Sofia Berg",
    "Pekka Nieminen",
    "Maria Holm",
    "Lars Eriksson",
    "Katja Laine",
    "Timo Heikkinen",
    "Eva Nilsson",
    "Mikko Salonen",
    "Liisa Koskinen",
]
ROLES = [
    "chief executive officer",
    "CEO",
    "chief financial officer",
    "CFO",
    "head of sales",
    "chairman of the board",
    "senior vice president",
    "head of investor relations",
    "managing director",
    "chief operating officer",
]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def _be(metric: str) -> str:
    return "were" if metric.endswith(("sales", "numbers", "volumes", "rates", "shipments", "premiums written")) else "was"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _money(rng: random.Random, cur: str | None = None, value: float | None = None, unit: str | None = None) -> str:
    cur = cur or rng.choice(CURRENCY)
    unit = unit or rng.choice(UNITS)
    value = value if value is not None else rng.uniform(0.3, 950)
    if unit in ("bn", "billion"):
        value = value / 100
    return f"{cur} {value:.{rng.choice([1, 1, 1, 2])}f} {unit}"


def _pct(rng: random.Random, lo: float = 0.5, hi: float = 60) -> str:
    return f"{rng.uniform(lo, hi):.1f} %"


def _pair(rng: random.Random) -> tuple[float, float]:
    """Two distinct amounts (low, high), at least 5 % apart."""
    low = rng.uniform(1, 600)
    return low, low * rng.uniform(1.05, 2.5)


def _period(rng: random.Random) -> str:
    return rng.choice(PERIODS)


def _subject(rng: random.Random) -> str:
    return rng.choice(COMPANIES) if rng.random() < 0.65 else rng.choice(GENERIC_SUBJECTS)


def _positive(rng: random.Random) -> str:
    c, m, p = _subject(rng), rng.choice(METRICS), _period(rng)
    low, high = _pair(rng)
    cur, unit = rng.choice(CURRENCY), rng.choice(["mn", "million", "m"])
    v = rng.choice(VOLUME_METRICS)
    templates = [
        lambda: f"{_cap(c)} said its {m} {rng.choice(UP)} by {_pct(rng)} {p} .",
        lambda: f"{_cap(m)} {rng.choice(UP)} to {cur} {high:.1f} {unit} from {cur} {low:.1f} {unit} {p} .",
        lambda: f"{_cap(c)} 's {m} {rng.choice(UP)} {_pct(rng)} to {_money(rng)} {p} .",
        lambda: f"{_cap(m)} totalled {cur} {high:.1f} {unit} , up from {cur} {low:.1f} {unit} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(m)} amounted to {cur} {high:.1f} {unit} , up {_pct(rng, 1, 40)} from {rng.choice(YEAR_AGO)} .",
        lambda: (
            f"{_cap(p or 'in the quarter')} , {m} {_be(m)} {cur} {high:.1f} {unit} , compared with {cur} {low:.1f} {unit} {rng.choice(YEAR_AGO)} , an increase of {_pct(rng, 2, 70)} ."
        ),
        lambda: f"{_cap(c)} 's net sales increased by {_pct(rng)} and its {m} {rng.choice(UP)} to {_money(rng)} {p} .",
        lambda: (
            f"{_cap(m)} {rng.choice(UP)} to {_money(rng)} , while {rng.choice(METRICS)} also {rng.choice(['improved', 'rose', 'grew', 'increased'])} ."
        ),
        lambda: f"{_cap(c)} reported record {m} of {_money(rng)} {p} .",
        lambda: f"{_cap(c)} beat analysts ' expectations with {m} of {_money(rng)} {p} .",
        lambda: f"The operating loss narrowed to {cur} {low:.1f} {unit} from {cur} {high:.1f} {unit} {p} .",
        lambda: f"{_cap(c)} 's net loss shrank to {cur} {low:.1f} {unit} from {cur} {high:.1f} {unit} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(c)} turned to an operating profit of {_money(rng)} from a loss of {_money(rng)} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(c)} returned to profit {p} , posting a net profit of {_money(rng)} .",
        lambda: f"{_cap(c)} raised its full-year outlook and now expects {m} to grow by {rng.randint(3, 25)} % .",
        lambda: (
            f"{_cap(c)} expects its {m} to increase {rng.choice(['in 2026', 'this year', 'next year', 'in the current financial year'])} ."
        ),
        lambda: f"{_cap(c)} upgraded its guidance for {rng.choice(['2025', '2026', 'the full year'])} on the back of strong order intake .",
        lambda: f"{_cap(c)} won an order worth {_money(rng)} to supply {rng.choice(GOODS)} to {rng.choice(CUSTOMERS)} .",
        lambda: (
            f"{_cap(c)} has received a {rng.choice(['major', 'significant', 'large', 'multi-million euro'])} order for {rng.choice(GOODS)} from {rng.choice(CUSTOMERS)} ."
        ),
        lambda: f"{_cap(c)} has been awarded a {rng.randint(2, 10)}-year contract by {rng.choice(CUSTOMERS)} , worth some {_money(rng)} .",
        lambda: f"{_cap(c)} signed a contract with {rng.choice(CUSTOMERS)} that will increase its {m} by some {_money(rng)} .",
        lambda: f"{_cap(c)} will supply {rng.choice(GOODS)} to {rng.choice(CUSTOMERS)} under a new agreement worth {_money(rng)} .",
        lambda: f"{_cap(c)} has been selected as the sole supplier of {rng.choice(GOODS)} for {rng.choice(CUSTOMERS)} .",
        lambda: f"The order is the largest in {c} 's history .",
        lambda: (
            f"{_cap(c)} 's order backlog reached a record {_money(rng)} at the end of the {rng.choice(['quarter', 'year', 'period'])} ."
        ),
        lambda: f"Shares in {c} rose {_pct(rng, 1, 25)} after the results were published .",
        lambda: (
            f"{_cap(c)} shares {rng.choice(['jumped', 'gained', 'climbed', 'surged', 'rallied'])} {_pct(rng, 1, 25)} in {rng.choice(CITIES)} trading after the company raised its forecast ."
        ),
        lambda: (
            f"{_cap(c)} will raise its dividend to {cur} {rng.uniform(0.1, 3):.2f} per share from {cur} {rng.uniform(0.01, 0.09):.2f} ."
        ),
        lambda: f"The board proposes an increased dividend of {cur} {rng.uniform(0.1, 3):.2f} per share .",
        lambda: f"{_cap(c)} launched a share buyback programme of up to {_money(rng)} .",
        lambda: f"{_cap(c)} expects its {m} to improve {p} thanks to strong demand .",
        lambda: f"The acquisition will strengthen {c} 's market position in {rng.choice(REGIONS)} and boost its {m} .",
        lambda: (
            f"{_cap(c)} has acquired a {rng.choice(['profitable', 'fast-growing', 'leading'])} {rng.choice(GOODS)} maker , expanding its presence in {rng.choice(COUNTRIES)} ."
        ),
        lambda: f"Demand for {c} 's products remained strong and margins improved {p} .",
        lambda: (
            f"{_cap(c)} will open a new {rng.choice(['plant', 'factory', 'distribution centre', 'service centre', 'store'])} in {rng.choice(CITIES)} , creating {rng.randint(20, 600)} new jobs ."
        ),
        lambda: f"{_cap(c)} is expanding its production capacity in {rng.choice(COUNTRIES)} to meet growing demand .",
        lambda: f"{_cap(c)} will hire {rng.randint(30, 800)} new employees as business grows .",
        lambda: f"{_cap(c)} successfully completed the expansion , which is expected to lift its {m} .",
        lambda: (
            f"Analysts upgraded {c} to {rng.choice(['buy', 'outperform', 'overweight', 'accumulate'])} , citing improving profitability ."
        ),
        lambda: (
            f"{_cap(rng.choice(['an analyst', 'a broker', 'the investment bank']))} raised its target price for {c} to {cur} {rng.uniform(5, 80):.1f} ."
        ),
        lambda: f"{_cap(v)} {rng.choice(UP)} by {_pct(rng, 1, 35)} {p} .",
        lambda: f"{_cap(c)} 's {v} {rng.choice(UP)} {_pct(rng, 1, 35)} {p} , the company said .",
        lambda: f"{_cap(c)} 's cost-saving programme has delivered annual savings of {_money(rng)} , ahead of target .",
        lambda: f"The operating margin improved to {rng.uniform(6, 25):.1f} % from {rng.uniform(0.5, 5.9):.1f} % .",
        lambda: f"{_cap(c)} gained market share in {rng.choice(REGIONS)} {p} .",
        lambda: (
            f"{_cap(c)} signed a strategic partnership agreement with {rng.choice(CUSTOMERS)} that opens a new market for its {rng.choice(GOODS)} ."
        ),
        lambda: f"{_cap(c)} said the new {rng.choice(GOODS)} line has been well received and sales are ahead of plan .",
        lambda: f"Profitability improved clearly in all business areas {p} .",
        lambda: f"{_cap(c)} 's cash flow strengthened significantly and net debt fell to {_money(rng)} .",
        lambda: (
            f"{_cap(c)} won a {_money(rng)} tender to build {rng.choice(['a new hospital', 'a bridge', 'an office complex', 'a power plant', 'a rail link'])} in {rng.choice(CITIES)} ."
        ),
        lambda: (
            f"{_cap(c)} received regulatory approval for its new {rng.choice(['drug', 'treatment', 'device', 'product'])} , opening a market worth {_money(rng)} ."
        ),
        lambda: f"Earnings per share rose to {cur} {high / 100:.2f} from {cur} {low / 100:.2f} .",
        lambda: f"{_cap(c)} and {rng.choice(COMPANIES)} have signed a cooperation agreement to jointly develop {rng.choice(GOODS)} .",
        lambda: (
            f"{_cap(c)} has signed a {rng.choice(['framework agreement', 'long-term agreement', 'service agreement', 'partnership agreement'])} with {rng.choice(CUSTOMERS)} to provide {rng.choice(GOODS)} ."
        ),
        lambda: (
            f"{_cap(c)} signed an agreement with {rng.choice(CUSTOMERS)} on the delivery of {rng.choice(GOODS)} , strengthening its position as a leading supplier ."
        ),
        lambda: f"Under the new agreement , {c} becomes the preferred supplier of {rng.choice(GOODS)} to {rng.choice(CUSTOMERS)} .",
        lambda: f"{_cap(c)} extended its cooperation with {rng.choice(CUSTOMERS)} for another {rng.randint(2, 6)} years .",
        lambda: f"{_cap(m)} was {cur} {high:.1f} {unit} , compared to {cur} {low:.1f} {unit} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(c)} is now the market leader in {rng.choice(GOODS)} in {rng.choice(REGIONS)} .",
        lambda: (
            f"{_cap(c)} expects operating profit to {rng.choice(['increase', 'grow', 'improve'])} {rng.choice(['significantly', 'clearly', 'substantially', ''])} from last year ."
        ),
    ]
    return rng.choice(templates)()


def _negative(rng: random.Random) -> str:
    c, m, p = _subject(rng), rng.choice(METRICS), _period(rng)
    low, high = _pair(rng)
    cur, unit = rng.choice(CURRENCY), rng.choice(["mn", "million", "m"])
    v = rng.choice(VOLUME_METRICS)
    templates = [
        lambda: f"{_cap(c)} said its {m} {rng.choice(DOWN)} by {_pct(rng)} {p} .",
        lambda: f"{_cap(m)} {rng.choice(DOWN)} to {cur} {low:.1f} {unit} from {cur} {high:.1f} {unit} {p} .",
        lambda: f"{_cap(c)} 's {m} {rng.choice(DOWN)} {_pct(rng)} to {_money(rng)} {p} .",
        lambda: f"{_cap(m)} totalled {cur} {low:.1f} {unit} , down from {cur} {high:.1f} {unit} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(m)} amounted to {cur} {low:.1f} {unit} , down {_pct(rng, 1, 40)} from {rng.choice(YEAR_AGO)} .",
        lambda: (
            f"{_cap(p or 'in the quarter')} , {m} {_be(m)} {cur} {low:.1f} {unit} , compared with {cur} {high:.1f} {unit} {rng.choice(YEAR_AGO)} , a decrease of {_pct(rng, 2, 60)} ."
        ),
        lambda: f"{_cap(c)} 's net sales decreased by {_pct(rng)} and its {m} {rng.choice(DOWN)} to {_money(rng)} {p} .",
        lambda: (
            f"{_cap(m)} {rng.choice(DOWN)} to {_money(rng)} , while {rng.choice(METRICS)} also {rng.choice(['weakened', 'fell', 'declined', 'decreased'])} ."
        ),
        lambda: f"{_cap(c)} swung to an operating loss of {_money(rng)} from a profit of {_money(rng)} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(c)} posted a net loss of {_money(rng)} {p} , compared with a profit {rng.choice(YEAR_AGO)} .",
        lambda: f"The operating loss widened to {cur} {high:.1f} {unit} from {cur} {low:.1f} {unit} {p} .",
        lambda: f"{_cap(c)} 's pre-tax loss grew to {cur} {high:.1f} {unit} from {cur} {low:.1f} {unit} .",
        lambda: f"{_cap(c)} missed analysts ' expectations as {m} fell to {_money(rng)} {p} .",
        lambda: f"{_cap(c)} cut its full-year guidance and now expects {m} to decline .",
        lambda: (
            f"{_cap(c)} lowered its outlook for {rng.choice(['2025', '2026', 'the full year', 'the rest of the year'])} due to weak demand ."
        ),
        lambda: (
            f"{_cap(c)} expects its {m} to decrease {rng.choice(['in 2026', 'this year', 'next year', 'in the current financial year'])} ."
        ),
        lambda: f"{_cap(c)} issued a profit warning , saying {m} will fall short of expectations .",
        lambda: f"{_cap(c)} will cut {rng.randint(20, 1900)} jobs as part of a cost-cutting programme .",
        lambda: f"{_cap(c)} will start negotiations on personnel reductions affecting up to {rng.randint(20, 900)} employees .",
        lambda: f"{_cap(c)} plans to reduce its workforce by {rng.randint(20, 900)} people at its {rng.choice(CITIES)} site .",
        lambda: (
            f"{_cap(c)} will temporarily lay off {rng.randint(30, 2000)} employees at its {rng.choice(['plant', 'mill', 'factory'])} due to weak demand ."
        ),
        lambda: (
            f"{_cap(c)} will close its {rng.choice(CITIES)} {rng.choice(['plant', 'mill', 'factory', 'unit', 'office'])} , and {rng.randint(40, 700)} people will lose their jobs ."
        ),
        lambda: (
            f"Production at the {rng.choice(CITIES)} {rng.choice(['mill', 'plant', 'factory'])} was halted for {rng.randint(2, 8)} weeks due to {rng.choice(['a strike', 'a fire', 'weak demand', 'a shortage of raw materials', 'equipment failure'])} ."
        ),
        lambda: f"Shares in {c} fell {_pct(rng, 1, 30)} after the company missed forecasts .",
        lambda: (
            f"{_cap(c)} shares {rng.choice(['dropped', 'slumped', 'tumbled', 'fell', 'sank'])} {_pct(rng, 1, 30)} in {rng.choice(CITIES)} trading after a profit warning ."
        ),
        lambda: f"{_cap(c)} cancelled its dividend to preserve cash .",
        lambda: f"The board proposes that no dividend be paid for {rng.choice(['2024', '2025', 'the financial year'])} .",
        lambda: f"Weak demand and higher costs pushed {c} 's {m} down {p} .",
        lambda: f"Rising raw material prices weighed on {c} 's profitability {p} .",
        lambda: f"{_cap(c)} booked an impairment charge of {_money(rng)} , resulting in a net loss .",
        lambda: f"{_cap(c)} wrote down the value of its {rng.choice(COUNTRIES)} operations by {_money(rng)} .",
        lambda: f"{_cap(rng.choice(CUSTOMERS))} terminated its contract with {c} , reducing its {m} .",
        lambda: f"{_cap(c)} lost a major {rng.choice(GOODS)} contract to a competitor .",
        lambda: f"The order for {rng.choice(GOODS)} was cancelled , and {c} will book a loss of {_money(rng)} .",
        lambda: f"Analysts downgraded {c} to {rng.choice(['sell', 'underperform', 'underweight', 'reduce'])} , citing falling margins .",
        lambda: (
            f"{_cap(rng.choice(['an analyst', 'a broker', 'the investment bank']))} cut its target price for {c} to {cur} {rng.uniform(2, 60):.1f} ."
        ),
        lambda: f"{_cap(c)} faces a lawsuit and a regulatory fine of {_money(rng)} .",
        lambda: f"{_cap(c)} was fined {_money(rng)} by the competition authority .",
        lambda: f"{_cap(c)} recalled {rng.randint(2, 90)} 000 units of its {rng.choice(GOODS)} because of a safety defect .",
        lambda: f"Delays in the {rng.choice(CITIES)} project will weaken {c} 's {m} {p} .",
        lambda: f"{_cap(v)} {rng.choice(DOWN)} by {_pct(rng, 1, 35)} {p} .",
        lambda: f"{_cap(c)} 's {v} {rng.choice(DOWN)} {_pct(rng, 1, 35)} {p} , the company said .",
        lambda: f"The operating margin fell to {rng.uniform(0.5, 5.9):.1f} % from {rng.uniform(6, 25):.1f} % .",
        lambda: f"{_cap(c)} lost market share in {rng.choice(REGIONS)} {p} .",
        lambda: (
            f"A strike at {c} 's {rng.choice(CITIES)} {rng.choice(['port', 'plant', 'mill'])} is expected to cut {m} by {_money(rng)} ."
        ),
        lambda: f"Prices for {rng.choice(GOODS)} continued to fall , putting pressure on {c} 's margins .",
        lambda: f"Profitability weakened in all business areas {p} .",
        lambda: f"{_cap(c)} 's net debt rose to {_money(rng)} and its cash position weakened .",
        lambda: f"Earnings per share fell to {cur} {low / 100:.2f} from {cur} {high / 100:.2f} .",
        lambda: (
            f"{_cap(c)} expects operating profit to {rng.choice(['decrease', 'decline', 'fall', 'weaken'])} {rng.choice(['significantly', 'clearly', 'substantially', ''])} from last year ."
        ),
        lambda: f"{_cap(c)} filed for bankruptcy after failing to refinance its debt .",
        lambda: (
            f"The temporary lay-offs will affect about {rng.randint(20, 1500)} employees at the {rng.choice(CITIES)} {rng.choice(['mill', 'plant', 'unit'])} ."
        ),
        lambda: f"{_cap(c)} will give notice of temporary lay-offs to its {rng.choice(['production', 'office', 'warehouse'])} staff .",
        lambda: f"The result before taxes was a loss of {_money(rng)} , compared with a profit of {_money(rng)} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(m)} was {cur} {low:.1f} {unit} , compared to {cur} {high:.1f} {unit} {rng.choice(YEAR_AGO)} .",
        lambda: f"{_cap(c)} 's {m} is expected to be lower than in {rng.choice(['2024', '2025', 'the previous year'])} .",
        lambda: f"{_cap(c)} said the market situation remains difficult and {m} will be lower than last year .",
    ]
    return rng.choice(templates)()


def _neutral(rng: random.Random) -> str:
    c, m, p = _subject(rng), rng.choice(METRICS), _period(rng)
    cur = rng.choice(CURRENCY)
    templates = [
        lambda: f"{_cap(m)} totalled {_money(rng)} {p} .",
        lambda: f"{_cap(m)} amounted to {_money(rng)} {p} .",
        lambda: f"{_cap(c)} 's {m} {_be(m)} {_money(rng)} {p} .",
        lambda: f"In {rng.choice(['2023', '2024', '2025'])} , {c} 's {m} stood at {_money(rng)} .",
        lambda: f"The company 's {m} {_be(m)} {_money(rng)} in the corresponding period a year ago .",
        lambda: f"{_cap(m)} {_be(m)} {_money(rng)} , of which {rng.choice(COUNTRIES)} accounted for {rng.randint(5, 60)} % .",
        lambda: f"{_cap(c)} said {m} {_be(m)} in line with the previous year .",
        lambda: f"{_cap(m)} remained at the previous year 's level .",
        lambda: f"{_cap(c)} reiterated its outlook and expects {m} to remain at last year 's level .",
        lambda: (
            f"{_cap(c)} will publish its {rng.choice(['interim report', 'half-year report', 'financial statements', 'annual report'])} on {rng.choice(MONTHS)} {rng.randint(1, 28)} ."
        ),
        lambda: f"{_cap(c)} is headquartered in {rng.choice(CITIES)} .",
        lambda: (
            f"The shares are listed on the {rng.choice(['Helsinki', 'Stockholm', 'Nasdaq', 'London', 'Oslo', 'Copenhagen'])} stock exchange ."
        ),
        lambda: f"{_cap(c)} operates in {rng.randint(3, 40)} countries and employs about {rng.randint(100, 20000)} people .",
        lambda: (
            f"{_cap(c)} has some {rng.randint(100, 20000)} employees , of whom about {rng.randint(10, 90)} % work outside {rng.choice(COUNTRIES)} ."
        ),
        lambda: "The value of the transaction was not disclosed .",
        lambda: "Financial terms of the agreement were not disclosed .",
        lambda: f"The purchase price will be paid in cash {rng.choice(['', 'and shares', 'at closing'])} .",
        lambda: (
            f"The transaction is expected to close in the {rng.choice(['first', 'second', 'third', 'fourth'])} quarter of {rng.choice(['2025', '2026'])} ."
        ),
        lambda: f"The deal is subject to approval by the {rng.choice(['competition authorities', 'shareholders', 'regulators'])} .",
        lambda: f"{_cap(c)} appointed {rng.choice(PEOPLE)} as {rng.choice(ROLES)} , effective {rng.choice(MONTHS)} 1 .",
        lambda: f"{rng.choice(PEOPLE)} will succeed {rng.choice(PEOPLE)} as {rng.choice(ROLES)} of {c} .",
        lambda: f"{rng.choice(PEOPLE)} has been elected as a member of the board of {c} .",
        lambda: (
            f"The annual general meeting will be held in {rng.choice(CITIES)} on {rng.choice(['March', 'April', 'May'])} {rng.randint(1, 28)} ."
        ),
        lambda: f"{_cap(c)} is a {rng.choice(['supplier', 'manufacturer', 'provider', 'distributor'])} of {rng.choice(GOODS)} .",
        lambda: (
            f"{_cap(c)} designs and manufactures {rng.choice(GOODS)} for {rng.choice(['industrial', 'consumer', 'public sector', 'energy'])} customers ."
        ),
        lambda: f"{_cap(c)} has {rng.randint(2, 30)} production plants in {rng.choice(REGIONS)} .",
        lambda: f"The board proposes a dividend of {cur} {rng.uniform(0.1, 3):.2f} per share , unchanged from last year .",
        lambda: f"The contract covers the delivery of {rng.choice(GOODS)} and maintenance services .",
        lambda: f"Deliveries are scheduled to begin in {rng.choice(MONTHS)} {rng.choice(['2025', '2026', '2027'])} .",
        lambda: f"{_cap(c)} 's financial statements are prepared in accordance with IFRS .",
        lambda: f"{_cap(c)} will hold a conference call for analysts and investors at {rng.randint(9, 16)}:00 local time .",
        lambda: f"The new facility will be located in {rng.choice(COUNTRIES)} .",
        lambda: f"{_cap(c)} owns {rng.randint(5, 95)} % of the shares in the joint venture .",
        lambda: f"After the transaction , {c} holds {rng.uniform(1, 30):.2f} % of the share capital and voting rights .",
        lambda: f"The new shares will be entered in the trade register on {rng.choice(MONTHS)} {rng.randint(1, 28)} .",
        lambda: f"Trading in the new shares is expected to begin on {rng.choice(MONTHS)} {rng.randint(1, 28)} .",
        lambda: f"{_cap(c)} 's share capital is {_money(rng)} , divided into {rng.randint(5, 900)} million shares .",
        lambda: f"The company was founded in {rng.randint(1850, 2015)} and is based in {rng.choice(CITIES)} .",
        lambda: "The figures are unaudited .",
        lambda: "The report is available on the company 's website .",
        lambda: f"{_cap(c)} said it will announce further details {rng.choice(['later', 'in due course', 'next week'])} .",
        lambda: (
            f"The {rng.choice(['unit', 'subsidiary', 'division', 'business area'])} sells {rng.choice(GOODS)} mainly in {rng.choice(REGIONS)} ."
        ),
        lambda: f"{_cap(c)} is part of the {rng.choice(COMPANIES)} group .",
        lambda: (
            f"According to {c} , the {rng.choice(['project', 'programme', 'investment'])} will be carried out in {rng.randint(2, 4)} phases ."
        ),
        lambda: "The company did not comment on the report .",
        lambda: (
            f"{_cap(c)} 's {rng.choice(['CEO', 'CFO', 'chairman'])} {rng.choice(PEOPLE)} will present the results at a press conference ."
        ),
        lambda: f"The {rng.choice(GOODS)} will be manufactured at {c} 's plant in {rng.choice(CITIES)} .",
        lambda: f"{_cap(c)} changed its reporting structure and now reports {rng.randint(2, 5)} business segments .",
        lambda: f"{_cap(c)} 's figures for the comparison period have been restated .",
        lambda: (
            f"{_cap(c)} is listed on the {rng.choice(['Helsinki', 'Stockholm', 'Oslo', 'Copenhagen'])} exchange under the ticker {rng.choice(['NVG', 'AAL', 'BPX', 'KFD', 'HLG', 'VST'])} ."
        ),
        lambda: (
            f"The {rng.choice(['system', 'solution', 'service', 'product'])} enables customers to {rng.choice(['monitor energy use', 'track shipments', 'manage payments', 'plan maintenance'])} in real time ."
        ),
        lambda: f"The shares were traded at {cur} {rng.uniform(2, 60):.2f} on {rng.choice(MONTHS)} {rng.randint(1, 28)} .",
        lambda: f"{_cap(c)} has operations in {rng.choice(COUNTRIES)} , {rng.choice(COUNTRIES)} and {rng.choice(COUNTRIES)} .",
        lambda: (
            f"{_cap(c)} will report its results for the {rng.choice(['first', 'second', 'third', 'fourth'])} quarter on {rng.choice(MONTHS)} {rng.randint(1, 28)} ."
        ),
        lambda: (
            f"{_cap(c)} will build a new {rng.choice(['plant', 'warehouse', 'terminal', 'office building', 'mill'])} in {rng.choice(CITIES)} , and construction is scheduled to start in {rng.choice(MONTHS)} ."
        ),
        lambda: f"The investment is estimated at {_money(rng)} .",
        lambda: f"The plant will have an annual production capacity of {rng.randint(10, 900)} 000 tonnes .",
        lambda: f"{_cap(c)} expects its {m} for {rng.choice(['2025', '2026', '2027'])} to be about {_money(rng)} .",
        lambda: f"{_cap(c)} 's customers include {rng.choice(CUSTOMERS)} and {rng.choice(CUSTOMERS)} .",
        lambda: f"{_cap(rng.choice(CUSTOMERS))} is {c} 's largest customer .",
        lambda: f"{_cap(c)} sells its products in more than {rng.randint(5, 120)} countries .",
        lambda: f"The group 's operations are organised into {rng.choice(['two', 'three', 'four', 'five'])} business areas .",
        lambda: (
            f"The acquisition will be financed with {rng.choice(['cash', 'debt', 'a share issue', 'cash and new shares', 'existing credit facilities'])} ."
        ),
        lambda: f"{_cap(c)} will combine its {rng.choice(GOODS)} and {rng.choice(GOODS)} units into a single business area .",
        lambda: f"The agreement was signed in {rng.choice(CITIES)} on {rng.choice(MONTHS)} {rng.randint(1, 28)} .",
        lambda: f"The order consists of {rng.randint(2, 40)} {rng.choice(GOODS)} and related installation services .",
        lambda: f"The total value of the {rng.choice(['contract', 'order', 'agreement', 'project'])} is {_money(rng)} .",
        lambda: (
            f"{_cap(c)} had net sales of {_money(rng)} in {rng.choice(['2023', '2024', '2025'])} and employs {rng.randint(50, 9000)} people ."
        ),
        lambda: f"{_cap(c)} acquired the {rng.choice(GOODS)} business of {rng.choice(COMPANIES)} in {rng.randint(1995, 2022)} .",
        lambda: (
            f"The shares will be offered to {rng.choice(['institutional investors', 'the public', 'existing shareholders', 'employees'])} ."
        ),
        lambda: f"{_cap(c)} 's largest shareholder is {rng.choice(COMPANIES)} with a stake of {rng.uniform(5, 45):.1f} % .",
        lambda: f"The offer price is {cur} {rng.uniform(1, 60):.2f} per share .",
        lambda: f"{_cap(c)} did not disclose the financial impact of the decision .",
        lambda: f"The project is expected to be completed by {rng.choice(['2026', '2027', '2028', 'the end of the year'])} .",
        lambda: f"The service will be available in {rng.choice(COUNTRIES)} from {rng.choice(MONTHS)} .",
        lambda: f"{_cap(c)} expects its {m} to be at the same level as in {rng.choice(['2024', '2025', 'the previous year'])} .",
        lambda: (
            f"The {rng.choice(['plant', 'unit', 'subsidiary', 'company'])} produces {rng.choice(GOODS)} for the {rng.choice(['construction', 'automotive', 'energy', 'forest', 'food'])} industry ."
        ),
        lambda: (
            f"The company 's {rng.choice(['strategy', 'dividend policy', 'financial targets'])} will be presented at the capital markets day in {rng.choice(MONTHS)} ."
        ),
        lambda: f"About {rng.randint(10, 90)} % of {c} 's {m} comes from {rng.choice(REGIONS)} .",
        lambda: f"{_cap(c)} generated {rng.randint(10, 90)} % of its net sales in {rng.choice(REGIONS)} .",
        lambda: f"The increase in share capital was entered in the trade register on {rng.choice(MONTHS)} {rng.randint(1, 28)} .",
        lambda: (
            f"After the share issue , the number of {c} shares will increase to {rng.randint(5, 900)} {rng.randint(100, 999)} {rng.randint(100, 999)} ."
        ),
        lambda: (
            f"{_cap(rng.choice(['a pension fund', 'an investment fund', 'a board member', 'the CEO', 'a Swedish asset manager']))} bought {rng.randint(1, 900)} 000 {c} shares at an average price of {cur} {rng.uniform(1, 60):.2f} ."
        ),
        lambda: (
            f"{_cap(rng.choice(['a pension fund', 'an investment fund', 'a board member', 'a Swedish asset manager']))} sold {rng.randint(1, 900)} 000 shares in {c} ."
        ),
        lambda: (
            f"According to a notification received by {c} , the holding of {rng.choice(COMPANIES)} has {rng.choice(['exceeded', 'fallen below'])} the {rng.choice(['5', '10', '15', '20'])} % threshold ."
        ),
        lambda: (
            f"{_cap(c)} shares were traded on the {rng.choice(['Helsinki', 'Stockholm', 'Oslo', 'Copenhagen'])} exchange today , with a turnover of {_money(rng)} ."
        ),
        lambda: (
            f"The {rng.choice(['Helsinki', 'Stockholm', 'Oslo', 'Copenhagen'])} stock exchange index closed at {rng.randint(800, 12000)} points ."
        ),
        lambda: (
            f"{_cap(c)} will give its outlook for {rng.choice(['2026', '2027', 'the current year'])} in connection with the {rng.choice(['annual report', 'interim report', 'financial statements'])} ."
        ),
        lambda: f"{_cap(c)} 's strategy focuses on {rng.choice(GOODS)} and related services .",
        lambda: f"{_cap(c)} sold its {rng.choice(GOODS)} business to {rng.choice(COMPANIES)} in {rng.randint(1998, 2022)} .",
        lambda: "The analysis is based on figures reported by the companies .",
        lambda: (
            f"{_cap(c)} published its {rng.choice(['sustainability report', 'annual report', 'corporate governance statement'])} today ."
        ),
        lambda: (
            f"The brand is sold in {rng.choice(['supermarkets', 'department stores', 'pharmacies', 'online stores'])} in {rng.choice(COUNTRIES)} ."
        ),
    ]
    return rng.choice(templates)()


def _plain_style(text: str) -> str:
    """The same sentence in ordinary typography (no spaces before punctuation, 'mn' as 'million')."""
    text = text.replace(" 's", "'s").replace(" ' ", "' ")
    text = re.sub(r" ([,.:;])", r"\1", text)
    text = re.sub(r"(\d) %", r"\1%", text)
    return re.sub(r"\s+", " ", text).strip()


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace(" , .", " .").strip()


def financial_news_sentences(n_per_label: int = 2000, seed: int = 7, neutral_ratio: float = 1.25,
                             plain_share: float = 0.25) -> list[tuple[str, str]]:
    """``n_per_label`` positive and negative sentences and ``neutral_ratio`` times as many neutral ones (news
    is mostly neutral), as (text, label) rows, de-duplicated; ``plain_share`` of them in ordinary typography."""
    rng = random.Random(seed)
    makers = {"positive": _positive, "negative": _negative, "neutral": _neutral}
    rows: list[tuple[str, str]] = []
    for label, make in makers.items():
        wanted = round(n_per_label * neutral_ratio) if label == "neutral" else n_per_label
        seen: set[str] = set()
        attempts = 0
        while len(seen) < wanted and attempts < wanted * 50:
            attempts += 1
            text = _tidy(make(rng))
            if rng.random() < plain_share:
                text = _plain_style(text)
            if text not in seen:
                seen.add(text)
                rows.append((text, label))
    return rows
