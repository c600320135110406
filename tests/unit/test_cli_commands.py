"""`python -m core --help` lists every command the command line had before it was split into `core/cli/`,
with the same subcommands and the same one-line errors and exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from core.__main__ import build_parser, main
from core.settings import REPO_ROOT

COMMANDS = [
    "setup", "score", "score-run", "config", "feeds", "train", "train-run", "users", "models", "recommend", "recommend-job", "answer",
    "kb",
    "digest",
]  # fmt: skip
SUBCOMMANDS = {
    "config": ["apply"],
    "feeds": ["import-opml", "export-opml"],
    "users": ["list", "disable", "enable", "create", "set-role", "reset-password"],
    "models": ["list", "promote", "rollback", "delete", "distil", "build-defaults", "measure-defaults"],
    "kb": ["import", "list", "threshold", "rollback", "delete"],
    "digest": ["preview"],
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_help_lists_every_command_in_order():
    out = subprocess.run([sys.executable, "-m", "core", "--help"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "{" + ",".join(COMMANDS) + "}" in out.stdout
    assert list(_subparsers(build_parser())) == COMMANDS


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_each_area_keeps_its_subcommands(command: str):
    assert list(_subparsers(_subparsers(build_parser())[command])) == SUBCOMMANDS[command]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_function_to_run(command: str):
    parser = _subparsers(build_parser())[command]
    targets = [parser] if command not in SUBCOMMANDS else list(_subparsers(parser).values())
    for target in targets:
        assert callable(target.get_default("func") or parser.get_default("func")), target.prog


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_every_subcommand_says_what_it_does_in_the_help(command: str):
    (action,) = [a for a in _subparsers(build_parser())[command]._actions if isinstance(a, argparse._SubParsersAction)]
    described = {choice.dest for choice in action._choices_actions if choice.help}  # what `--help` lists under the area
    assert described == set(SUBCOMMANDS[command]), f"no help: {set(SUBCOMMANDS[command]) - described}"


def test_an_error_is_one_line_and_exit_code_one(capsys: pytest.CaptureFixture[str]):
    assert main(["score", "--input", "x.csv", "--text-column", "text", "--output", "y.csv"]) == 1
    assert capsys.readouterr().err == "error: name at least one task: --task sentiment (repeatable) or --tasks sentiment,topic\n"


def test_a_missing_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
