"""Distillation (model compression): a registered teacher version (any base) labels in-domain texts with its
probabilities, a student on the fast encoder learns those soft labels, and the student is registered as a new,
not active version of the same task with teacher and student compared side by side on the teacher's held-out
labelled rows (accuracy, macro-F1, texts/s measured in the same run on the same texts, size).

int8: the student's linear layers are quantised (PyTorch dynamic quantisation) when the CPU scores it and the
same texts scored both ways give at least 99 % identical labels; the manifest then records ``quantisation: int8``
with the measured agreement and ``core.nlp.store.load_model`` quantises at load. Otherwise the student stays fp32
and the result says why.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from core.auth import require
from core.nlp import registry
from core.nlp.classifier import TextClassifier
from core.nlp.datacheck import data_fingerprint
from core.nlp.device import choose_device
from core.nlp.evaluation import classification_report
from core.nlp.store import INT8, INT8_EMBEDDINGS, quantise_int8, save_model, write_validation_rows
from core.nlp.training import (
    ProgressFn,
    StopFn,
    TrainingCancelled,
    TrainingParams,
    TrainingResult,
    estimate_scoring_seconds,
    estimate_training_seconds,
    train_classifier,
)
from core.repositories.models import VersionInfo
from core.settings import get_settings

GIVEN_TEXTS = "given texts"  # how the sources name texts passed in without a name (e.g. a file's name and column)
MIN_TEXTS = 50  # fewer distinct unlabelled texts than this teach a student nothing reliable
MAX_TEXTS = 20_000  # texts the teacher labels at most (the first ones, after removing duplicates)
MIN_INT8_AGREEMENT = 0.99  # share of identical labels fp32 vs int8 needed to keep int8
CHECK_TEXTS = 2_000  # texts scored both ways for the int8 agreement check
SPEED_TEXTS = 512  # texts each model scores for texts/s
# A head student trains on cached embeddings, so epochs are cheap: its probabilities settle on the teacher's slowly
# after the first steps overshoot, so it gets more epochs and more patience than a head trained on labels.
HEAD_STUDENT = {"epochs": 300, "patience": 20}
# A student with fewer layers than the fast encoder trains in full; it starts further from the teacher, so it gets
# a higher learning rate and more epochs than a full fine-tune on labels (set beforehand, then checked on the
# teacher's validation rows in benchmarks/distil.py: the 3-layer student matched the teacher's macro-F1 there).
SMALL_STUDENT = {"epochs": 6, "learning_rate": 1e-4}
# A student trained in full (or with LoRA) over a small pool gets at least MIN_TRAINING_STEPS optimiser steps, its
# epochs raised to reach them (early stopping still ends it sooner), as a fine-tune on labels does: 6 epochs over a
# 120-row task's 104 texts are 18 steps, and a 3-layer student stopped at 75 % agreement with its teacher where 60
# steps reached 94 %. Pools of thousands of texts, as in benchmarks/distil.py, pass that within their own epochs.


class DistilDataError(ValueError):
    """Distillation cannot start: too few texts, or a teacher without held-out rows; the message says which."""


@dataclass(frozen=True)
class ModelSide:
    """One column of the side-by-side comparison."""

    version: int | None
    base: str
    method: str
    precision: str  # fp32, bf16, fp16 or int8: how the model scores
    accuracy: float
    macro_f1: float
    texts_per_s: float
    size_mb: float


@dataclass
class DistilResult:
    task: str
    teacher: ModelSide
    student: ModelSide
    version: VersionInfo  # the registered student (not active)
    texts: int  # unlabelled texts the teacher labelled
    sources: dict[str, int]  # texts taken from each source
    validation_rows: int  # the teacher's held-out labelled rows both models were measured on
    agreement: float  # share of those rows where student and teacher give the same label
    int8: dict  # {"applied": bool, "agreement": float | None, "reason": str}
    duration_s: float

    def comparison(self) -> dict:
        """The side by side as plain data (stored in the student's metrics and a run's result)."""
        return {
            "teacher": asdict(self.teacher),
            "student": asdict(self.student),
            "validation_rows": self.validation_rows,
            "agreement": self.agreement,
            "texts": self.texts,
            "sources": dict(self.sources),
            "int8": dict(self.int8),
        }


def distil(
    task: str,
    from_version: int,
    unlabelled_texts: Sequence[str] | None = None,
    *,
    student_base: str = "fast",
    int8: bool = True,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    method: str = "head",
    layers: int | None = None,
    texts_name: str = GIVEN_TEXTS,
    min_agreement: float = MIN_INT8_AGREEMENT,
    labelling: Callable[[int, int], None] | None = None,
    created_by: str | None = None,
    notes: str = "",
) -> DistilResult:
    """Distil version ``from_version`` of ``task`` into a student on ``student_base`` and register it (not active).

    Unlabelled texts: ``unlabelled_texts``, else the project's own texts for the task (stored feed items for
    sentiment and topic, the knowledge bases' questions for intent), always plus the teacher's training texts when
    its training run's rows are stored; never the teacher's held-out rows, on which both are measured. ``layers``:
    a smaller student that keeps only the fast encoder's first N layers (trained in full). ``texts_name``: what the
    sources call ``unlabelled_texts`` (e.g. the file and column they came from). Raises
    DistilDataError before anything is trained when there are fewer than ``MIN_TEXTS`` distinct texts;
    TrainingCancelled when ``should_stop`` says so (nothing is registered). ``labelling(done, total)``: how far the
    teacher is in labelling the texts, before the student trains."""
    actor = require("analyst", "train models")
    student_params(method, layers, student_base).resolved()  # a clear error for an impossible student before the teacher scores anything
    started = time.perf_counter()
    stop = should_stop or (lambda: False)
    teacher_info = registry.get_version(task, from_version)
    held_out = registry.validation_rows(teacher_info)
    if held_out is None:
        raise DistilDataError(
            f"{task} v{from_version} has no stored validation rows, so teacher and student cannot be compared; "
            "distil a version trained in Model Studio or with `python -m core train`"
        )
    texts, sources = unlabelled_pool(task, teacher_info, unlabelled_texts, exclude=held_out[0], given_name=texts_name)
    params = student_params(method, layers, student_base, texts=len(texts))
    teacher = registry.load_version(teacher_info)

    def labelled(done: int, total: int) -> None:
        _check_stop(stop)
        if labelling:
            labelling(done, total)

    soft = teacher.predict_proba(texts, progress=labelled)
    hard = [teacher.labels[i] for i in soft.argmax(axis=1)]
    trained = train_classifier(
        texts, hard, params, progress, stop, device=get_settings().device, label_order=teacher.labels, soft_targets=soft
    )
    _check_stop(stop)
    student, int8_outcome = _maybe_int8(_plain_model(trained), teacher.labels, texts + held_out[0], int8, min_agreement)
    measured = _side_by_side(teacher_info, teacher, student, trained, held_out, texts[:SPEED_TEXTS])
    (teacher_side, _), (student_side, student_report), agreement = measured
    result = DistilResult(
        task, teacher_side, student_side, None, len(texts), sources, len(held_out[0]), agreement, int8_outcome,  # type: ignore[arg-type]
        time.perf_counter() - started,
    )  # fmt: skip
    fingerprint = data_fingerprint(texts, hard)
    result.version = _register(result, trained, held_out, student_report, fingerprint, created_by or actor.username, notes)
    result.student = replace(student_side, version=result.version.version)
    return result


def student_params(method: str = "head", layers: int | None = None, base: str = "fast", texts: int | None = None) -> TrainingParams:
    """How a student of ``method`` (keeping ``layers`` of the encoder when given) is trained; over ``texts`` texts,
    a student that trains its encoder gets enough epochs for ``MIN_TRAINING_STEPS`` optimiser steps."""
    settings = HEAD_STUDENT if method == "head" else SMALL_STUDENT if layers else {}
    student = TrainingParams(method=method, base=base, layers=layers, **settings)
    return student if method == "head" or not texts else student.with_min_steps(texts)


def estimate_distil_seconds(
    texts: Sequence[str], teacher: VersionInfo, student: TrainingParams, held_out_rows: int = 0, device: str = "auto"
) -> float:
    """A rough wall-clock estimate of a compression run over ``texts`` (the pool ``unlabelled_pool`` gives): the
    teacher labels every text, the student trains on them for all its epochs (early stopping can end sooner), then
    the int8 check and both models on the held-out rows and the speed texts."""
    teacher_model = (teacher.base, int(teacher.params.get("max_length") or 128))
    labelling = estimate_scoring_seconds(texts, len(texts), [teacher_model], device)
    training = estimate_training_seconds(texts, student, device)
    checking = estimate_scoring_seconds(texts, held_out_rows + SPEED_TEXTS, [teacher_model], device, start=False)
    return labelling + training + checking


@dataclass(frozen=True)
class DistilPlan:
    """What a compression run would do, said before it starts."""

    texts: int  # distinct texts the student would learn from
    sources: dict[str, int]  # how many came from each source (only those that gave some)
    seconds: float  # the estimated wall-clock time on ``device``


def plan_distil(
    task: str, from_version: int, unlabelled_texts: Sequence[str] | None = None, *, method: str, layers: int | None,
    texts_name: str = GIVEN_TEXTS, device: str = "auto",
) -> DistilPlan:  # fmt: skip
    """The texts ``distil`` would use and the estimated time, without labelling or training anything; DistilDataError
    when there are too few texts, ValueError for an impossible student (both before anything else, as ``distil``)."""
    student_params(method, layers).resolved()
    teacher = registry.get_version(task, from_version)
    held_out = registry.validation_rows(teacher) or ([], [])
    pool, sources = unlabelled_pool(task, teacher, unlabelled_texts, exclude=held_out[0], given_name=texts_name)
    student = student_params(method, layers, texts=len(pool))
    seconds = estimate_distil_seconds(pool, teacher, student, len(held_out[0]), device)
    return DistilPlan(len(pool), {name: n for name, n in sources.items() if n}, seconds)


def _check_stop(stop: StopFn) -> None:
    if stop():
        raise TrainingCancelled("distillation cancelled by the user")


# ---------------------------------------------------------------- the unlabelled texts


def unlabelled_pool(
    task: str, teacher: VersionInfo, given: Sequence[str] | None = None, exclude: Iterable[str] = (), given_name: str = GIVEN_TEXTS
) -> tuple[list[str], dict[str, int]]:
    """(texts, how many came from each source): stripped, deduplicated, at most ``MAX_TEXTS``, without the texts in
    ``exclude``; DistilDataError when fewer than ``MIN_TEXTS`` remain."""
    parts = [(given_name, list(given))] if given is not None else project_texts(task)
    parts.append(("the teacher's training texts", teacher_training_texts(teacher)))
    excluded, seen, out, sources = set(exclude), set(), [], {}
    for name, candidates in parts:
        taken = 0
        for text in candidates:
            text = text.strip() if isinstance(text, str) else ""
            if len(out) >= MAX_TEXTS or not text or text in seen or text in excluded:
                continue
            seen.add(text)
            out.append(text)
            taken += 1
        sources[name] = taken
    if len(out) < MIN_TEXTS:
        found = ", ".join(f"{n} from {name}" for name, n in sources.items())
        teacher_of = (teacher.params.get("distilled_from") or {}).get("version")
        student = (f"v{teacher.version} is itself a compressed student of v{teacher_of}, so Beacon keeps no training texts "
                   f"of its own for it; compress v{teacher_of} instead, or ") if teacher_of else ""  # fmt: skip
        raise DistilDataError(
            f"only {len(out)} distinct texts to distil {task} on ({found}); at least {MIN_TEXTS} are needed: {student}give a "
            "file of in-domain texts (Model Studio: under Compress; or python -m core models distil --unlabelled FILE --text-column C)"
        )
    return out, sources


def project_texts(task: str) -> list[tuple[str, list[str]]]:
    """The project's own in-domain texts for ``task``: stored feed items (the text the models read) for sentiment
    and topic, the active questions of every knowledge base for intent; none for other tasks."""
    if task in ("sentiment", "topic"):
        from core.repositories import items
        from core.sentiment.score_items import article_text

        scored = [article_text(a["title"], a["summary"]) for a in items.scored_articles(items.ArticleFilter(), limit=MAX_TEXTS)]
        unscored = [article_text(title, summary) for _, title, summary in items.unscored_items(MAX_TEXTS)]
        return [("stored feed items", scored + unscored)]
    if task == "intent":
        from core.repositories import knowledge_bases

        questions = [
            entry.question
            for kb in knowledge_bases.list_kbs()
            for entry in knowledge_bases.active_version(kb.name, with_entries=True).entries
        ]
        return [("knowledge base questions", questions)]
    return []


def teacher_training_texts(teacher: VersionInfo) -> list[str]:
    """The labelled texts ``teacher`` learned from when Beacon still has them (``core.nlp.runs.texts_learned_from``);
    none for a teacher that is itself a student."""
    from core.nlp.runs import texts_learned_from

    return texts_learned_from(teacher) or []


# ---------------------------------------------------------------- the student: int8, measurement, registration


def _plain_model(trained: TrainingResult) -> torch.nn.Module:
    """The student as one plain model, a copy (scoring may change its number format; the saved weights stay fp32),
    a LoRA student's adapters merged."""
    if trained.params.method == "lora":
        return copy.deepcopy(trained.saveable).merge_and_unload().eval()
    return copy.deepcopy(trained.model).eval()


