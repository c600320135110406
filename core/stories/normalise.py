"""How an item's title, summary and link are normalised before stories are compared (pure functions).

A wire story syndicated by several feeds arrives with the publisher appended to the title (" - Reuters",
" | Yahoo Finance"), a prefix ("EXCLUSIVE:", "UPDATE 2-"), different case and punctuation, and links
carrying tracking parameters (utm_*, fbclid ...). These functions remove those differences.
"""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "cmpid", "cmp", "ref", "ref_src", "src", "source",
     "ocid", "taid", "guccounter", "guce_referrer", "guce_referrer_sig", "yptr", "siteid", "mod", "rss", "feed", "oc"}
)
_WIRE_TAGS = r"exclusive|breaking|update\s*\d*|corrected|analysis|explainer|breakingviews|factbox|insight"
_PREFIX = re.compile(rf"^\s*(?:(?:{_WIRE_TAGS})\s*[-:|–—]\s*)+", re.I)
_SUFFIX = re.compile(r"\s+[-|–—]\s+([^-|–—]{1,40})$")
_WORD = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    "a an the and or but of to in on at for from by with as is are was were be been being it its this that these those "
    "after before over under into about than then so not no yes up down out off new says said say will would could "
    "can may might has have had do does did how why what when where who whom which while amid via vs".split()
)


def strip_publisher(title: str) -> str:
    """The headline without a trailing publisher (' - Reuters', ' | CNBC') or a wire prefix ('EXCLUSIVE:').
    The trailing part is only removed when it is short (a name, not half of the headline)."""
    text = _PREFIX.sub("", title.strip())
    match = _SUFFIX.search(text)
    if match and len(match.group(1).split()) <= 4 and len(text) - len(match.group(0)) >= 20:
        text = text[: match.start()]
    return text.strip()


def normalise_text(text: str) -> str:
    """Lowercase, HTML entities decoded, accents and curly quotes folded, punctuation removed, spaces collapsed."""
    text = unicodedata.normalize("NFKD", html.unescape(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("\u2019", "'").replace("\u2018", "'").lower()
    return " ".join(_WORD.findall(text))


def normalise_title(title: str) -> str:
    return normalise_text(strip_publisher(html.unescape(title or "")))


def column_name(title: str) -> str:
    """The first words of a recurring column's label ('Morning Bid: ...', 'Stocks making the biggest moves midday: ...'
    -> 'morning bid', 'stocks making the biggest'); '' for a headline without a short label before a colon. Two
    editions of one column read alike but are different stories."""
    label, colon, _ = strip_publisher(html.unescape(title or "")).partition(":")
    words = normalise_text(label).split()
    return " ".join(words[:4]) if colon and 1 <= len(words) <= 8 else ""


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_words(text: str) -> frozenset[str]:
    """The normalised text's words that carry content (stop words dropped, plural 's' removed)."""
    return frozenset(_stem(w.replace(",", "").replace("'", "")) for w in normalise_text(text).split() if w not in _STOPWORDS)


def canonical_link(url: str | None) -> str:
    """The link without tracking parameters (utm_* and the usual click ids), fragment, 'www.' or trailing slash;
    '' for no link. Two feeds linking to the same article with different tracking give the same string."""
    if not url:
        return ""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS]
    host = parts.netloc.lower().removeprefix("www.")
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, host, parts.path.rstrip("/"), urlencode(sorted(query)), ""))
