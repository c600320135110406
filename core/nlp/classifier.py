"""TextClassifier: the one inference path for every task (batched, length-sorted, dynamic padding)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.nlp.base_model import tokenize
from core.nlp.device import choose_device, inference_batch_size, inference_dtype, length_sorted_batches, place
from core.nlp.model import INT8, MeanPoolClassifier, base_of

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]


class TextClassifier:
    """Scores texts with one task model on the device and in the precision ``core.nlp.device`` chooses. Create once
    per process (``core.nlp.registry.load_version`` keeps it in the loaded-models cache); ``predict`` is
    thread-compatible."""

    def __init__(
        self,
        model: MeanPoolClassifier,
        labels: Sequence[str],
        max_length: int = 128,
        device: str = "auto",
        precision: str = "auto",
        task: str = "",
        version: int | None = None,
    ) -> None:
        if getattr(model, "quantisation", "") == INT8:  # dynamic int8 layers run on the CPU with fp32 activations
            device, precision = "cpu", "fp32"
        self.device = torch.device(choose_device(device))
        self.dtype = inference_dtype(self.device.type, precision)
        self.base = base_of(model)  # the base encoder, whose tokenizer the texts go through
        self.model = place(model, self.device.type, self.dtype)
        self.labels = list(labels)
        self.max_length = max_length
        self.task = task
        self.version = version

    @property
    def batch_size(self) -> int:
        """Texts per forward pass (``BEACON_SCORING_BATCH_SIZE``, else the device's default)."""
        from core.settings import get_settings

        return inference_batch_size(self.device.type, get_settings().scoring_batch_size)

    def predict_proba(
        self, texts: Sequence[str], batch_size: int | None = None, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Class probabilities, shape (len(texts), len(labels)), rows in input order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        size = batch_size or self.batch_size
        done = 0
        with torch.inference_mode():
            for idx in length_sorted_batches(texts, size):
                logits = self.model(**tokenize([texts[i] for i in idx], self.max_length, self.device, self.base)).logits
                out[idx] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
                done += len(idx)
                if progress:
                    progress(done, len(texts))
        return out

    def predict(
        self, texts: Sequence[str], batch_size: int | None = None, progress: ProgressCallback | None = None
    ) -> list[Prediction]:
        probs = self.predict_proba(texts, batch_size, progress)
        return [self._prediction(row) for row in probs]

    def _prediction(self, row: np.ndarray) -> Prediction:
        best = int(row.argmax())
        return Prediction(
            label=self.labels[best],
            confidence=float(row[best]),
            probabilities={label: float(p) for label, p in zip(self.labels, row)},
        )
