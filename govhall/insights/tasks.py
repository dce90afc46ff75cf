"""Periodic insights work for the background worker."""

from __future__ import annotations

from govhall.worker import Task

WORKER_TASKS = [
    Task("wait model", 3600, "govhall.insights.live:train_if_stale"),
    Task("wait predictions", 15, "govhall.insights.live:refresh"),
]
