"""Periodic monitor work, run by the worker (`govhall.worker.TASKS`)."""

from __future__ import annotations

import datetime as dt


def evaluate(now: dt.datetime) -> int:
    """One cycle of the alert rules over the database; returns new alerts (delivery is its own task)."""
    from govhall.monitor import live

    return live.evaluate(now)


def deliver(now: dt.datetime) -> int:
    """Send due notifications (the worker's notify task)."""
    from govhall.monitor import outbox

    return outbox.deliver_due(now)
