"""TextClassifier: the one inference path for every task (batched, length-sorted, dynamic padding)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from core.nlp.encoder import (
    cpu_supports_bf16,
    load_tokenizer,
    pick_device,
    use_all_cpu_cores,
)
from core.nlp.model import MeanPoolClassifier

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float
    probabilities: dict[str, float]


def choose_precision(device: torch.device, preference: str = "auto") -> torch.dtype:
    """fp16 on CUDA, bf16 on CPUs with native bf16 units, fp32 otherwise (or when asked)."""
    if preference == "fp32":
        return torch.float32
    if device.type == "cuda":
        return torch.float16
    if preference == "bf16" or (preference == "auto" and cpu_supports_bf16()):
        return torch.bfloat16
    return torch.float32


class TextClassifier:
    """Scores texts with one task model. Create once per process; ``predict`` is thread-compatible."""

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
        use_all_cpu_cores()
        self.device = pick_device(device)
        self.dtype = choose_precision(self.device, precision)
        self.model = model.to(self.device, dtype=self.dtype).eval()
        self.tokenizer = load_tokenizer()
        self.labels = list(labels)
        self.max_length = max_length
        self.task = task
        self.version = version
        self.batch_size = 256 if self.device.type == "cuda" else 64

    def predict_proba(
        self, texts: Sequence[str], batch_size: int | None = None, progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Class probabilities, shape (len(texts), len(labels)), rows in input order."""
        texts = [t if isinstance(t, str) else "" for t in texts]
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        size = batch_size or self.batch_size
        # Sorting by length keeps padding, and so wasted compute, small within each batch.
        order = np.argsort([len(t) for t in texts], kind="stable")
        done = 0
        with torch.inference_mode():
            for start in range(0, len(order), size):
                idx = order[start : start + size]
                batch = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                ).to(self.device)
                logits = self.model(**batch).logits
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
