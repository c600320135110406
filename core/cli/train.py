"""``python -m core train`` (fine-tune a task model and register it) and ``train-run`` (a queued training run)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from core.cli import input_sheet


def _summary(run: Any) -> dict[str, Any]:
    """The JSON line printed after a successful training run."""
    metrics = run.result["metrics"]
    summary = {
        "run": run.id,
        "task": run.task,
        "version": run.model_version,
        "active": run.result.get("activated", False),
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "validation_rows": metrics["n"],
        "device": run.device,
        "duration_s": run.result["duration_s"],
    }
    old = run.result.get("compared_with")
    if old and old.get("comparable", True):  # an active version with other labels is not compared
        summary["active_version_on_same_rows"] = {
            "version": old["version"],
            "accuracy": round(old["accuracy"], 4),
            "macro_f1": round(old["macro_f1"], 4),
        }
        if old.get("seen") is not None:  # rows the active version was trained on: its scores there are optimistic
            summary["active_version_on_same_rows"]["rows_in_its_training_data"] = old["seen"]
    return summary


def _echo(p: Any) -> None:
    """One line per training progress report (a ``TrainingProgress``)."""
    line = f"epoch {p.epoch}/{p.epochs} step {p.step}/{p.total_steps} loss {p.loss:.4f}"
    if p.val_macro_f1 is not None:
        line += f" val accuracy {p.val_accuracy:.4f} val macro-F1 {p.val_macro_f1:.4f}"
    print(line, flush=True)


CLASSES_PRINTED = 20


def cmd_train(args: argparse.Namespace) -> int:
    from core.nlp.datacheck import LabelledFileError, check_labelled_data, classes_to_leave_out, read_labelled_file, short_label
    from core.nlp.runs import execute_run, queue_run
    from core.nlp.training import TrainingParams
    from core.storage import upgrade_database

    upgrade_database()
    with input_sheet(Path(args.input), args.sheet) as path:
        frame = read_labelled_file(path)
    try:
        check = check_labelled_data(frame, args.text_column, args.label_column, task=args.task,
                                    leave_out_small=args.leave_out_small_classes)  # fmt: skip
    except LabelledFileError as exc:
        raise LabelledFileError(f"{Path(args.input).name}: {exc}") from exc
    classes = ", ".join(f"{short_label(label)} {n}" for label, n in list(check.class_counts.items())[:CLASSES_PRINTED])
    more = f" and {len(check.class_counts) - CLASSES_PRINTED} more" if len(check.class_counts) > CLASSES_PRINTED else ""
    print(f"data check: {check.rows_kept:,} of {check.rows_total:,} rows usable; classes: {classes or 'none'}{more}")
    for warning in check.warnings:
        print(f"warning: {warning}")
    if not check.ok:
        hint = "; or pass --leave-out-small-classes" if classes_to_leave_out(check.class_counts) else ""
        raise ValueError("; ".join(check.problems) + hint)
    params = TrainingParams(
        method=args.method,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        max_length=args.max_length,
        lora_rank=args.lora_rank,
        base=args.base,
    )
    print(f"{estimate_line(check.texts, params)}", flush=True)
    run_id = queue_run(check, args.task, params, created_by=args.user)
    run = execute_run(run_id, echo=_echo)
    if run.status != "succeeded":
        raise RuntimeError(f"training run {run_id} {run.status}: {run.error or ''}".strip())
    print(json.dumps(_summary(run)))
    return 0


def estimate_line(texts: list[str], params: Any) -> str:
    """One line: the chosen base encoder, the device and the estimated training time (``TrainingParams``)."""
    from core.nlp.base_model import base_encoder
    from core.nlp.device import choose_device
    from core.nlp.training import can_stop_early, estimate_training_seconds
    from core.settings import get_settings
    from core.wording import training_time_text

    device = get_settings().device
    seconds = estimate_training_seconds(texts, params, device)
    name = base_encoder(params.base).name
    where = f"base encoder: {params.base} ({name}); device: {choose_device(device)}"
    return f"{where}; estimated training time: {training_time_text(seconds, can_stop_early(params, len(texts)))}"


def cmd_train_run(args: argparse.Namespace) -> int:
    from core.nlp.runs import execute_run

    logging.getLogger("beacon.training").setLevel(logging.INFO)
    run = execute_run(args.run_id)
    print(f"training run {run.id}: {run.status}")
    return 0 if run.status == "succeeded" else 1


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="fine-tune a task model on a labelled CSV and register it as a new version")
    train.add_argument("--task", required=True, help="an existing task (sentiment, topic, intent) or a new name")
    train.add_argument("--input", required=True)
    train.add_argument("--sheet", help="with an .xlsx input: the sheet to read (default: the first)")
    train.add_argument("--text-column", required=True)
    train.add_argument("--label-column", required=True)
    train.add_argument("--method", choices=("head", "lora", "full"), default="head")
    train.add_argument("--epochs", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--max-length", type=int, default=128)
    train.add_argument("--lora-rank", type=int, default=8)
    base_help = "base encoder: fast (all-MiniLM-L6-v2) or accurate (all-mpnet-base-v2, about 4-7x slower on a CPU)"
    train.add_argument("--base", choices=("fast", "accurate"), default="fast", help=base_help)
    train.add_argument("--leave-out-small-classes", action="store_true",
                       help="drop the classes with fewer than 5 usable examples instead of stopping")  # fmt: skip
    train.add_argument("--user", default="cli", help="recorded as the version's creator")
    train.set_defaults(func=cmd_train)
    train_run = sub.add_parser("train-run", help="execute a queued training run (started by Model Studio)")
    train_run.add_argument("run_id", type=int)
    train_run.set_defaults(func=cmd_train_run)
