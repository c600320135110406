"""Sentence vectors of items for grouping them into stories (the project's fast base encoder, core.nlp.sentence_encoder).

An item is embedded once: its headline without publisher suffix or wire prefix, followed by the start of its summary
when the summary says more than the headline. The worker keeps the vectors of the texts it has seen in a bounded
in-process cache keyed by the text, so each cycle embeds only new texts (a copy syndicated word for word is embedded
once); after a restart the items of the current time window are embedded once more (benchmarks/stories.py measures
the cost per item).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

from core.stories.normalise import normalise_text, strip_publisher

SUMMARY_CHARS = 200  # how much of the summary follows the headline
CACHE_ITEMS = 200_000  # vectors kept by the worker (float16, 384 values: about 150 MB at most)

Embed = Callable[[Sequence[str]], np.ndarray]


def story_text(title: str, summary: str) -> str:
    """What is embedded: the headline (publisher and wire tags removed) and the summary's start when it is not just
    the headline again (aggregators repeat the title as the summary)."""
    headline = strip_publisher(title or "")
    lead = " ".join((summary or "").split())[:SUMMARY_CHARS]
    if not lead or normalise_text(lead[:60]) in normalise_text(title or "") or normalise_text(headline) in normalise_text(lead):
        return headline
    return f"{headline}. {lead}"


def encoder_embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors from the fast base encoder (batched, length-sorted)."""
    from core.nlp.sentence_encoder import get_sentence_encoder

    return get_sentence_encoder("fast").encode(list(texts))


class VectorCache:
    """Vectors by text, the least recently used dropped beyond ``limit`` texts; stored as float16."""

    def __init__(self, limit: int = CACHE_ITEMS) -> None:
        self.limit = limit
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def vectors(self, texts: Sequence[str], embed: Embed = encoder_embed) -> list[np.ndarray]:
        """The unit vector of every text (in order), embedding the texts not cached yet in one batch."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = embed(missing).astype(np.float16)
            with self._lock:
                self._vectors.update(zip(missing, fresh, strict=True))
        with self._lock:
            out = []
            for text in texts:
                self._vectors.move_to_end(text)
                out.append(self._vectors[text].astype(np.float32))
            while len(self._vectors) > self.limit:
                self._vectors.popitem(last=False)
            return out


worker_cache = VectorCache()
