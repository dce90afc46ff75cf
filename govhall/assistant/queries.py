"""Reads of 政小云 for the manage page and the API: weekly shares against the 60/30/10 goal."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncWeek

from govhall import clock
from govhall.assistant.models import Conversation, Outcome, State

GOAL = {Outcome.BOT: 0.60, Outcome.STAFF: 0.30, Outcome.WINDOW: 0.10}


def iso_week(moment: dt.datetime) -> str:
    year, week, _ = clock.local(moment, settings.TIME_ZONE).isocalendar()
    return f"{year}-W{week:02d}"


def weekly_shares(weeks: int = 8, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per ISO week (local time of `started_at`), newest first: conversations by outcome and the
    bot / staff / window shares of the solved ones (bot + staff + window; abandoned ones are
    counted apart) against the goal. Open conversations whose outcome is not decided yet are
    listed as `open`."""
    now = now or clock.now()
    start = clock.local(now, settings.TIME_ZONE).date() - dt.timedelta(days=7 * (weeks - 1))
    start -= dt.timedelta(days=start.weekday())
    zone = clock.local(now, settings.TIME_ZONE).tzinfo
    since = dt.datetime.combine(start, dt.time(), tzinfo=zone)
    counts: dict[str, Counter[str]] = {}
    rows_by_week = (  # counted in the database: one row per (local week, outcome)
        Conversation.objects.filter(started_at__gte=since)
        .annotate(week=TruncWeek("started_at", tzinfo=zone))
        .values("week", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows_by_week:
        counts.setdefault(iso_week(row["week"]), Counter())[row["outcome"] or "open"] += row["n"]
    rows = []
    for i in range(weeks):
        day = start + dt.timedelta(days=7 * (weeks - 1 - i))
        label = f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"
        found = counts.get(label, Counter())
        solved = sum(found[o] for o in GOAL)
        rows.append(
            {
                "week": label,
                "starts": day.isoformat(),
                "bot": found[Outcome.BOT],
                "staff": found[Outcome.STAFF],
                "window": found[Outcome.WINDOW],
                "abandoned": found[Outcome.ABANDONED],
                "open": found["open"],
                "solved": solved,
                "shares": {o.value: round(found[o] / solved, 3) if solved else None for o in GOAL},
            }
        )
    return rows


def goal() -> dict[str, float]:
    return {o.value: share for o, share in GOAL.items()}


def open_counts() -> dict[str, int]:
    states = (State.BOT, State.WAITING, State.STAFF)
    counts = dict(
        Conversation.objects.filter(state__in=states)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("state", "n")
    )
    return {s: counts.get(s, 0) for s in states}
