"""``python -m core score`` (a file with the active models of one or more tasks, or chosen versions) and ``score-run``
(a queued batch run)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from core.cli import input_sheet
from core.wording import count_of, one_or_many


def cmd_score(args: argparse.Namespace) -> int:
    from core.scoring.batch import TerminalProgress, score_file
    from core.storage import upgrade_database

    tasks = [t.strip() for group in (args.task or []) + (args.tasks or []) for t in group.split(",") if t.strip()]
    if not tasks:
        raise ValueError("name at least one task: --task sentiment (repeatable) or --tasks sentiment,topic")
    versions = chosen_versions(args.version or [], tasks)
    upgrade_database()
    if args.engine == "ray":
        if args.sheet:
            raise ValueError("--sheet works with the local engine; for Ray, save the sheet as a CSV or Parquet file")
        return _score_on_ray(args, tasks, versions)
    with input_sheet(Path(args.input), args.sheet) as path:
        result = score_file(
            path, Path(args.output), tasks, args.text_column, mask_pii=args.mask_pii, fmt=args.format,
            encoding=args.encoding, progress=None if args.quiet else TerminalProgress("scoring"), versions=versions,
        )  # fmt: skip
    models = ", ".join(f"{task} v{v}" for task, v in result.versions.items())
    empty = f" ({result.rows_empty} empty)" if result.rows_empty else ""
    which = "" if versions else "active "
    print(f"scored {count_of(result.rows, 'row')}{empty} with the {which}{', '.join(map(repr, tasks))} model ({models}) -> {args.output}")
    for agreement in result.agreements:  # a column of the file already held the task's classes
        print(agreement.line())
    if result.error_report:
        lines = ", ".join(map(str, result.first_bad_lines)) + (", ..." if result.rows_bad > len(result.first_bad_lines) else "")
        line_word = one_or_many(len(result.first_bad_lines), "line", "lines")
        print(f"warning: {count_of(result.rows_bad, 'row')} could not be parsed ({line_word} {lines}); "
              f"see {result.error_report}", file=sys.stderr)  # fmt: skip
    return 0


def chosen_versions(given: list[str], tasks: list[str]) -> dict[str, int]:
    """``--version sentiment=1`` (repeatable) as {task: version}; a clear error for anything else."""
    versions = {}
    for item in given:
        task, _, number = item.partition("=")
        if not number.strip().isdigit():
            raise ValueError(f"--version {item!r}: write TASK=N, e.g. --version sentiment=1")
        if task.strip() not in tasks:
            raise ValueError(f"--version {item!r}: {task.strip()!r} is not among the tasks to score ({', '.join(tasks)})")
        versions[task.strip()] = int(number)
    return versions


def _score_on_ray(args: argparse.Namespace, tasks: list[str], versions: dict[str, int]) -> int:
    from core.scoring.batch import TerminalProgress
    from core.scoring.ray_engine import ERRORS, score_with_ray

    summary = score_with_ray(
        args.input, Path(args.output), tasks, args.text_column, mask_pii=args.mask_pii, workers=args.workers,
        progress=None if args.quiet else TerminalProgress("scoring on Ray"), versions=versions, encoding=args.encoding,
    )  # fmt: skip
    models = ", ".join(f"{task} v{v}" for task, v in summary.tasks.items())
    empty = f" ({summary.rows_empty} empty)" if summary.rows_empty else ""
    print(
        f"scored {count_of(summary.rows, 'row')}{empty} from {count_of(len(summary.inputs), 'file')} on Ray "
        f"({count_of(summary.workers, f'{summary.worker_resource} worker')}, {summary.rows_per_s:,.0f} rows/s) with {models} "
        f"-> {args.output}/part-*.parquet, _summary.json"
    )
    for agreement in _ray_agreements(summary):  # a column of the files already held the task's classes
        print(agreement.line())
    if summary.rows_bad:
        where = ", ".join(summary.first_bad) + (", ..." if summary.rows_bad > len(summary.first_bad) else "")
        print(f"warning: {count_of(summary.rows_bad, 'row')} could not be parsed ({where}); "
              f"see {Path(args.output) / ERRORS}", file=sys.stderr)  # fmt: skip
    return 0


def _ray_agreements(summary) -> list:  # noqa: ANN001 - a RaySummary; LabelAgreements
    """The scored parts' label columns against the models', as ``score_file`` compares them for a local run."""
    from core.nlp import registry
    from core.scoring.agreement import parts_agreements
    from core.scoring.engine import make_layout

    models = [(task, registry.get_version(task, version).labels) for task, version in summary.tasks.items()]
    layout = make_layout(summary.input_columns, models)
    return parts_agreements(sorted(Path(summary.output).glob("part-*.parquet")), layout, summary.text_column, dict(summary.tasks))


def cmd_score_run(args: argparse.Namespace) -> int:
    from core.scoring.runs import execute_run

    logging.getLogger("beacon.scoring").setLevel(logging.INFO)
    run = execute_run(args.run_id)
    print(f"scoring run {run.id}: {run.status}, {run.rows_done} of {run.total_rows} records")
    return 0 if run.status in ("succeeded", "cancelled") else 1


def register(sub: argparse._SubParsersAction) -> None:
    score = sub.add_parser("score", help="score a CSV/.csv.gz/.xlsx file with the active model of one or more tasks")
    score.add_argument("--task", action="append", help="a task to score (repeatable)")
    score.add_argument("--tasks", action="append", help="comma-separated tasks, e.g. sentiment,topic")
    score.add_argument(
        "--input", required=True, help="a file; with --engine ray also a folder or glob of .csv, .csv.gz, .xlsx or .parquet files"
    )
    score.add_argument("--text-column", required=True)
    score.add_argument("--sheet", help="with an .xlsx input: the sheet to read (default: the first)")
    score.add_argument("--version", action="append", metavar="TASK=N",
                       help="score TASK with its version N instead of the active one (repeatable), e.g. sentiment=1")  # fmt: skip
    score.add_argument(
        "--output", required=True,
        help="a file; with --engine ray a folder for part-*.parquet, _summary.json and _errors.csv (rows not parsed)",
    )  # fmt: skip
    score.add_argument(
        "--engine", choices=["local", "ray"], default="local",
        help="local (default): this process; ray: Ray Data with an actor pool on the cluster named by RAY_ADDRESS, else a local Ray",
    )  # fmt: skip
    score.add_argument("--workers", type=int, help="with --engine ray: scorer actors (default: one per GPU, else per CPU)")
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
