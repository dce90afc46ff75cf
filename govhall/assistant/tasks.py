"""Periodic work of 政小云 for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt

from govhall.worker import Task

WORKER_TASKS: list[Task] = [Task("assistant-close-idle", 60, "govhall.assistant.tasks:close_idle")]


def close_idle(now: dt.datetime) -> int:
    """Conversations nobody touched for a while are closed and get their outcome."""
    from govhall.assistant import services

    return services.close_idle(now)
