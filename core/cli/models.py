"""``python -m core models``: list, promote, roll back or delete model versions; distil a version into a fast student;
rebuild the shipped defaults."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.cli import input_sheet

# core.nlp.defaults.DEFAULT_MODELS (not imported here: it loads torch)
DEFAULT_TASKS = ("sentiment", "topic", "intent", "customer_sentiment")


def cmd_models(args: argparse.Namespace) -> int:
    from core.nlp import registry
    from core.storage import upgrade_database

    upgrade_database()
    if args.action == "list":
        rows = registry.list_versions(args.task, deleted_too=args.deleted)
        for v in rows:
            metrics = {k: round(v.metrics[k], 4) for k in ("accuracy", "macro_f1") if k in v.metrics}
            flag = "*" if v.is_active else " "
            gone = f" [deleted by {v.deleted_by} on {v.deleted_at:%Y-%m-%d}]" if v.deleted_at is not None else ""
            made = f"{v.created_at:%Y-%m-%d %H:%M} {v.created_by}"
            print(f"{flag} {v.task:<12} v{v.version:<3} {v.method:<5} {v.base:<8} {made} {metrics}{gone}")
        if not rows and args.task and registry.list_tasks():
            print(f"task {args.task!r} has no versions; tasks with versions: {', '.join(registry.list_tasks())}")
        elif not rows:
            print("no model versions yet; run `python -m core setup`")
    elif args.action == "promote":
        info = registry.promote(args.task, args.version)  # --version is required by the parser
        print(f"{info.task} v{info.version} is now active")
    elif args.action == "rollback":
        info = registry.rollback(args.task)
        print(f"{info.task} rolled back to v{info.version}")
    elif args.action == "delete":
        info = registry.delete_version(args.task, args.version)
        print(f"{info.task} v{info.version} deleted (its files are removed; the number is not given again)")
    return 0


def cmd_distil(args: argparse.Namespace) -> int:
    """Distil a version into a fast student and print teacher and student side by side. Input problems (the file,
    its column, too few texts, no such version) print one line and exit 2; nothing is registered then."""
    from core.nlp.distil import GIVEN_TEXTS, DistilDataError, distil, plan_distil
    from core.nlp.runs import read_unlabelled_texts, student_for, texts_label
    from core.scoring.reading import InputFileError
    from core.storage import upgrade_database
    from core.wording import rough_duration

    upgrade_database()
    try:
        path = Path(args.unlabelled) if args.unlabelled else None
        texts = None
        if path:
            with input_sheet(path, args.sheet) as readable:
                texts = read_unlabelled_texts(readable, args.text_column, hint="use --text-column")
        student = student_for(args.student_method, args.student_layers)  # no flags: Model Studio's default
        name = texts_label(path.name, args.text_column) if path else GIVEN_TEXTS
        plan = plan_distil(args.task, args.from_version, texts, method=student.method, layers=student.layers, texts_name=name)
        sources = ", ".join(f"{n:,} from {source}" for source, n in plan.sources.items())
        print(f"the student learns from {plan.texts:,} texts ({sources}); estimated time here: {rough_duration(plan.seconds)}",
              flush=True)  # fmt: skip
        result = distil(args.task, args.from_version, texts, int8=not args.no_int8, method=student.method,
                        layers=student.layers, texts_name=name, progress=_echo_epoch, labelling=_echo_labelling())  # fmt: skip
    except (InputFileError, DistilDataError, LookupError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(side_by_side_table(result.comparison()))
    sources = ", ".join(f"{n:,} from {name}" for name, n in result.sources.items())
    print(f"distilled on {result.texts:,} texts ({sources}); {result.int8['reason']}")
    v = result.version
    print(f"student registered as {v.task} v{v.version} (not active); make it active with "
          f"`python -m core models promote --task {v.task} --version {v.version}`")  # fmt: skip
    return 0


def _echo_labelling() -> Callable[[int, int], None]:
    """A line at each quarter of the teacher's labelling, which comes before the student's first epoch."""
    said = set()

    def echo(done: int, total: int) -> None:
        quarter = 4 * done // max(1, total)
        if quarter not in said:
            said.add(quarter)
            print(f"teacher labelled {done:,} of {total:,} texts", flush=True)

    return echo


def _echo_epoch(p: Any) -> None:
    """One line per finished epoch of the student (a ``TrainingProgress``)."""
    if p.val_macro_f1 is not None:
        print(f"student epoch {p.epoch}/{p.epochs}: agreement with the teacher {p.val_accuracy:.4f}", flush=True)


def side_by_side_table(comparison: dict) -> str:
    """Teacher and student in two columns: base, method, precision, accuracy, macro-F1, texts/s, size."""
    teacher, student = comparison["teacher"], comparison["student"]
    rows = [
        ("", f"teacher v{teacher['version']}", "student" + (f" v{student['version']}" if student.get("version") else "")),
        *((key, str(teacher[key]), str(student[key])) for key in ("base", "method", "precision")),
        *((name, f"{teacher[key]:.4f}", f"{student[key]:.4f}") for name, key in (("accuracy", "accuracy"), ("macro-F1", "macro_f1"))),
        ("texts/s", f"{teacher['texts_per_s']:.1f}", f"{student['texts_per_s']:.1f}"),
        ("size (MB)", f"{teacher['size_mb']:.1f}", f"{student['size_mb']:.1f}"),
    ]
    lines = [f"{a:<11}{b:>14}{c:>14}" for a, b, c in rows]
    return "\n".join(lines + [f"on the teacher's {comparison['validation_rows']} held-out rows; same label {comparison['agreement']:.2%}"])


def cmd_build_defaults(args: argparse.Namespace) -> int:
    from core.nlp.defaults import DEFAULT_MODELS, SHARED_DATA, build_default_model, training_rows

    tasks = [args.task] if args.task else list(DEFAULT_MODELS)
    data_dir = Path(args.data_dir or SHARED_DATA)
    for task in tasks:  # every source is there before the first build starts
        training_rows(task, data_dir)
    for task in tasks:
        result = build_default_model(task, data_dir)
        print(json.dumps({"task": task, "accuracy": result.metrics["accuracy"], "macro_f1": result.metrics["macro_f1"]}))
    return 0


def cmd_measure_defaults(args: argparse.Namespace) -> int:
    """Measure the shipped models again and rewrite the quality numbers of their metrics.json."""
    from core.nlp.defaults import DEFAULT_MODELS, SHARED_DATA, remeasure_default_model

    for task in [args.task] if args.task else list(DEFAULT_MODELS):
        previous, measured = remeasure_default_model(task, Path(args.data_dir or SHARED_DATA))
        sets = {"validation": measured["validation"]} | measured.get("evaluation", {})
        before = {"validation": previous.get("validation", {})} | previous.get("evaluation", {})
        for name, scores in sets.items():
            was = before.get(name, {}).get("accuracy")
            was_text = "new" if was is None else f"was {was:.4f}"
            line = f"{task:<10} {name:<26} n={scores['n']:<5} accuracy {scores['accuracy']:.4f} ({was_text})"
            print(f"{line} macro-F1 {scores['macro_f1']:.4f}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="list, promote, roll back or delete model versions; rebuild shipped defaults")
    models_sub = models.add_subparsers(dest="action", required=True)
    for action, what in (("list", "list the versions of a task (--task) or of every task; * marks the active one"),
                         ("promote", "make a version the active one of its task"),
                         ("rollback", "make the version active before the current one active again"),
                         ("delete", "delete a version that is not active and that no queued or running run uses")):
        p = models_sub.add_parser(action, help=what)
        p.add_argument("--task", required=action != "list")
        if action == "list":
            p.add_argument("--deleted", action="store_true", help="also list deleted versions (who deleted them, and when)")
        if action in ("promote", "delete"):
            p.add_argument("--version", type=int, required=True)
        p.set_defaults(func=cmd_models)
    distil = models_sub.add_parser("distil", help="distil a version into a fast student (registered, not active)")
    distil.add_argument("--task", required=True)
    distil.add_argument("--from-version", type=int, required=True, help="the teacher: a version of the task")
    distil.add_argument("--unlabelled", help="a CSV (or .csv.gz, .xlsx) of in-domain texts (default: the project's own texts)")
    distil.add_argument("--text-column", default="text", help="the column of --unlabelled holding the texts (default: text)")
    distil.add_argument("--sheet", help="with an .xlsx --unlabelled file: the sheet to read (default: the first)")
    distil.add_argument("--no-int8", action="store_true", help="keep the student in fp32 (no int8 quantisation)")
    distil.add_argument("--student-method", choices=("head", "lora", "full"),
                        help="how the student learns: full (the default: the fast encoder's first 3 layers fine-tuned), "
                        "head (a head on the frozen fast encoder, fastest to train, furthest from the teacher) or lora; "
                        "full or lora without --student-layers keep all 6 layers")  # fmt: skip
    distil.add_argument("--student-layers", type=int, help="a smaller, faster student: only the fast encoder's first N "
                        "of its 6 layers, trained in full (default 3)")  # fmt: skip
    distil.set_defaults(func=cmd_distil)
    build = models_sub.add_parser("build-defaults", help="retrain the shipped default models from their sources")
    build.add_argument("--task", choices=DEFAULT_TASKS)
    build.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    build.set_defaults(func=cmd_build_defaults)
    measure = models_sub.add_parser("measure-defaults", help="measure the shipped models again and rewrite their metrics.json scores")
    measure.add_argument("--task", choices=DEFAULT_TASKS)
    measure.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    measure.set_defaults(func=cmd_measure_defaults)
