"""Where models run, in which number format, how many texts go through at once, and which models stay loaded.

Every model goes onto its device through ``place``; every loaded model is kept in the one bounded ``loaded``
cache. The decisions (``choose_device``, ``inference_dtype``, ``training_dtype``, ``inference_batch_size``) are
pure functions of the settings and the machine's ``Capabilities``, so they are tested without a GPU.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

import numpy as np
import torch

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=torch.nn.Module)

CPU_BATCH = 64  # texts per inference pass on a CPU
CUDA_BATCH = 256  # texts per inference pass on a GPU


@dataclass(frozen=True)
class Capabilities:
    """What this machine can do, as far as the decisions below care."""

    cuda: bool = False
    cuda_bf16: bool = False  # the GPU computes in bf16 natively (Ampere or newer)
    cpu_bf16: bool = False  # the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX)
    cpu_cores: int = 1


@lru_cache(maxsize=1)
def machine() -> Capabilities:
    """This machine's capabilities (asked once per process)."""
    cuda = torch.cuda.is_available()
    try:
        cpu_bf16 = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        cpu_bf16 = False
    return Capabilities(
        cuda=cuda,
        cuda_bf16=cuda and torch.cuda.is_bf16_supported(),
        cpu_bf16=cpu_bf16,
        cpu_cores=os.cpu_count() or 1,
    )


def device_label(device: str) -> str:
    """The device in a user's words: "CUDA GPU" or "CPU (2 cores)"."""
    return "CUDA GPU" if device == "cuda" else f"CPU ({machine().cpu_cores} cores)"


def choose_device(preference: str = "auto", caps: Capabilities | None = None) -> str:
    """``cpu`` or ``cuda``: CUDA when present (or asked for), the CPU otherwise (``BEACON_DEVICE``)."""
    caps = caps or machine()
    if preference == "cpu":
        return "cpu"
    if preference == "cuda" and not caps.cuda:
        raise RuntimeError("BEACON_DEVICE=cuda but no CUDA device is available")
    return "cuda" if caps.cuda else "cpu"


def inference_dtype(device: str, precision: str = "auto", caps: Capabilities | None = None) -> torch.dtype:
    """The weights' number format for scoring (``BEACON_SCORING_PRECISION``). ``fp32`` when asked; ``bf16`` when
    asked (on a GPU without bf16, fp16 instead); ``auto``: fp16 on CUDA, bf16 on CPUs with native bf16, else fp32."""
    caps = caps or machine()
    if precision == "fp32":
        return torch.float32
    if device == "cuda":
        if precision == "bf16" and not caps.cuda_bf16:
            log.warning("BEACON_SCORING_PRECISION=bf16 but this GPU has no bf16; scoring in fp16")
        return torch.bfloat16 if precision == "bf16" and caps.cuda_bf16 else torch.float16
    if precision == "bf16" or (precision == "auto" and caps.cpu_bf16):
        return torch.bfloat16
    return torch.float32


def training_dtype(device: str, caps: Capabilities | None = None) -> torch.dtype | None:
    """The mixed-precision (autocast) format for fine-tuning, or None for plain fp32: bf16 on GPUs with bf16 (fp16
    on older ones), bf16 on CPUs with native bf16 units."""
    caps = caps or machine()
    if device == "cuda":
        return torch.bfloat16 if caps.cuda_bf16 else torch.float16
    return torch.bfloat16 if caps.cpu_bf16 else None


def inference_batch_size(device: str, configured: int = 0) -> int:
    """Texts per inference pass: ``configured`` (``BEACON_SCORING_BATCH_SIZE``) when above 0, else 256 on CUDA and 64
    on a CPU."""
    if configured > 0:
        return configured
    return CUDA_BATCH if device == "cuda" else CPU_BATCH


def length_sorted_batches(texts: Sequence[str], size: int) -> Iterator[np.ndarray]:
    """Positions of ``texts`` in batches of ``size``, shortest texts first: each batch pads to similar lengths, so
    little compute is wasted on padding."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    for start in range(0, len(order), size):
        yield order[start : start + size]


def configured_batch_size() -> int:
    """Texts per inference pass on the configured device (``BEACON_DEVICE``, ``BEACON_SCORING_BATCH_SIZE``)."""
    from core.settings import get_settings

    settings = get_settings()
    return inference_batch_size(choose_device(settings.device), settings.scoring_batch_size)


def autocast(device: str, dtype: torch.dtype | None) -> torch.autocast:
    """Mixed precision on ``device`` in ``dtype`` (off when ``dtype`` is None or fp32)."""
    enabled = dtype is not None and dtype != torch.float32
    return torch.autocast(device, dtype=dtype if enabled else None, enabled=enabled)


@lru_cache(maxsize=1)
def use_all_cpu_cores() -> int:
    threads = machine().cpu_cores
    torch.set_num_threads(threads)
    return threads


def place(model: M, device: str, dtype: torch.dtype | None = None, train: bool = False) -> M:
    """Put ``model`` on ``device`` (in ``dtype`` when given), in training or evaluation mode; the one place a model
    goes onto the GPU."""
    use_all_cpu_cores()
    model = model.to(device, dtype=dtype) if dtype is not None else model.to(device)
    return model.train() if train else model.eval()


class ModelCache:
    """Loaded models by key, at most ``bound()`` of them: the least recently used one goes first. Thread-safe; a
    model is loaded once even when several threads ask for it at the same time."""

    def __init__(self, bound: Callable[[], int]) -> None:
        self.bound = bound
        self._models: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]  # type: ignore[return-value]
            model = load()
            self._models[key] = model
            while len(self._models) > max(1, self.bound()):
                self._models.popitem(last=False)
            return model

    def keys(self) -> list[Hashable]:
        with self._lock:
            return list(self._models)

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


def _max_loaded_models() -> int:
    from core.settings import get_settings

    return get_settings().max_loaded_models


loaded = ModelCache(_max_loaded_models)
"""Every model held in memory in this process (task classifiers and the base sentence encoder)."""
