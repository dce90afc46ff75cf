"""Periodic work of ratings for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt

from govhall.worker import Task

WORKER_TASKS: list[Task] = [
    Task("ratings-cases", 60, "govhall.ratings.tasks:cases"),
    Task("ratings-notify", 5, "govhall.ratings.tasks:notify"),
    Task("ratings-defaults", 600, "govhall.ratings.tasks:defaults"),
]


def cases(now: dt.datetime) -> int:
    """Overdue call-backs and rectifications: recorded once and queued to the hall's recipients."""
    from govhall.ratings import services

    return services.escalate_overdue(now)


def notify(now: dt.datetime) -> int:
    from govhall.ratings import services

    return services.deliver_notices(now)


def defaults(now: dt.datetime) -> int:
    """基本满意 for services left unrated N days, in halls that turned it on."""
    from govhall.ratings import services

    return services.apply_defaults(now)
