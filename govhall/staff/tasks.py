"""Periodic work of staff for the background worker (see govhall.worker)."""

from __future__ import annotations

from govhall.worker import Task

WORKER_TASKS: list[Task] = []