def _maybe_int8(
    model: torch.nn.Module, labels: list[str], texts: list[str], wanted: bool, min_agreement: float
) -> tuple[torch.nn.Module, dict]:
    """The int8 student when the agreement check holds, else the fp32 one; with what was decided and why."""
    if not wanted:
        return model, {"applied": False, "agreement": None, "reason": "kept in fp32 (int8 not asked for)"}
    if choose_device(get_settings().device) != "cpu":
        return model, {"applied": False, "agreement": None, "reason": "kept in fp32: models score on the GPU here; int8 is for CPUs"}
    sample = texts[:CHECK_TEXTS]
    quantised = quantise_int8(model)
    fp32_labels = TextClassifier(model, labels, device="cpu", precision="fp32").predict_proba(sample).argmax(axis=1)
    int8_labels = TextClassifier(quantised, labels).predict_proba(sample).argmax(axis=1)
    agreement = float((fp32_labels == int8_labels).mean())
    if agreement >= min_agreement:
        reason = f"kept in int8: {agreement:.2%} of {len(sample):,} texts get the same label as in fp32 (needed {min_agreement:.0%})"
        return quantised, {"applied": True, "agreement": agreement, "reason": reason}
    reason = f"kept in fp32: in int8 only {agreement:.2%} of {len(sample):,} texts got the fp32 label (needed {min_agreement:.0%})"
    return model, {"applied": False, "agreement": agreement, "reason": reason}


