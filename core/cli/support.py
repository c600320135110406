"""``python -m core answer`` (a customer question from a knowledge base) and ``kb import|list|threshold|rollback|delete`` (FAQ knowledge
bases)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli import input_sheet
from core.wording import count_of

if TYPE_CHECKING:
    from core.support.decision import Policy


def cmd_answer(args: argparse.Namespace) -> int:
    from core.storage import upgrade_database
    from core.support.assistant import ask

    if (args.question is None) == (args.input is None):
        print("error: give either a question or --input FILE (with --text-column and --output)", file=sys.stderr)
        return 2
    if args.make_team_threshold and not (args.input and args.expected_column):
        print("error: --make-team-threshold needs --input FILE with --expected-column COL (the threshold is picked on them)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.input is not None:
        if not args.text_column or not args.output:
            print("error: --input needs --text-column COL and --output FILE", file=sys.stderr)
            return 2
        return _answer_file(args)
    policy = _policy(args)
    if policy is None:
        return 2
    upgrade_database()
    result = ask(args.kb, args.question, source="cli", policy=policy)
    print(json.dumps(result.as_dict() | {"operating_point": policy.describe()}, indent=2, ensure_ascii=False))
    return 0


def _policy(args: argparse.Namespace) -> Policy | None:
    """--threshold (a custom threshold), else --operating-point, else the knowledge base's team threshold, else the
    settings (BEACON_SUPPORT_OPERATING_POINT); None after printing the problem (a name that is not an operating point)."""
    from core.support.decision import Policy

    try:
        if args.threshold is not None:
            return Policy.for_operating_point("custom", args.threshold)
        if args.operating_point:
            return Policy.for_operating_point(args.operating_point)
        from core.storage import upgrade_database
        from core.support.kb import policy_for

        upgrade_database()  # the team threshold is stored with the knowledge base
        return policy_for(args.kb)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def _answer_file(args: argparse.Namespace) -> int:
    from core.scoring.reading import InputFileError
    from core.storage import upgrade_database
    from core.support.batch import answer_file

    policy = _policy(args)
    if policy is None:
        return 2
    upgrade_database()
    try:
        with input_sheet(Path(args.input), args.sheet) as path:
            report = answer_file(args.kb, path, args.text_column, Path(args.output), args.expected_column, policy)
    except InputFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    for problem in report.unreadable:
        print(f"  {problem}", file=sys.stderr)
    if report.checked or report.unfilled_expected:
        from core.views.customer_service import expected_answers_problem, suggestion

        problem = expected_answers_problem(report, args.kb)
        if problem:
            print(f"warning: {problem}", file=sys.stderr)
        if report.checked:
            print(suggestion(report)[1])
    print(f"wrote {args.output}")
    return _make_team_threshold(report) if args.make_team_threshold else 0


def _make_team_threshold(report) -> int:  # noqa: ANN001 - BatchReport
    """--make-team-threshold: the suggested threshold becomes the knowledge base's team threshold, recorded as picked on
    the file's checked questions (as the Past questions tab's button does); 1 when there is none to make."""
    from core.support import kb
    from core.views.customer_service import checked_questions, suggestion

    threshold, _ = suggestion(report)  # None without enough checked questions
    if threshold is None:
        print("error: no suggested threshold to make the team threshold (see above); nothing was changed", file=sys.stderr)
        return 1
    print(kb.set_team_threshold(report.kb, threshold, checked_questions(report)))
    return 0


def cmd_kb(args: argparse.Namespace) -> int:
    from core.storage import upgrade_database
    from core.support import kb

    upgrade_database()
    if args.action == "import":
        with input_sheet(Path(args.file), args.sheet) as path:
            report = kb.import_faq_file(args.name, path, args.question_column, args.answer_column, args.category_column)
        print(report.summary())
        for issue in report.rejected + report.flagged:
            print(f"  line {issue.line}, column {issue.column!r}: {issue.reason}", file=sys.stderr)
    elif args.action == "list":
        kbs = kb.list_kbs()
        for info in kbs:
            entries, versions = count_of(info.entries, "entry", "entries"), count_of(info.versions, "version")
            threshold = f", team threshold {info.team.value:.2f}" if info.team else ""
            print(f"{info.name}: version {info.active_version}, {entries}, {versions}{threshold}")
        if not kbs:
            print("no knowledge bases yet; import an FAQ with `python -m core kb import --name NAME FILE`")
    elif args.action == "threshold":
        print(kb.set_team_threshold(args.name, None if args.clear else args.value))
    elif args.action == "delete":
        gone = kb.delete_kb(args.name)
        print(f"deleted {gone.name} ({count_of(gone.versions, 'version')}); the questions asked of it stay in the question log")
    else:
        version = kb.rollback_kb(args.name, args.version)
        print(f"{args.name}: rolled back; now version {version}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    answer = sub.add_parser("answer", help="answer a customer question from a knowledge base (or escalate; prints JSON), "
                                           "or every row of a file (--input ... --output ...)")  # fmt: skip
    answer.add_argument("--kb", required=True, help="knowledge base name")
    answer.add_argument("question", nargs="?", help="one question (or use --input)")
    answer.add_argument("--input", help="a CSV/Excel file of past questions: one output row per input row, in input order")
    answer.add_argument("--text-column", help="the column holding the question (with --input)")
    answer.add_argument("--sheet", help="with an .xlsx --input: the sheet to read (default: the first)")
    answer.add_argument("--output", help="where to write the answers CSV (with --input)")
    answer.add_argument("--expected-column",
                        help="optional: a column with the expected answer, or its entry's FAQ question (empty: none in the FAQ, "
                        "so answering is wrong); "
                        "adds 'correct' (yes/no) and prints the suggested threshold")
    answer.add_argument("--make-team-threshold", action="store_true",
                        help="with --expected-column: make the suggested threshold the knowledge base's team threshold "
                             "(recorded as picked on the file's past questions)")  # fmt: skip
    choice = answer.add_mutually_exclusive_group()
    choice.add_argument("--operating-point", help="answer more | balanced | be more careful (default: the knowledge base's "
                                                  "team threshold when one is set, else BEACON_SUPPORT_OPERATING_POINT, else "
                                                  "balanced); see operating_points.json for each one's measured effect")
    choice.add_argument("--threshold", type=float, help="a custom confidence threshold instead of an operating point (experts)")
    answer.set_defaults(func=cmd_answer)
    kbp = sub.add_parser("kb", help="FAQ knowledge bases: import a CSV, list, set the team threshold, roll back, "
                                        "delete")  # fmt: skip
    kb_sub = kbp.add_subparsers(dest="action", required=True)
    kb_import = kb_sub.add_parser(
        "import", help="import an FAQ CSV or .xlsx (question, answer, optional category); a change is a new version"
    )
    kb_import.add_argument("--name", required=True, help="knowledge base name (created on first import)")
    kb_import.add_argument("file")
    kb_import.add_argument("--sheet", help="with an .xlsx file: the sheet to read (default: the first)")
    kb_import.add_argument("--question-column")
    kb_import.add_argument("--answer-column")
    kb_import.add_argument("--category-column")
    kb_sub.add_parser("list", help="list the knowledge bases: current version, its entries, how many versions")
    kb_threshold = kb_sub.add_parser("threshold", help="set (or --clear) a knowledge base's team threshold: the confidence "
                                     "threshold its questions are answered at unless they choose their own; set here, its "
                                     "effect is not measured (answer --input ... --expected-column suggests one)")  # fmt: skip
    kb_threshold.add_argument("--name", required=True)
    value = kb_threshold.add_mutually_exclusive_group(required=True)
    value.add_argument("value", nargs="?", type=float, help="between 0 and 1")
    value.add_argument("--clear", action="store_true", help="back to the settings' operating point")
    kb_roll = kb_sub.add_parser("rollback", help="make an earlier version's entries current again (as a new version)")
    kb_roll.add_argument("--name", required=True)
    kb_roll.add_argument("--version", type=int, help="default: the version before the active one")
    kb_delete = kb_sub.add_parser("delete", help="delete a knowledge base and all its versions (asked questions stay logged)")
    kb_delete.add_argument("--name", required=True)
    kbp.set_defaults(func=cmd_kb)
