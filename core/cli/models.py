"""``python -m core models``: list, promote or roll back model versions; rebuild the shipped defaults."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_TASKS = ("sentiment", "topic", "intent")  # core.nlp.defaults.DEFAULT_MODELS (not imported here: it loads torch)


def cmd_models(args: argparse.Namespace) -> int:
    from core.nlp import registry
    from core.storage import upgrade_database

    upgrade_database()
    if args.action == "list":
        rows = registry.list_versions(args.task)
        for v in rows:
            metrics = {k: round(v.metrics[k], 4) for k in ("accuracy", "macro_f1") if k in v.metrics}
            flag = "*" if v.is_active else " "
            print(f"{flag} {v.task:<12} v{v.version:<3} {v.method:<5} {v.base:<8} {v.created_at:%Y-%m-%d %H:%M} {v.created_by} {metrics}")
        if not rows:
            print("no model versions yet; run `python -m core setup`")
    elif args.action == "promote":
        info = registry.promote(args.task, args.version)  # --version is required by the parser
        print(f"{info.task} v{info.version} is now active")
    elif args.action == "rollback":
        info = registry.rollback(args.task)
        print(f"{info.task} rolled back to v{info.version}")
    return 0


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
    models = sub.add_parser("models", help="list, promote or roll back model versions; rebuild shipped defaults")
    models_sub = models.add_subparsers(dest="action", required=True)
    for action in ("list", "promote", "rollback"):
        p = models_sub.add_parser(action)
        p.add_argument("--task", required=action != "list")
        if action == "promote":
            p.add_argument("--version", type=int, required=True)
        p.set_defaults(func=cmd_models)
    build = models_sub.add_parser("build-defaults", help="retrain the shipped default models from their sources")
    build.add_argument("--task", choices=DEFAULT_TASKS)
    build.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    build.set_defaults(func=cmd_build_defaults)
    measure = models_sub.add_parser("measure-defaults", help="measure the shipped models again and rewrite their metrics.json scores")
    measure.add_argument("--task", choices=DEFAULT_TASKS)
    measure.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    measure.set_defaults(func=cmd_measure_defaults)
