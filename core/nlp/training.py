"""Fine-tuning in plain PyTorch: head only (frozen encoder), LoRA (peft) or full; seeded, early-stopped."""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch

from core.nlp.base_model import BaseEncoderUnavailable, base_encoder, tokenize
from core.nlp.classifier import TextClassifier
from core.nlp.device import (
    autocast,
    choose_device,
    inference_batch_size,
    inference_dtype,
    length_sorted_batches,
    place,
    training_dtype,
)
from core.nlp.evaluation import classification_report
from core.nlp.model import MeanPoolClassifier, keep_first_layers
from core.nlp.store import new_base_model

DEFAULT_LR = {"head": 1e-2, "lora": 1e-3, "full": 5e-5}
DEFAULT_EPOCHS = {"head": 60, "lora": 4, "full": 4}
# LoRA and full fine-tuning left to their default epochs make at least MIN_TRAINING_STEPS optimiser steps, and early
# stopping waits at least PATIENCE_STEPS steps without gain (2 epochs of a 120-row file are 8 steps): the defaults
# suit files of thousands of rows. On 120 and 400 tweets (benchmarks/small_files.py, scored on other rows of the same
# file) LoRA went from macro-F1 0.27 to 0.52 and from 0.41 to 0.66. Files above about 1,400 rows are unchanged.
MIN_TRAINING_STEPS = 150
PATIENCE_STEPS = 30


class TrainingCancelled(Exception):
    """Raised inside training when the user cancels; nothing is registered."""


@dataclass
class TrainingParams:
    method: str = "head"
    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int = 32
    max_length: int = 128
    lora_rank: int = 8
    validation_share: float = 0.15
    patience: int = 2
    seed: int = 13
    base: str = "fast"  # the base encoder: fast (all-MiniLM-L6-v2) or accurate (all-mpnet-base-v2)
    layers: int | None = None  # keep only the encoder's first N transformer layers (a smaller, faster model); full only

    def resolved(self) -> TrainingParams:
        if self.method not in DEFAULT_LR:
            raise ValueError(f"unknown method {self.method!r}; use head, lora or full")
        encoder = base_encoder(self.base)  # a clear error for an unknown base
        if self.layers is not None and not 1 <= self.layers <= encoder.layers:
            raise ValueError(f"a model on the {encoder.key} encoder keeps 1 to {encoder.layers} layers, not {self.layers}")
        if self.layers is not None and self.method != "full":
            raise ValueError("a model with fewer layers is trained in full (method full): head and lora versions are "
                             "rebuilt from the whole base encoder when they load")  # fmt: skip
        out = copy.copy(self)
        out.epochs = self.epochs or DEFAULT_EPOCHS[self.method]
        out.learning_rate = self.learning_rate or DEFAULT_LR[self.method]
        if self.method == "head":
            out.patience = max(self.patience, 8)
        return out

    def for_rows(self, rows: int) -> TrainingParams:
        """These settings for a file of ``rows`` rows: LoRA or full fine-tuning left to the default epochs gets enough
        of them for ``MIN_TRAINING_STEPS`` steps, and a patience of at least ``PATIENCE_STEPS`` steps (early stopping
        still ends sooner); anything else as it is."""
        if self.epochs is not None or self.method == "head" or not rows:
            return self
        return replace(self.with_min_steps(rows), patience=max(self.patience, epochs_reaching(PATIENCE_STEPS, rows, self)))

    def with_min_steps(self, rows: int) -> TrainingParams:
        """These settings with their epochs (the method's default when unset) raised, where needed, to make
        ``MIN_TRAINING_STEPS`` optimiser steps over ``rows`` rows."""
        epochs = self.epochs or DEFAULT_EPOCHS[self.method]
        return replace(self, epochs=max(epochs, epochs_reaching(MIN_TRAINING_STEPS, rows, self)))

    def as_dict(self) -> dict:
        return asdict(self.resolved())


def epochs_reaching(steps: int, rows: int, params: TrainingParams) -> int:
    """The epochs over ``rows`` rows (less the validation share held out) that make at least ``steps`` optimiser
    steps at ``params``' batch size."""
    per_epoch = max(1, math.ceil(rows * (1 - params.validation_share) / params.batch_size))
    return math.ceil(steps / per_epoch)


@dataclass
class TrainingProgress:
    epoch: int
    epochs: int
    step: int
    total_steps: int
    loss: float
    val_accuracy: float | None = None
    val_macro_f1: float | None = None


