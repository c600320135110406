"""Model files on disk: one folder per version with a manifest of file hashes, verified on load."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from transformers.utils import logging as hf_logging

from core.nlp.base_model import DEFAULT_BASE, BaseEncoderUnavailable, base_encoder, base_model_dir
from core.nlp.model import INT8, INT8_EMBEDDINGS, MeanPoolClassifier, base_of, classifier_class

# peft (pinned) still asks the model for transformers' deprecated is_gradient_checkpointing: a warning for every LoRA
# version loaded or trained that only fills the worker's and the app's logs
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)

MANIFEST = "manifest.json"
VALIDATION_ROWS = "validation.csv"  # the version's validation rows (text,label), to compare versions on the same rows
METHODS = ("head", "lora", "full")
hf_logging.set_verbosity_error()
hf_logging.disable_progress_bar()


class ModelFilesError(RuntimeError):
    """A model version's files are missing or do not match their manifest."""


@dataclass(frozen=True)
class ModelFiles:
    folder: Path
    task: str
    method: str
    labels: list[str]
    max_length: int
    base: str = DEFAULT_BASE  # the base encoder ("fast" for versions saved before the accurate one existed)
    data_fingerprint: str = ""  # sha256 of the training rows (``core.nlp.datacheck.data_fingerprint``)
    quantisation: str = ""  # "int8": load_model quantises the linear layers (a distilled student that passed its check)


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def new_base_model(labels: list[str], base: str = DEFAULT_BASE) -> MeanPoolClassifier:
    """The base encoder ``base`` (fast or accurate) with a fresh head for ``labels``."""
    return classifier_class(base).from_pretrained(
        str(base_model_dir(base)),
        dtype=torch.float32,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )


def save_model(
    model: torch.nn.Module,
    folder: Path,
    task: str,
    method: str,
    labels: list[str],
    max_length: int,
    data_fingerprint: str = "",
    quantisation: dict | None = None,
) -> Path:
    """Write a trained model. ``head``: only the linear head; ``lora``: the peft adapter (with the
    head as a module to save); ``full``: every weight. A manifest with sha256 hashes, the base encoder and the
    training data's fingerprint goes last. ``quantisation`` ({"quantisation": "int8+embeddings", "int8_agreement": ...}) is
    recorded in the manifest: the weights stay fp32 and ``load_model`` quantises them. peft's generated model card
    (``adapter/README.md``) is not kept: nothing in the folder is left unhashed."""
    if method not in METHODS:
        raise ValueError(f"unknown training method {method!r}; use one of {', '.join(METHODS)}")
    folder.mkdir(parents=True, exist_ok=True)
    if method == "head":
        head = {k: v.detach().float().cpu().contiguous() for k, v in model.classifier.state_dict().items()}
        save_file(head, str(folder / "head.safetensors"))
    elif method == "lora":
        model.save_pretrained(str(folder / "adapter"))
        (folder / "adapter" / "README.md").unlink(missing_ok=True)
    else:
        model.save_pretrained(str(folder / "full"))
    files = {
        str(p.relative_to(folder)): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST
    }
    manifest = {"task": task, "method": method, "base": base_of(model), "labels": labels, "max_length": max_length}
    if data_fingerprint:
        manifest["data_fingerprint"] = data_fingerprint
    manifest |= quantisation or {}
    manifest["files"] = files
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return folder