def _side_by_side(
    teacher_info: VersionInfo,
    teacher: TextClassifier,
    student_model: torch.nn.Module,
    trained: TrainingResult,
    held_out: tuple[list[str], list[str]],
    speed_texts: list[str],
) -> tuple[tuple[ModelSide, dict], tuple[ModelSide, dict], float]:
    """Both models on the teacher's held-out rows ((side, classification report) each, and the share of rows where
    they agree), both timed on ``speed_texts`` in this run."""
    settings = get_settings()
    student = TextClassifier(student_model, teacher.labels, max_length=trained.params.max_length, device=settings.device,
                             precision=settings.scoring_precision, task=teacher_info.task)  # fmt: skip
    texts, truth = held_out
    measured, predictions = [], []
    for version, base, method, classifier in (
        (teacher_info.version, teacher_info.base, teacher_info.method, teacher),
        (None, trained.params.base, _method_name(trained.params), student),
    ):
        predicted = [classifier.labels[i] for i in classifier.predict_proba(texts).argmax(axis=1)]
        report = classification_report(truth, predicted, teacher.labels)
        predictions.append(predicted)
        side = ModelSide(
            version, base, method, _precision(classifier), report["accuracy"], report["macro_f1"],
            texts_per_second(classifier, speed_texts), model_size_mb(classifier.model),
        )  # fmt: skip
        measured.append((side, report))
    agreement = float(np.mean([a == b for a, b in zip(*predictions)])) if texts else 0.0
    return measured[0], measured[1], agreement


