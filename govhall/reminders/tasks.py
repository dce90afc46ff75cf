"""Periodic work of reminders for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt

from govhall.worker import Task


def plan(now: dt.datetime) -> int:
    from govhall.reminders import services

    return services.plan_reminders(now)


def send(now: dt.datetime) -> int:
    from govhall.reminders import services

    return services.send_due(now, budget_seconds=5.0).sent


WORKER_TASKS: list[Task] = [
    Task("reminders-plan", 600.0, "govhall.reminders.tasks:plan"),
    Task("reminders-send", 5.0, "govhall.reminders.tasks:send"),
]
