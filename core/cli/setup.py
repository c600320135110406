"""``python -m core setup``: migrate the database, install the shipped default models, create the first admin."""

from __future__ import annotations

import argparse


def cmd_setup(_: argparse.Namespace) -> int:
    from core.auth import create_admin_from_environment, issue_setup_token, setup_link
    from core.nlp.defaults import install_default_models
    from core.storage import upgrade_database

    upgrade_database()
    installed = install_default_models()
    print(f"database ready; default models installed: {', '.join(installed) or 'already present'}")
    print(_install_accurate_encoder())
    if create_admin_from_environment():
        print("created the first admin from BEACON_ADMIN_USER")
    elif (token := issue_setup_token()) is not None:
        print(f"no accounts yet: open {setup_link(token)} once to create the first admin in the browser "
              "(this link works until an admin exists; or run `make admin`)")  # fmt: skip
    return 0


def _install_accurate_encoder() -> str:
    """Assemble and verify the accurate base encoder; a problem is one line and the fast encoder keeps working."""
    from core.nlp.accurate_encoder import install
    from core.nlp.base_model import BaseEncoderUnavailable

    try:
        return install()
    except BaseEncoderUnavailable as exc:
        return f"{exc} (the fast encoder keeps working)"


def register(sub: argparse._SubParsersAction) -> None:
    help_text = "migrate the database, install the shipped default models and the accurate base encoder"
    sub.add_parser("setup", help=help_text).set_defaults(func=cmd_setup)
