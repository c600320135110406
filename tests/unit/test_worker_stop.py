"""The worker's stop signal: the handler returns at once (waiting inside it could block the main thread while it
holds a lock the running cycle needs), and the cycle in progress still finishes before the worker stops."""

from __future__ import annotations

import signal
import threading
import time

from apscheduler.schedulers.background import BackgroundScheduler

from jobs.scheduler import Stopper


def test_the_stop_signal_returns_at_once_and_the_running_cycle_still_finishes():
    running, release, finished = threading.Event(), threading.Event(), threading.Event()

    def cycle() -> None:
        running.set()
        release.wait(10)
        finished.set()

    scheduler = BackgroundScheduler()
    scheduler.add_job(cycle)  # runs at once
    scheduler.start()
    assert running.wait(10)
    threading.Timer(3, release.set).start()  # a handler that waited for the cycle would return only then
    stopper = Stopper(scheduler)
    began = time.monotonic()
    stopper(signal.SIGTERM, None)
    assert time.monotonic() - began < 1 and not finished.is_set()
    stopper(signal.SIGTERM, None)  # a second signal starts no second stop
    release.set()
    stopper.join()
    assert finished.is_set() and not scheduler.running
