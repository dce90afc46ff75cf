"""The background worker: periodic tasks of every app, run by `govhall worker` (and `govhall serve`).

A task is `(name, seconds between runs, "module:function(now)")`. Every govhall app lists its
tasks as `WORKER_TASKS` in its own `tasks` module; `all_tasks()` collects them. Tasks that must
not run twice across several workers claim their work with row locks or conditional updates.
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


def all_tasks() -> list[Task]:
    """The `WORKER_TASKS` of every installed govhall app, fresh copies (each run keeps its own due times)."""
    from django.apps import apps

    found: list[Task] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("govhall."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        found.extend(Task(t.name, t.every, t.target) for t in getattr(module, "WORKER_TASKS", []))
    return found


def run(*, once: bool = False, extra: list[Task] | None = None) -> None:
    tasks = [*all_tasks(), *(extra or [])]
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
