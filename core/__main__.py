"""Beacon's command line: ``python -m core COMMAND``. Errors print one line and exit non-zero."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from pathlib import Path


def _progress_bar(label: str):
    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_setup(_: argparse.Namespace) -> int:
    from core.auth import create_admin_from_environment, issue_setup_token, setup_link
    from core.nlp.defaults import install_default_models
    from core.storage import upgrade_database

    upgrade_database()
    installed = install_default_models()
    print(f"database ready; default models installed: {', '.join(installed) or 'already present'}")
    if create_admin_from_environment():
        print("created the first admin from BEACON_ADMIN_USER")
    elif (token := issue_setup_token()) is not None:
        print(f"no accounts yet: open {setup_link(token)} once to create the first admin in the browser "
              "(this link works until an admin exists; or run `make admin`)")  # fmt: skip
    return 0


def _new_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin, for scripts) or asked twice on the terminal; never an argument."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"password for {args.name}: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def cmd_users(args: argparse.Namespace) -> int:
    from core import auth
    from core.storage import upgrade_database

    upgrade_database()
    if args.action == "list":
        for user in auth.list_users():
            print(f"{user.username:<30} {user.role:<8} {'active' if user.active else 'disabled'}")
        return 0
    role = "admin" if args.admin else args.role
    if args.action == "create":
        auth.create_user(args.name, _new_password(args), role)
        print(f"created {args.name} ({role})")
    elif args.action == "set-role":
        auth.set_role(args.name, role)
        print(f"{args.name} is now {role}")
    elif args.action == "reset-password":
        auth.reset_password(args.name, _new_password(args))
        print(f"password of {args.name} reset; their open sessions ended")
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from core.scoring.batch import TerminalProgress, score_file
    from core.storage import upgrade_database

    tasks = [t.strip() for group in (args.task or []) + (args.tasks or []) for t in group.split(",") if t.strip()]
    if not tasks:
        raise ValueError("name at least one task: --task sentiment (repeatable) or --tasks sentiment,topic")
    upgrade_database()
    result = score_file(
        Path(args.input), Path(args.output), tasks, args.text_column, mask_pii=args.mask_pii, fmt=args.format,
        encoding=args.encoding, progress=None if args.quiet else TerminalProgress("scoring"),
    )  # fmt: skip
    models = ", ".join(f"{task} v{v}" for task, v in result.versions.items())
    empty = f" ({result.rows_empty} empty)" if result.rows_empty else ""
    print(f"scored {result.rows} rows{empty} with the active {', '.join(map(repr, tasks))} model ({models}) -> {args.output}")
    if result.error_report:
        lines = ", ".join(map(str, result.first_bad_lines)) + (", ..." if result.rows_bad > len(result.first_bad_lines) else "")
        print(f"warning: {result.rows_bad} rows could not be parsed (lines {lines}); see {result.error_report}", file=sys.stderr)
    return 0


def cmd_score_run(args: argparse.Namespace) -> int:
    from core.scoring.runs import execute_run

    logging.getLogger("beacon.scoring").setLevel(logging.INFO)
    run = execute_run(args.run_id)
    print(f"scoring run {run.id}: {run.status}, {run.rows_done} of {run.total_rows} records")
    return 0 if run.status in ("succeeded", "cancelled") else 1


def cmd_config_apply(args: argparse.Namespace) -> int:
    from core.config_file import apply_config
    from core.storage import upgrade_database

    upgrade_database()
    counts = apply_config(Path(args.file))
    print("applied " + ", ".join(f"{n} {section}" for section, n in counts.items()))
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from core.nlp import registry
    from core.storage import upgrade_database

    upgrade_database()
    if args.action == "list":
        rows = registry.list_versions(args.task)
        for v in rows:
            metrics = {k: round(v.metrics[k], 4) for k in ("accuracy", "macro_f1") if k in v.metrics}
            flag = "*" if v.is_active else " "
            print(
                f"{flag} {v.task:<12} v{v.version:<3} {v.method:<5} {v.created_at:%Y-%m-%d %H:%M} {v.created_by} {metrics}"
            )
        if not rows:
            print("no model versions yet; run `python -m core setup`")
    elif args.action == "promote":
        if args.version is None:
            raise ValueError("promote needs --version N")
        info = registry.promote(args.task, args.version)
        print(f"{info.task} v{info.version} is now active")
    elif args.action == "rollback":
        info = registry.rollback(args.task)
        print(f"{info.task} rolled back to v{info.version}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from core.nlp.datacheck import check_labelled_data, read_labelled_file
    from core.nlp.runs import execute_run, queue_run
    from core.nlp.training import TrainingParams
    from core.storage import upgrade_database

    upgrade_database()
    frame = read_labelled_file(Path(args.input))
    check = check_labelled_data(frame, args.text_column, args.label_column)
    print(f"data check: {check.rows_kept} of {check.rows_total} rows usable; classes: {check.class_counts}")
    for warning in check.warnings:
        print(f"warning: {warning}")
    if not check.ok:
        raise ValueError("; ".join(check.problems))
    params = TrainingParams(
        method=args.method,
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        max_length=args.max_length,
        lora_rank=args.lora_rank,
    )
    run_id = queue_run(check, args.task, params, created_by=args.user)

    def echo(p) -> None:  # noqa: ANN001 - TrainingProgress
        line = f"epoch {p.epoch}/{p.epochs} step {p.step}/{p.total_steps} loss {p.loss:.4f}"
        if p.val_macro_f1 is not None:
            line += f" val accuracy {p.val_accuracy:.4f} val macro-F1 {p.val_macro_f1:.4f}"
        print(line, flush=True)

    run = execute_run(run_id, echo=echo)
    if run.status != "succeeded":
        raise RuntimeError(f"training run {run_id} {run.status}: {run.error or ''}".strip())
    metrics = run.result["metrics"]
    summary = {
        "run": run_id,
        "task": run.task,
        "version": run.model_version,
        "active": run.result.get("activated", False),
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "validation_rows": metrics["n"],
        "device": run.device,
        "duration_s": run.result["duration_s"],
    }
    if run.result.get("compared_with"):
        old = run.result["compared_with"]
        summary["active_version_on_same_rows"] = {
            "version": old["version"],
            "accuracy": round(old["accuracy"], 4),
            "macro_f1": round(old["macro_f1"], 4),
        }
    print(json.dumps(summary))
    return 0


def cmd_train_run(args: argparse.Namespace) -> int:
    from core.nlp.runs import execute_run

    logging.getLogger("beacon.training").setLevel(logging.INFO)
    run = execute_run(args.run_id)
    print(f"training run {run.id}: {run.status}")
    return 0 if run.status == "succeeded" else 1


def cmd_build_defaults(args: argparse.Namespace) -> int:
    from core.nlp.defaults import DEFAULT_MODELS, SHARED_DATA, build_default_model

    tasks = [args.task] if args.task else list(DEFAULT_MODELS)
    for task in tasks:
        result = build_default_model(task, Path(args.data_dir or SHARED_DATA))
        print(
            json.dumps({"task": task, "accuracy": result.metrics["accuracy"], "macro_f1": result.metrics["macro_f1"]})
        )
    return 0


def cmd_recommend(args: argparse.Namespace) -> int:
    from core.recommend import store, workflow
    from core.recommend.embeddings import item_embeddings
    from core.recommend.evaluate import EvalConfig, evaluate
    from core.recommend.service import Recommender

    if not (args.evaluate or args.export):
        raise ValueError("say what to do: --evaluate (print the model comparison as JSON) and/or --export FILE (top-k per user)")
    check, mapping = workflow.load_files(Path(args.interactions), Path(args.items))
    for level in ("warning", "info"):
        for message in check.messages(level):
            print(f"{level}: {message}", file=sys.stderr)
    if not check.ok:
        raise ValueError("; ".join(check.messages("error")))
    ds = workflow.dataset_from_check(check)
    if args.save:
        from core.storage import upgrade_database

        upgrade_database()
        ds.version = store.save_dataset(check, args.save, Path(args.interactions).name, Path(args.items).name, mapping).id
    embeddings = item_embeddings(ds.texts())
    text_weight = None
    if args.evaluate:
        cfg = EvalConfig(protocol=args.protocol, test_ratio=args.test_ratio, seed=args.seed, k=args.k)
        result = evaluate(ds, embeddings, cfg)
        text_weight = result.meta["text_weight"]
        if ds.version is not None:
            store.save_evaluation(ds.version, result)
        print(json.dumps({"setup": result.meta, "models": result.rows}, indent=2))
    if args.export:
        recommender = Recommender(ds, embeddings, 0.2 if text_weight is None else max(text_weight, 0.05))
        Path(args.export).write_bytes(workflow.export_csv(recommender, args.k))
        print(f"wrote top-{args.k} recommendations for {ds.n_users} users -> {args.export}", file=sys.stderr)
    return 0


def cmd_recommend_job(args: argparse.Namespace) -> int:
    from core.recommend.jobs import execute_job

    logging.getLogger("beacon.recommend").setLevel(logging.INFO)
    job = execute_job(args.job_id)
    print(f"recommendation job {job.id}: {job.status}" + (f" ({job.error})" if job.error else ""))
    return 0 if job.status == "succeeded" else 1


def cmd_answer(args: argparse.Namespace) -> int:
    from core.storage import upgrade_database
    from core.support.assistant import ask

    upgrade_database()
    result = ask(args.kb, args.question, source="cli")
    print(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from core.storage import upgrade_database
    from core.support import kb

    upgrade_database()
    if args.action == "import":
        report = kb.import_faq_file(args.name, Path(args.file), args.question_column, args.answer_column, args.category_column)
        print(report.summary())
        for issue in report.rejected + report.flagged:
            print(f"  line {issue.line}, column {issue.column!r}: {issue.reason}", file=sys.stderr)
    elif args.action == "list":
        for info in kb.list_kbs():
            print(f"{info.name}: version {info.active_version}, {info.entries} entries, {info.versions} versions")
    else:
        version = kb.rollback_kb(args.name, args.version)
        print(f"{args.name}: rolled back; now version {version}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Beacon command line")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("setup", help="migrate the database and install the shipped default models").set_defaults(
        func=cmd_setup
    )

    score = sub.add_parser("score", help="score a CSV/.csv.gz/.xlsx file with the active model of one or more tasks")
    score.add_argument("--task", action="append", help="a task to score (repeatable)")
    score.add_argument("--tasks", action="append", help="comma-separated tasks, e.g. sentiment,topic")
    score.add_argument("--input", required=True)
    score.add_argument("--text-column", required=True)
    score.add_argument("--output", required=True)
    score.add_argument("--format", choices=["csv", "parquet"], help="output format (default: from the output name, else csv)")
    score.add_argument("--mask-pii", action="store_true", help="mask e-mails, phones, card/account numbers, IBANs first")
    score.add_argument(
        "--encoding", default="utf-8", choices=["auto", "utf-8", "utf-16", "cp1252", "latin-1"],
        help="input encoding; utf-8 (default) honours byte-order marks and refuses other bytes, auto also falls back to Latin-1",
    )  # fmt: skip
    score.add_argument("--quiet", action="store_true", help="no progress bar")
    score.set_defaults(func=cmd_score)

    score_run = sub.add_parser("score-run", help="execute a queued batch scoring run (started by the app)")
    score_run.add_argument("run_id", type=int)
    score_run.set_defaults(func=cmd_score_run)

    config = sub.add_parser("config", help="apply feeds, watchlists and alert rules from YAML")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    apply = config_sub.add_parser("apply")
    apply.add_argument("file")
    apply.set_defaults(func=cmd_config_apply)

    train = sub.add_parser("train", help="fine-tune a task model on a labelled CSV and register it as a new version")
    train.add_argument("--task", required=True, help="an existing task (sentiment, topic, intent) or a new name")
    train.add_argument("--input", required=True)
    train.add_argument("--text-column", required=True)
    train.add_argument("--label-column", required=True)
    train.add_argument("--method", choices=("head", "lora", "full"), default="head")
    train.add_argument("--epochs", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--batch-size", type=int, default=32)
    train.add_argument("--max-length", type=int, default=128)
    train.add_argument("--lora-rank", type=int, default=8)
    train.add_argument("--user", default="cli", help="recorded as the version's creator")
    train.set_defaults(func=cmd_train)
    train_run = sub.add_parser("train-run", help="execute a queued training run (started by Model Studio)")
    train_run.add_argument("run_id", type=int)
    train_run.set_defaults(func=cmd_train_run)

    users = sub.add_parser("users", help="create users, change roles, reset passwords (acts as an admin)")
    users_sub = users.add_subparsers(dest="action", required=True)
    users_sub.add_parser("list").set_defaults(func=cmd_users)
    for action in ("create", "set-role", "reset-password"):
        p = users_sub.add_parser(action)
        p.add_argument("--admin", action="store_true", help="the admin role (same as --role admin)")
        p.add_argument("--role", choices=("viewer", "analyst", "admin"), default="viewer")
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        p.add_argument("name")
        p.set_defaults(func=cmd_users)

    models = sub.add_parser("models", help="list, promote or roll back model versions; rebuild shipped defaults")
    models_sub = models.add_subparsers(dest="action", required=True)
    for action in ("list", "promote", "rollback"):
        p = models_sub.add_parser(action)
        p.add_argument("--task", required=action != "list")
        if action == "promote":
            p.add_argument("--version", type=int, required=True)
        p.set_defaults(func=cmd_models, version=None) if action != "promote" else p.set_defaults(func=cmd_models)
    build = models_sub.add_parser("build-defaults", help="retrain the shipped default models from their sources")
    build.add_argument("--task")
    build.add_argument("--data-dir", help="folder with the source datasets (default ../shared/data)")
    build.set_defaults(func=cmd_build_defaults)

    rec = sub.add_parser("recommend", help="check interactions + catalogue, compare recommenders (JSON), export top-k per user")
    rec.add_argument("--interactions", required=True, help="CSV: user, item, optional rating / event type / timestamp")
    rec.add_argument("--items", required=True, help="CSV: item, title, optional description / category / tags / price")
    rec.add_argument("--evaluate", action="store_true", help="fit and compare all models on held-out data; print JSON")
    rec.add_argument("--protocol", choices=("random", "last"), default="random", help="random per-user split or leave-last-out")
    rec.add_argument("--test-ratio", type=float, default=0.25, help="held-out share per user (random protocol)")
    rec.add_argument("--seed", type=int, default=42, help="split seed")
    rec.add_argument("--k", type=int, default=10, help="list length for the metrics and the export")
    rec.add_argument("--export", help="write top-k recommendations for every user to this CSV")
    rec.add_argument("--save", metavar="NAME", help="also store the files as a dataset version (and the evaluation)")
    rec.set_defaults(func=cmd_recommend)
    rec_job = sub.add_parser("recommend-job", help="execute a queued recommendation job (save or evaluate; started by the app)")
    rec_job.add_argument("job_id", type=int)
    rec_job.set_defaults(func=cmd_recommend_job)
    answer = sub.add_parser("answer", help="answer a customer question from a knowledge base (or escalate); prints JSON")
    answer.add_argument("--kb", required=True, help="knowledge base name")
    answer.add_argument("question")
    answer.set_defaults(func=cmd_answer)
    kbp = sub.add_parser("kb", help="FAQ knowledge bases: import a CSV, list, roll back")
    kb_sub = kbp.add_subparsers(dest="action", required=True)
    kb_import = kb_sub.add_parser("import", help="import an FAQ CSV (question, answer, optional category); a change is a new version")
    kb_import.add_argument("--name", required=True, help="knowledge base name (created on first import)")
    kb_import.add_argument("file")
    kb_import.add_argument("--question-column")
    kb_import.add_argument("--answer-column")
    kb_import.add_argument("--category-column")
    kb_sub.add_parser("list")
    kb_roll = kb_sub.add_parser("rollback", help="make an earlier version's entries current again (as a new version)")
    kb_roll.add_argument("--name", required=True)
    kb_roll.add_argument("--version", type=int, help="default: the version before the active one")
    kbp.set_defaults(func=cmd_kb)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notes, not for users
    args = build_parser().parse_args(argv)
    from core.auth import CLI, roles, set_process_actor

    previous = roles._process_actor  # restored afterwards: tests call main() in their own process
    set_process_actor(CLI)  # whoever runs the command line has the server's files: an admin
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # one line for the user; no traceback for expected problems
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        set_process_actor(previous)


if __name__ == "__main__":
    sys.exit(main())
