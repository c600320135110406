"""``python -m core models``: list, promote or roll back model versions; rebuild the shipped defaults."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def cmd_models(args: argparse.Namespace) -> int:
    from core.nlp import registry
    from core.storage import upgrade_database

    upgrade_database()
    if args.action == "list":
        rows = registry.list_versions(args.task)
        for v in rows:
            metrics = {k: round(v.metrics[k], 4) for k in ("accuracy", "macro_f1") if k in v.metrics}
            flag = "*" if v.is_active else " "
            print(f"{flag} {v.task:<12} v{v.version:<3} {v.method:<5} {v.created_at:%Y-%m-%d %H:%M} {v.created_by} {metrics}")
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
    from core.nlp.defaults import DEFAULT_MODELS, SHARED_DATA, build_default_model

    tasks = [args.task] if args.task else list(DEFAULT_MODELS)
    for task in tasks:
        result = build_default_model(task, Path(args.data_dir or SHARED_DATA))
        print(json.dumps({"task": task, "accuracy": result.metrics["accuracy"], "macro_f1": result.metrics["macro_f1"]}))
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
    build.add_argument("--task")
    build.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    build.set_defaults(func=cmd_build_defaults)
