"""Periodic work of dashboard for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from govhall.worker import Task

log = logging.getLogger(__name__)
WORKER_TASKS: list[Task] = [
    Task("dashboard-tidal", 30, "govhall.dashboard.tasks:harvest"),
    Task("dashboard-reports", 300, "govhall.dashboard.tasks:reports"),
]
_generating: threading.Thread | None = None


def harvest(now: dt.datetime) -> int:
    """Keep tidal-window openings beyond the event log's pruning, for the reports."""
    from govhall.dashboard import reports

    return reports.harvest_tidal()


def reports(now: dt.datetime) -> bool:
    """Last week's and last month's reports, each generated once across workers (claimed). A PDF
    takes seconds, so the work runs in a thread of its own: the worker's loop (the live monitor
    every 3 s) never waits for it. Returns whether a run was started."""
    global _generating
    if _generating is not None and _generating.is_alive():
        return False
    _generating = threading.Thread(target=_generate, args=(now,), name="dashboard-reports", daemon=True)
    _generating.start()
    return True


def _generate(now: dt.datetime) -> None:
    from django.db import connections

    from govhall.dashboard import reports as service

    try:
        service.schedule(now)
    except Exception:
        log.exception("scheduled reports failed")
    finally:
        connections.close_all()
