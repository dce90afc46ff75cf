"""The background worker: periodic tasks of every app, run by `govhall worker` (and `govhall serve`).

A task is `(name, seconds between runs, function(now))`. Apps add theirs to TASKS. Tasks that
must not run twice across several workers claim their work with row locks or conditional updates.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import close_old_connections

from govhall import clock

log = logging.getLogger("govhall.worker")


@dataclass
class Task:
    name: str
    every: float
    target: str  # "module:function"
    due: float = 0.0

    def load(self) -> Callable[[dt.datetime], object]:
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


TASKS = [
    Task("end of day", 30, "govhall.queueing.tasks:end_of_day"),
    Task("prune events", 600, "govhall.queueing.tasks:prune_events"),
    Task("monitor", 3, "govhall.monitor.tasks:evaluate"),
    Task("notify", 2, "govhall.monitor.tasks:deliver"),
]


def run(*, once: bool = False, extra: list[Task] | None = None) -> None:
    tasks = [*TASKS, *(extra or [])]
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        started = time.monotonic()
        for task in tasks:
            if started < task.due:
                continue
            task.due = started + task.every
            try:
                close_old_connections()
                task.load()(clock.now())
            except Exception:  # one failing task must not stop the others
                log.exception("task %s failed", task.name)
        if once:
            return
        time.sleep(0.5)
