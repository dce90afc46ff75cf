"""Small log builders with named actors for the insights tests."""

from __future__ import annotations

import datetime as dt
import itertools

from govhall.ticketlog import LogRow

CST = dt.timezone(dt.timedelta(hours=8))
_ids = itertools.count(1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text if "+" in text or text.endswith("Z") else text + "+08:00")


def ticket(
    issued: str,
    *,
    called: str | None = None,
    handling: float | None = None,
    hall: str = "city",
    zone: str = "A",
    matter: str = "M1",
    subject: str = "",
    outcome: str | None = None,
    priority: int = 0,
    window: str = "1",
) -> LogRow:
    issued_at = at(issued)
    called_at = at(called) if called else None
    finished = called_at + dt.timedelta(seconds=handling) if called_at and handling is not None else None
    if outcome is None:
        outcome = "served" if finished else ""
    if outcome == "cancelled" and finished is None:
        finished = issued_at + dt.timedelta(minutes=5)
    return LogRow(
        f"t{next(_ids)}",
        hall,
        zone,
        matter,
        subject,
        "walk_in",
        priority,
        issued_at,
        called_at,
        finished,
        window if called_at else "",
        outcome,
    )
