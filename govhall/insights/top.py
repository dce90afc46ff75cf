"""Binjiang's weekly panels (`insights top`, 撤减模型): three top-10 lists over one ISO week.

A ticket belongs to the ISO week of its `issued_at` local date (each timestamp's own offset).
- by_volume: matters by tickets issued (any outcome), most first.
- shortest_handling: matters by mean handling time (`finished_at − called_at` of served
  tickets), shortest first; the entry's count is its served tickets.
- shortest_wait_units: a unit is a hall's zone; mean wait = mean `called_at − issued_at` of its
  called tickets, shortest first; the entry's count is every ticket issued there.
An entry needs at least `min_tickets` (10) in its count. Ties go to the smaller code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from govhall.insights.common import InsightsError, iso_week
from govhall.ticketlog import LogRow

MIN_TICKETS = 10
SIZE = 10
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(text: str) -> str:
    match = WEEK.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 53:
        raise InsightsError(f"bad week {text!r}: use YYYY-Www, e.g. 2026-W12")
    return f"{match.group(1)}-W{match.group(2)}"


def last_week(rows: Sequence[LogRow]) -> str | None:
    weeks = {iso_week(r.issued_at) for r in rows}
    return max(weeks) if weeks else None


def panels(
    rows: Sequence[LogRow], week: str | None = None, *, min_tickets: int = MIN_TICKETS
) -> dict[str, object]:
    week = week or last_week(rows)
    chosen = [r for r in rows if iso_week(r.issued_at) == week]
    volume: dict[str, int] = defaultdict(int)
    handling: dict[str, list[float]] = defaultdict(list)
    unit_tickets: dict[tuple[str, str], int] = defaultdict(int)
    unit_waits: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in chosen:
        volume[r.matter] += 1
        if r.handling_seconds is not None:
            handling[r.matter].append(r.handling_seconds)
        unit_tickets[(r.hall, r.zone)] += 1
        if r.called_at is not None:
            unit_waits[(r.hall, r.zone)].append((r.called_at - r.issued_at).total_seconds())
    by_volume = sorted(((-n, m) for m, n in volume.items() if n >= min_tickets))[:SIZE]
    fastest = sorted((sum(v) / len(v), m, len(v)) for m, v in handling.items() if len(v) >= min_tickets)[
        :SIZE
    ]
    units = sorted(
        (sum(unit_waits[u]) / len(unit_waits[u]), u, n)
        for u, n in unit_tickets.items()
        if n >= min_tickets and unit_waits[u]
    )[:SIZE]
    return {
        "week": week,
        "by_volume": [{"matter": m, "tickets": -n} for n, m in by_volume],
        "shortest_handling": [
            {"matter": m, "served": n, "mean_handling_seconds": round(s, 3)} for s, m, n in fastest
        ],
        "shortest_wait_units": [
            {"hall": u[0], "zone": u[1], "tickets": n, "mean_wait_seconds": round(s, 3)} for s, u, n in units
        ],
    }
