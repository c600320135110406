"""Item-text embeddings from the base encoder (mean-pooled MiniLM, L2-normalised), computed once per
catalogue text and cached on disk under the data folder."""

from __future__ import annotations

import hashlib
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from core.nlp.encoder import BASE_MODEL_NAME, base_model_dir, load_tokenizer, pick_device, use_all_cpu_cores
from core.nlp.model import mean_pool
from core.settings import get_settings

log = logging.getLogger("beacon.recommend")
MAX_LENGTH = 128


def cache_dir() -> Path:
    return get_settings().data_dir / "recommend" / "embeddings"


def texts_fingerprint(texts: list[str]) -> str:
    digest = hashlib.sha256(f"{BASE_MODEL_NAME}|{MAX_LENGTH}".encode())
    for text in texts:
        digest.update(text.encode("utf-8", "replace") + b"\x00")
    return digest.hexdigest()[:24]


@lru_cache(maxsize=1)
def _encoder(device: str):  # noqa: ANN202 - transformers model
    from transformers import AutoModel

    use_all_cpu_cores()
    model = AutoModel.from_pretrained(str(base_model_dir()))
    return model.to(pick_device(device)).eval()


def embed_texts(texts: list[str], batch_size: int = 128) -> np.ndarray:
    """(len(texts), 384) float32, unit length rows; batches sorted by length (little padding)."""
    device_pref = get_settings().device
    model = _encoder(device_pref)
    device = next(model.parameters()).device
    tokenizer = load_tokenizer()
    out = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer([texts[i] or " " for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            batch = {k: v.to(device) for k, v in batch.items()}
            hidden = model(**batch).last_hidden_state
            pooled = torch.nn.functional.normalize(mean_pool(hidden, batch["attention_mask"]).float(), dim=-1)
            out[idx] = pooled.cpu().numpy()
    return out


def item_embeddings(texts: list[str]) -> np.ndarray:
    """Embeddings of a catalogue's item texts, read from the cache when this exact text list was embedded before."""
    path = cache_dir() / f"{texts_fingerprint(texts)}.npy"
    if path.exists():
        cached = np.load(path)
        if cached.shape[0] == len(texts):
            return cached
    vectors = embed_texts(texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    log.info("embedded %d item texts -> %s", len(texts), path)
    return vectors
