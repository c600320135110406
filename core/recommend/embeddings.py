"""Item-text embeddings from a base encoder (``BEACON_RECOMMEND_BASE``: fast MiniLM or accurate MPNet; mean-pooled,
L2-normalised), computed once per catalogue text and base and cached on disk under the data folder."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.nlp.base_model import base_encoder
from core.nlp.sentence_encoder import MAX_LENGTH, get_sentence_encoder
from core.settings import get_settings

log = logging.getLogger("beacon.recommend")
EMBEDDING_STAGE = "embedding the item texts"  # how the save and evaluation jobs, the page and the CLI name this step
PROGRESS_CHUNK = 1024  # texts embedded between two progress reports (a catalogue of 10,000 takes minutes on a CPU)


def cache_dir() -> Path:
    return get_settings().data_dir / "recommend" / "embeddings"


def item_text_base() -> str:
    """The base encoder item texts are embedded with (the ``BEACON_RECOMMEND_BASE`` setting)."""
    return base_encoder(get_settings().recommend_base).key


def texts_fingerprint(texts: list[str]) -> str:
    digest = hashlib.sha256(f"{base_encoder(item_text_base()).name}|{MAX_LENGTH}".encode())
    for text in texts:
        digest.update(text.encode("utf-8", "replace") + b"\x00")
    return digest.hexdigest()[:24]


def embed_texts(texts: list[str], batch_size: int | None = None) -> np.ndarray:
    """(len(texts), hidden size) float32, unit length rows, from the configured base sentence encoder."""
    return get_sentence_encoder(item_text_base()).encode(texts, batch_size)


def _cache_path(texts: list[str]) -> Path:
    return cache_dir() / f"{texts_fingerprint(texts)}.npy"


def embedded(texts: list[str]) -> bool:
    """Whether these item texts are in the cache (saving a version embeds them; a cancelled save may not have)."""
    return _cache_path(texts).exists()


def item_embeddings(texts: list[str], progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """Embeddings of a catalogue's item texts, read from the cache when this exact text list was embedded before.
    ``progress(done, total)`` is called as the texts are embedded (not when they come from the cache)."""
    path = _cache_path(texts)
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    if progress is None:
        vectors = embed_texts(texts)
    else:
        parts = []
        for start in range(0, len(texts), PROGRESS_CHUNK):
            progress(start, len(texts))
            parts.append(embed_texts(texts[start : start + PROGRESS_CHUNK]))
        vectors = np.concatenate(parts) if parts else embed_texts(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    log.info("embedded %d item texts -> %s", len(texts), path)
    return vectors
