"""Periodic work of remotehelp for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt

from govhall.worker import Task

WORKER_TASKS: list[Task] = [Task("remotehelp-prune-signals", 3600, "govhall.remotehelp.tasks:prune")]


def prune(now: dt.datetime) -> int:
    """WebRTC signalling of sessions closed over an hour ago is no history: drop it."""
    from govhall.remotehelp import services

    return services.prune_signals(now - dt.timedelta(hours=1))
