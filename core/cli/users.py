"""``python -m core users``: list users, create them, change roles, reset passwords, disable or enable them (acts as an
admin)."""

from __future__ import annotations

import argparse
import sys


def _new_password(args: argparse.Namespace) -> str:
    """From stdin (--password-stdin, for scripts) or asked twice on the terminal; never an argument."""
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    try:
        first = getpass.getpass(f"password for {args.name}: ")
        again = getpass.getpass("again: ")
    except EOFError:  # no terminal to ask on (a script, a pipe with nothing in it)
        print(file=sys.stderr)
        raise ValueError("no password was typed; in a script, pass it on standard input with --password-stdin") from None
    if again != first:
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
    if args.action in ("disable", "enable"):
        auth.set_active(args.name, args.action == "enable")
        print(f"{args.name} is {args.action}d" + ("; their open sessions ended" if args.action == "disable" else ""))
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


def register(sub: argparse._SubParsersAction) -> None:
    users = sub.add_parser("users", help="create users, change roles, reset passwords, disable or enable (acts as an admin)")
    users_sub = users.add_subparsers(dest="action", required=True)
    users_sub.add_parser("list", help="list the users with their role and whether they are active").set_defaults(func=cmd_users)
    for action, what in (("disable", "sign-in refused and open sessions ended, e.g. a lost laptop"), ("enable", "allowed again")):
        p = users_sub.add_parser(action, help=f"{action} an account ({what})")
        p.add_argument("name")
        p.set_defaults(func=cmd_users)
    for action, what in (("create", "add a user with a role (viewer by default) and a password"),
                         ("set-role", "give a user another role"),
                         ("reset-password", "set a user's password anew (their open sessions end)")):
        p = users_sub.add_parser(action, help=what)
        p.add_argument("--admin", action="store_true", help="the admin role (same as --role admin)")
        p.add_argument("--role", choices=("viewer", "analyst", "admin"), default="viewer")
        p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        p.add_argument("name")
        p.set_defaults(func=cmd_users)
