"""Periodic monitor work, run by the background worker."""

from __future__ import annotations

import datetime as dt

from govhall.worker import Task

WORKER_TASKS = [
    Task("monitor", 3, "govhall.monitor.tasks:evaluate"),
    Task("notify", 2, "govhall.monitor.tasks:deliver"),
]


def evaluate(now: dt.datetime) -> int:
    """One cycle of the alert rules over the database; returns new alerts (delivery is its own task)."""
    from govhall.monitor import live

    return live.evaluate(now)


def deliver(now: dt.datetime) -> int:
    """Send due notifications (the worker's notify task)."""
    from govhall.monitor import outbox

    return outbox.deliver_due(now)