@dataclass
class TrainingResult:
    model: MeanPoolClassifier
    labels: list[str]
    params: TrainingParams
    metrics: dict
    val_texts: list[str]
    val_labels: list[str]
    val_predictions: list[str]
    val_confidences: list[float]
    history: list[dict] = field(default_factory=list)
    saveable: torch.nn.Module | None = None  # what store.save_model writes (the peft wrapper for LoRA)
    duration_s: float = 0.0
    device: str = "cpu"


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def stratified_split(labels: Sequence[str], share: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, validation): ``share`` of each class (at least one when a class has 2+ rows)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    train, val = [], []
    for label in sorted(by_label):
        idx = by_label[label]
        rng.shuffle(idx)
        n_val = min(len(idx) - 1, max(1, round(len(idx) * share))) if len(idx) > 1 else 0
        val += idx[:n_val]
        train += idx[n_val:]
    return sorted(train), sorted(val)


ProgressFn = Callable[[TrainingProgress], None]
StopFn = Callable[[], bool]


def train_classifier(
    texts: Sequence[str],
    labels: Sequence[str],
    params: TrainingParams,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    device: str = "auto",
    label_order: Sequence[str] | None = None,
    soft_targets: np.ndarray | None = None,
) -> TrainingResult:
    """Train one classifier; the best epoch on the validation split is kept (early stopping). With
    ``soft_targets`` (one probability row per text, columns in ``label_order``: a teacher's predictions, for
    distillation) the loss is the cross-entropy against those probabilities instead of the hard ``labels``;
    ``labels`` then only split the rows and measure validation (agreement with the teacher's labels)."""
    params = params.for_rows(len(texts)).resolved()
    seed_everything(params.seed)
    label_list = list(label_order) if label_order else sorted(set(labels))
    train_idx, val_idx = stratified_split(labels, params.validation_share, params.seed)
    y = np.array([label_list.index(label) for label in labels])
    targets = y if soft_targets is None else np.asarray(soft_targets, dtype=np.float32)
    if targets.shape[0] != len(y) or (soft_targets is not None and targets.shape != (len(y), len(label_list))):
        raise ValueError(f"soft targets need one row per text and one column per label: {targets.shape} for {len(y)} texts")
    dev = torch.device(choose_device(device))
    started = time.perf_counter()
    model = new_base_model(label_list, params.base)
    if params.layers is not None:
        model = keep_first_layers(model, params.layers)
    fit = _fit_head if params.method == "head" else _fit_encoder
    history, saveable = fit(
        model, list(texts), y, targets, train_idx, val_idx, params, dev, progress, should_stop or (lambda: False)
    )
    model = place(model, "cpu", torch.float32)
    result = _evaluate(model, texts, label_list, val_idx, labels)
    result.params, result.history, result.saveable = params, history, saveable
    result.duration_s = time.perf_counter() - started
    result.device = dev.type
    return result


def _evaluate(
    model: MeanPoolClassifier, texts: Sequence[str], label_list: list[str], val_idx: list[int], labels: Sequence[str]
) -> TrainingResult:
    val_texts = [texts[i] for i in val_idx]
    val_labels = [labels[i] for i in val_idx]
    scorer = TextClassifier(copy.deepcopy(model), label_list, precision="fp32")
    probs = scorer.predict_proba(val_texts) if val_texts else np.zeros((0, len(label_list)))
    preds = [label_list[i] for i in probs.argmax(axis=1)] if len(val_texts) else []
    metrics = classification_report(val_labels, preds, label_list)
    return TrainingResult(
        model,
        label_list,
        TrainingParams(),
        metrics,
        val_texts,
        val_labels,
        preds,
        probs.max(axis=1).tolist() if len(val_texts) else [],
    )


def _encode_frozen(
    model: MeanPoolClassifier, texts: list[str], max_length: int, dev: torch.device, should_stop: StopFn
) -> torch.Tensor:
    encoder = place(model, dev.type)
    out = torch.zeros(len(texts), model.config.hidden_size)
    with torch.inference_mode(), autocast(dev.type, inference_dtype(dev.type)):
        for idx in length_sorted_batches(texts, inference_batch_size(dev.type)):
            if should_stop():
                raise TrainingCancelled("training cancelled by the user")
            batch = tokenize([texts[i] for i in idx], max_length, dev, model.base)
            out[torch.as_tensor(idx)] = encoder.embed(**batch).float().cpu()
    return out


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_labels: int) -> tuple[float, float]:
    names = [str(i) for i in range(n_labels)]
    report = classification_report([str(v) for v in y_true], [str(v) for v in y_pred], names)
    return report["accuracy"], report["macro_f1"]