def verify_model_files(folder: Path) -> ModelFiles:
    """Check the manifest and every file hash; raise ModelFilesError naming what is wrong."""
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise ModelFilesError(f"model folder {folder} has no {MANIFEST}; the version is incomplete or was deleted")
    try:
        manifest = json.loads(manifest_path.read_text())
        files = manifest["files"]
    except (ValueError, KeyError) as exc:
        raise ModelFilesError(f"{manifest_path} is not a valid manifest: {exc}") from exc
    for name, expected in files.items():
        path = folder / name
        if not path.exists():
            raise ModelFilesError(f"model file {path} is missing")
        if _sha256(path) != expected:
            raise ModelFilesError(f"model file {path} is corrupt (checksum mismatch)")
    base = manifest.get("base", DEFAULT_BASE)
    quantisation = str(manifest.get("quantisation", ""))
    if quantisation not in ("", INT8, INT8_EMBEDDINGS):
        raise ModelFilesError(f"{manifest_path}: unknown quantisation {quantisation!r}; this version of Beacon knows "
                              f"{INT8} and {INT8_EMBEDDINGS}")  # fmt: skip
    try:
        base_encoder(base)
    except ValueError as exc:
        raise ModelFilesError(f"{manifest_path}: {exc}") from None
    return ModelFiles(
        folder, manifest["task"], manifest["method"], list(manifest["labels"]), int(manifest["max_length"]), base,
        str(manifest.get("data_fingerprint", "")), quantisation,
    )  # fmt: skip


def load_model(folder: Path, quantised: bool = True) -> tuple[MeanPoolClassifier, ModelFiles]:
    """Load a verified version as a plain (LoRA-merged) model on the CPU, in eval mode; int8 when its manifest says so
    (unless ``quantised`` is False: the fp32 weights, for comparisons)."""
    info = verify_model_files(folder)
    try:
        if info.method == "full":
            model = classifier_class(info.base).from_pretrained(str(folder / "full"), dtype=torch.float32)
        elif info.method == "lora":
            from peft import PeftModel

            base_model = new_base_model(info.labels, info.base)
            model = PeftModel.from_pretrained(base_model, str(folder / "adapter")).merge_and_unload()
        else:
            model = new_base_model(info.labels, info.base)
            model.classifier.load_state_dict(load_file(str(folder / "head.safetensors")))
    except BaseEncoderUnavailable:
        raise
    except Exception as exc:  # a valid hash over an unreadable file is still a broken version
        raise ModelFilesError(f"could not load model files in {folder}: {exc}") from exc
    model.eval()
    if quantised and info.quantisation in (INT8, INT8_EMBEDDINGS):
        return quantise_int8(model, embeddings=info.quantisation == INT8_EMBEDDINGS), info
    return model, info


def quantise_int8(model: MeanPoolClassifier, embeddings: bool = True) -> MeanPoolClassifier:
    """A copy of ``model`` whose linear layers compute in int8 (PyTorch dynamic quantisation: int8 weights per output
    channel, activations quantised per batch) and, with ``embeddings``, whose embedding tables are stored in 8 bits
    per row too: the word table is most of a small encoder (47 of the fast encoder's 90 MB in fp32), so without it an
    int8 student was larger than its bf16 teacher. It runs on the CPU (``model.quantisation`` tells the classifier)."""
    from torch.ao.quantization import float_qparams_weight_only_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    layers = {torch.nn.Linear: per_channel_dynamic_qconfig}
    if embeddings:
        layers[torch.nn.Embedding] = float_qparams_weight_only_qconfig
    with warnings.catch_warnings():  # torch marks its eager quantisation API as moving to torchao; it works as is
        warnings.simplefilter("ignore")
        quantised = quantize_dynamic(model, layers, dtype=torch.qint8)
    quantised.quantisation = INT8
    return quantised.eval()


def write_validation_rows(folder: Path, texts: list[str], labels: list[str]) -> None:
    """Keep a version's validation rows beside its weights (written before the manifest, so hashed with them)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / VALIDATION_ROWS).open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels))


def read_validation_rows(folder: Path) -> tuple[list[str], list[str]] | None:
    """The validation rows stored with a version, or None for versions saved without them."""
    path = folder / VALIDATION_ROWS
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return ([r["text"] for r in rows], [r["label"] for r in rows]) if rows else None


def copy_model_folder(source: Path, target: Path) -> None:
    verify_model_files(source)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
