"""The base sentence encoders (``fast``: all-MiniLM-L6-v2, ``accurate``: all-mpnet-base-v2; mean-pooled as they were
trained), one per process and base.

Every feature that embeds text with the *base* encoder uses this: FAQ retrieval and the shared intent/sentiment
pass in customer service, item-text embeddings in recommendations. Task classifiers load their own (fine-tuned)
encoders through ``core.nlp.store``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import torch

from core.nlp.base_model import DEFAULT_BASE, BaseEncoderUnavailable, tokenize
from core.nlp.device import choose_device, inference_batch_size, length_sorted_batches, loaded, place

MAX_LENGTH = 128


class SentenceEncoder:
    """Mean-pooled token states of the base encoder, fp32; thread-safe (one lock around the model)."""

    def __init__(self, device: str = "auto", base: str = DEFAULT_BASE) -> None:
        from core.nlp.store import new_base_model

        self.base = base
        self.device = torch.device(choose_device(device))
        self.model = place(new_base_model(["_"], base), self.device.type)  # fp32; the head is unused, only ``embed``
        self.lock = threading.Lock()

    def pooled(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Mean-pooled (not normalised) vectors, shape (n, hidden size: 384 fast, 768 accurate), rows in input order;
        batches are sorted by length (little padding). A missing or empty text gets the vector of a blank."""
        texts = [t if isinstance(t, str) and t else " " for t in texts]
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        batch_size = batch_size or inference_batch_size(self.device.type)
        with self.lock, torch.inference_mode():
            for idx in length_sorted_batches(texts, batch_size):
                batch = tokenize([texts[i] for i in idx], MAX_LENGTH, self.device, self.base)
                vec = self.model.embed(batch["input_ids"], batch["attention_mask"], batch.get("token_type_ids"))
                out[idx] = vec.float().cpu().numpy()
        return out

    def encode(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Unit-length vectors (cosine similarity is a dot product)."""
        return normalise(self.pooled(texts, batch_size))


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def get_sentence_encoder(base: str = DEFAULT_BASE) -> SentenceEncoder:
    """One encoder per process, base and device setting, kept in the loaded-models cache. For ``accurate`` the
    folder is verified first (``BaseEncoderUnavailable`` when it is not installed)."""
    from core.nlp.base_model import base_encoder, base_model_dir
    from core.settings import get_settings

    key = base_encoder(base).key
    folder = str(base_model_dir(key))  # verifies the accurate encoder before anything loads it
    device = get_settings().device
    return loaded.get(("base sentence encoder", key, folder, device), lambda: SentenceEncoder(device, key))


def accurate_encoder_available() -> bool:
    """Whether the accurate encoder is assembled and verified (cheap after the first check: sizes and times)."""
    from core.nlp.base_model import base_model_dir

    try:
        base_model_dir("accurate")
    except BaseEncoderUnavailable:
        return False
    return True