def _method_name(params: TrainingParams) -> str:
    return f"{params.method}, {params.layers} layers" if params.layers else params.method


def _precision(classifier: TextClassifier) -> str:
    if getattr(classifier.model, "quantisation", "") == INT8:
        return INT8
    return {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}.get(classifier.dtype, str(classifier.dtype))


def texts_per_second(classifier: TextClassifier, texts: list[str]) -> float:
    """Texts scored per second (after one small warm-up batch)."""
    classifier.predict_proba(texts[:8])
    started = time.perf_counter()
    classifier.predict_proba(texts)
    return len(texts) / max(time.perf_counter() - started, 1e-9)


def model_size_mb(model: torch.nn.Module) -> float:
    """The model's weights as it runs (encoder and head; int8 layers as int8), serialised, in MB."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.tell() / 1e6


def _register(
    result: DistilResult, trained: TrainingResult, held_out, report: dict, fingerprint: str, created_by: str, notes: str  # noqa: ANN001
) -> VersionInfo:
    """The student as a new, not active version: its held-out rows are the teacher's (so versions compare on the same
    rows); its metrics are its scores there, where it came from and the side by side."""
    distilled_from = {"task": result.task, "version": result.teacher.version}
    metrics = report | {"distilled_from": distilled_from, "comparison": result.comparison()}
    applied = result.int8["applied"]
    quantisation = {"quantisation": INT8_EMBEDDINGS, "int8_agreement": result.int8["agreement"]} if applied else None
    p = trained.params

    def write(folder: Path) -> None:
        write_validation_rows(folder, list(held_out[0]), list(held_out[1]))
        save_model(trained.saveable, folder, result.task, p.method, trained.labels, p.max_length, fingerprint, quantisation)

    params = p.as_dict() | {"distilled_from": distilled_from, "quantisation": INT8 if quantisation else "fp32"}
    return registry.register_version(
        write, result.task, p.method, trained.labels, params=params, metrics=metrics, data_fingerprint=fingerprint,
        duration_s=result.duration_s, device=trained.device, created_by=created_by, activate=False,
        notes=notes or f"distilled from {result.task} v{result.teacher.version}",
    )  # fmt: skip