def _fit_head(model, texts, y, targets, train_idx, val_idx, params, dev, progress, should_stop):
    """Frozen encoder: embed once, then train only the linear head on the cached embeddings (``targets``: label
    indices, or probability rows for soft targets; cross-entropy takes either)."""
    emb = _encode_frozen(model, texts, params.max_length, dev, should_stop)
    head = place(model.classifier, dev.type, torch.float32, train=True)
    x_train, y_train = emb[train_idx].to(dev), torch.as_tensor(targets[train_idx], device=dev)
    x_val, y_val = emb[val_idx].to(dev), y[val_idx]
    optimizer = torch.optim.AdamW(head.parameters(), lr=params.learning_rate, weight_decay=1e-4)
    steps_per_epoch = max(1, math.ceil(len(train_idx) / max(params.batch_size, 256)))
    history = _epoch_loop(
        params,
        progress,
        should_stop,
        steps_per_epoch,
        head,
        step=lambda gen: _head_steps(head, optimizer, x_train, y_train, max(params.batch_size, 256), gen),
        validate=lambda: torch.softmax(head(x_val).detach().float(), dim=1).cpu().numpy(),
        y_val=y_val,
        n_labels=len(model.config.id2label),
        soft_val=_soft_rows(targets, val_idx),
    )
    return history, model


