"""Threads for concurrency tests that act as the test's user (threads do not inherit context variables)."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable


def thread_as_current_user(target: Callable[..., object], *args: object) -> threading.Thread:
    return threading.Thread(target=contextvars.copy_context().run, args=(target, *args))
