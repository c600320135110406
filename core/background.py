"""Long work (training, batch scoring) runs in its own ``python -m core ...`` process, started here,
so it outlives a Streamlit rerun, a page reload or a closed tab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.settings import REPO_ROOT


def start_detached(command: list[str], log_path: Path) -> subprocess.Popen:
    """Run ``python -m core *command`` in a new session, output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "core", *command],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
        )