def _head_steps(head, optimizer, x, y, batch_size, gen):  # noqa: ANN001, ANN202
    perm = torch.randperm(len(x), generator=gen).to(x.device)
    for start in range(0, len(x), batch_size):
        idx = perm[start : start + batch_size]
        loss = torch.nn.functional.cross_entropy(head(x[idx]), y[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        yield float(loss.detach())


def _fit_encoder(model, texts, y, targets, train_idx, val_idx, params, dev, progress, should_stop):
    """LoRA or full fine-tuning of the encoder and head, mixed precision on CUDA."""
    trainable = _lora_wrapped(model, params) if params.method == "lora" else model
    place(trainable, dev.type, train=True)
    optimizer = torch.optim.AdamW(
        [p for p in trainable.parameters() if p.requires_grad], lr=params.learning_rate, weight_decay=0.01
    )
    steps_per_epoch = max(1, math.ceil(len(train_idx) / params.batch_size))
    total = steps_per_epoch * params.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * max(0.0, 1 - s / total)
    )
    amp_dtype = training_dtype(dev.type)
    val_texts = [texts[i] for i in val_idx]

    def encode(batch_texts):  # noqa: ANN001, ANN202
        return tokenize(batch_texts, params.max_length, dev, params.base)

    def steps(gen):  # noqa: ANN001, ANN202
        trainable.train()
        for idx in _length_grouped_batches(texts, train_idx, params.batch_size, gen):
            with autocast(dev.type, amp_dtype):
                loss = trainable(**encode([texts[i] for i in idx]), labels=torch.as_tensor(targets[idx], device=dev)).loss
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            yield float(loss.detach())

    def validate():
        trainable.eval()
        out = np.empty((len(val_texts), len(model.config.id2label)), dtype=np.float32)
        with torch.inference_mode(), autocast(dev.type, amp_dtype):
            for idx in length_sorted_batches(val_texts, inference_batch_size(dev.type)):
                out[idx] = torch.softmax(trainable(**encode([val_texts[i] for i in idx])).logits.float(), dim=1).cpu().numpy()
        return out

    history = _epoch_loop(
        params,
        progress,
        should_stop,
        steps_per_epoch,
        trainable,
        steps,
        validate,
        y[val_idx],
        len(model.config.id2label),
        _soft_rows(targets, val_idx),
    )
    return history, trainable


def _soft_rows(targets: np.ndarray, idx: list[int]) -> np.ndarray | None:
    """The soft targets of rows ``idx`` (None when training on hard labels)."""
    return targets[idx] if targets.ndim == 2 else None


def _lora_wrapped(model: MeanPoolClassifier, params: TrainingParams) -> torch.nn.Module:
    """``model`` with LoRA adapters on its base encoder's attention and feed-forward projections (the head trains in
    full, saved with the adapter)."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=params.lora_rank,
        lora_alpha=2 * params.lora_rank,
        lora_dropout=0.1,
        target_modules=list(base_encoder(params.base).lora_targets),
        modules_to_save=["classifier"],
    )
    return get_peft_model(model, config)


def _length_grouped_batches(
    texts: Sequence[str], train_idx: list[int], batch_size: int, gen: torch.Generator
) -> list[list[int]]:
    """One epoch of shuffled batches whose texts have similar lengths (so little padding is computed):
    shuffle, sort windows of 50 batches by length, cut them into batches, shuffle the batch order."""
    perm = torch.randperm(len(train_idx), generator=gen).tolist()
    window = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(perm), window):
        chunk = sorted((train_idx[i] for i in perm[start : start + window]), key=lambda i: len(texts[i]))
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    order = torch.randperm(len(batches), generator=gen).tolist()
    return [batches[j] for j in order]


def _epoch_loop(params, progress, should_stop, steps_per_epoch, module, step, validate, y_val, n_labels, soft_val=None) -> list[dict]:
    """Run epochs, validate after each (``validate`` returns probability rows), keep the best weights, stop after
    ``patience`` epochs without gain. Best: the highest validation macro-F1, or with soft targets (``soft_val``) the
    lowest validation cross-entropy against them (the student whose probabilities follow the teacher's)."""
    gen = torch.Generator().manual_seed(params.seed)
    history: list[dict] = []
    best, best_state, stale, global_step = -math.inf, None, 0, 0
    total = steps_per_epoch * params.epochs
    for epoch in range(1, params.epochs + 1):
        losses = []
        for loss in step(gen):
            if should_stop():
                raise TrainingCancelled("training cancelled by the user")
            losses.append(loss)
            global_step += 1
            if progress and global_step % 10 == 0 and len(losses) < steps_per_epoch:  # an epoch's last step: reported below
                progress(TrainingProgress(epoch, params.epochs, global_step, total, loss))
        probs = validate() if len(y_val) else np.zeros((0, n_labels))
        acc, f1 = _macro_f1(y_val, probs.argmax(axis=1), n_labels) if len(y_val) else (0.0, 0.0)
        record = {"epoch": epoch, "step": global_step, "loss": float(np.mean(losses)), "val_accuracy": acc, "val_macro_f1": f1}
        score = f1
        if soft_val is not None and len(y_val):
            record["val_soft_loss"] = float(-(soft_val * np.log(np.clip(probs, 1e-9, 1.0))).sum(axis=1).mean())
            score = -record["val_soft_loss"]
        history.append(record)
        if progress:
            progress(TrainingProgress(epoch, params.epochs, global_step, total, float(np.mean(losses)), acc, f1))
        if score > best + 1e-4:
            best, stale = score, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            stale += 1
            if stale >= params.patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    return history


# Seconds per token on a 2-core CPU, measured on a quiet machine with benchmarks/finetune.py (Banking77, ~16
# tokens a text, and PhraseBank, ~31): one training pass (forward and backward through the whole encoder, so
# LoRA costs about what full fine-tuning does) and one inference pass (head-only training, validation).
_CPU_SECONDS_PER_TOKEN = {"lora": 4.6e-4, "full": 4.4e-4, "encode": 6e-5}
_CUDA_SPEEDUP = 40.0
# How much longer each pass takes per token on the accurate encoder (all-mpnet-base-v2) than on the fast one,
# measured side by side on this 2-core CPU with benchmarks/base_encoders.py (benchmarks/results/base_encoders.json).
_SLOWDOWN = {"fast": {"lora": 1.0, "full": 1.0, "encode": 1.0}, "accurate": {"lora": 3.95, "full": 3.9, "encode": 6.75}}


def mean_tokens(texts: Sequence[str], max_length: int) -> float:
    """Tokens per text after truncation, from character counts (about 4 characters a word piece, plus [CLS] and
    [SEP]); batches are grouped by length, so padding adds little."""
    if not texts:
        return 0.0
    return min(float(max_length), 2 + sum(min(len(t), 4 * max_length) for t in texts) / len(texts) / 4)


def _reference_seconds_per_row(tokens: float, kind: str) -> float:
    """Seconds one text of ``tokens`` tokens takes in a pass of ``kind`` (encode, lora, full) on the fast encoder on
    the reference host, spread over this host's cores as the measured constants assume (2 cores there)."""
    return tokens * 2 / max(1, os.cpu_count() or 1) * _CPU_SECONDS_PER_TOKEN[kind]


_CALIBRATION_TEXT = "The company reported a sharp fall in quarterly profit and cut its full-year outlook"


HOST_FACTOR_MAX_AGE_S = 600.0  # measured again after this: a process started in a busy spell does not keep its factor
_host_factor: tuple[float, float] | None = None  # (time.monotonic() when measured, factor)


def host_speed_factor() -> float:
    """How many times slower than the reference 2-core CPU this host runs the encoder (1.0: as fast). The per-token
    constants above come from one host; a CPU without native bf16, or a busy one, runs several times slower, and
    the estimate shown before training would be as many times too short. Measured at most every
    ``HOST_FACTOR_MAX_AGE_S`` per process (the pages ask on every rerun)."""
    global _host_factor
    now = time.monotonic()
    if _host_factor is None or now - _host_factor[0] > HOST_FACTOR_MAX_AGE_S:
        _host_factor = (now, _measure_host_speed_factor())
    return _host_factor[1]


def _measure_host_speed_factor() -> float:
    """Times one batch of the fast encoder in the precision training uses, after one warm-up batch, the fastest of
    three (a moment's spike is not the machine's speed), against what the constants predict for it."""
    from core.nlp.sentence_encoder import get_sentence_encoder

    try:
        encoder = get_sentence_encoder("fast")
    except (BaseEncoderUnavailable, OSError):  # nothing to time: the reference figures, as before
        return 1.0
    if encoder.device.type != "cpu":
        return 1.0
    texts = [_CALIBRATION_TEXT] * 64
    batch = tokenize(texts, 128, "cpu", "fast")
    timings = []
    with encoder.lock, torch.inference_mode(), autocast("cpu", inference_dtype("cpu")):
        encoder.model.embed(**batch)
        for _ in range(3):
            started = time.perf_counter()
            encoder.model.embed(**batch)
            timings.append(time.perf_counter() - started)
    predicted = len(texts) * _reference_seconds_per_row(batch["input_ids"].shape[1], "encode")
    return min(20.0, max(0.2, min(timings) / predicted))


def estimate_scoring_seconds(
    texts: Sequence[str], rows: int, models: Sequence[tuple[str, int]], device: str = "auto", host_factor: float | None = None,
    start: bool = True,
) -> float:
    """A rough wall-clock estimate for scoring ``rows`` texts like ``texts`` (a sample) with each of ``models``
    (base encoder, max_length), one pass per model, from the same per-token figures and host factor as training;
    ``start``: with the time to start the process and load each model."""
    seconds = 0.0
    for base, max_length in models:
        per_row = _reference_seconds_per_row(mean_tokens(texts, max_length), "encode")
        seconds += rows * per_row * _SLOWDOWN[base_encoder(base).key]["encode"]
    if choose_device(device) == "cuda":
        return seconds / _CUDA_SPEEDUP + 5.0 * len(models) * start
    factor = (host_speed_factor() if host_factor is None else host_factor) if rows else 1.0
    return seconds * factor + 5.0 * len(models) * math.sqrt(factor) * start  # starting the process, loading each model


def can_stop_early(params: TrainingParams, rows: int) -> bool:
    """Whether early stopping can end a run of ``params`` on ``rows`` rows before the last epoch, which
    ``estimate_training_seconds`` counts (a small file's automatic epochs often stop early: 20 s said, 13 s taken)."""
    p = params.for_rows(rows).resolved()
    return p.epochs > p.patience + 1


def estimate_training_seconds(
    texts: Sequence[str], params: TrainingParams, device: str = "auto", host_factor: float | None = None
) -> float:
    """A rough wall-clock estimate shown before training starts: the tokens each pass reads times the measured
    seconds per token of the chosen base encoder, for every epoch (early stopping can end sooner), scaled on a CPU
    by ``host_factor`` (default: ``host_speed_factor()``, measured on this host)."""
    rows = len(texts)
    p = params.for_rows(rows).resolved()
    encoder = base_encoder(p.base)
    slowdown = _SLOWDOWN[encoder.key]
    kept = (p.layers or encoder.layers) / encoder.layers  # a smaller student runs only its first layers
    tokens = mean_tokens(texts, p.max_length)
    encode_s = _reference_seconds_per_row(tokens, "encode") * slowdown["encode"] * kept
    if p.method == "head":
        seconds = rows * encode_s + 0.002 * p.epochs * rows / 1000
    else:
        train_s = _reference_seconds_per_row(tokens, p.method) * slowdown[p.method] * kept
        seconds = p.epochs * rows * ((1 - p.validation_share) * train_s + p.validation_share * encode_s)
    if choose_device(device) == "cuda":
        return seconds / _CUDA_SPEEDUP + 10.0
    factor = (host_speed_factor() if host_factor is None else host_factor) if rows else 1.0
    # Starting the run, loading the encoder and saving the version: 10 s on the reference host; partly imports and
    # disk, which a slower CPU stretches less than the encoder's arithmetic.
    return seconds * factor + 10.0 * math.sqrt(factor)
