"""When to remind: which steps to plan, and quiet hours — plain computation, no Django."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo


def steps_to_plan(expires_on: dt.date, steps: list[int], today: dt.date) -> list[int]:
    """The steps (days before expiry) still worth a message.

    Every step whose day is after today, plus the latest step whose day has come (a record
    imported late gets one message now, not a burst of every missed step); nothing once the
    certificate has expired."""
    if expires_on <= today:
        return []
    ordered = sorted({s for s in steps if s > 0}, reverse=True)
    future = [s for s in ordered if expires_on - dt.timedelta(days=s) > today]
    passed = [s for s in ordered if expires_on - dt.timedelta(days=s) <= today]
    return future + passed[-1:]


def in_quiet(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether a local time lies in [start, end), which may wrap midnight (21:00–08:00)."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def next_allowed(moment: dt.datetime, start: dt.time, end: dt.time, tz: str) -> dt.datetime:
    """`moment` itself if sending is allowed then, else the end of the quiet hours (aware UTC)."""
    local = moment.astimezone(ZoneInfo(tz))
    if not in_quiet(local.time(), start, end):
        return moment
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)


def due_moment(expires_on: dt.date, step: int, at: dt.time, tz: str) -> dt.datetime:
    """The reminder day of a step, at the end of the quiet hours (the first moment one may send)."""
    day = expires_on - dt.timedelta(days=step)
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(tz)).astimezone(dt.UTC)
