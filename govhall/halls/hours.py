"""Opening hours: `{"mon-fri": ["08:30-12:00", "13:30-17:00"], "sat": [...]}` — pure, no Django."""

from __future__ import annotations

import datetime as dt
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Intervals = list[tuple[dt.time, dt.time]]


class HoursError(ValueError):
    pass


def _time(text: str) -> dt.time:
    try:
        hour, minute = text.strip().split(":")
        if hour == "24" and minute == "00":
            return dt.time(23, 59, 59)
        return dt.time(int(hour), int(minute))
    except ValueError:
        raise HoursError(f"bad time {text!r}: use HH:MM")


def _days(key: str) -> list[int]:
    key = key.strip().lower()
    if "-" in key:
        first, last = key.split("-", 1)
        if first not in DAYS or last not in DAYS:
            raise HoursError(f"bad day range {key!r}: use e.g. mon-fri")
        a, b = DAYS.index(first), DAYS.index(last)
        return list(range(a, b + 1)) if a <= b else [*range(a, 7), *range(0, b + 1)]
    if key not in DAYS:
        raise HoursError(f"bad day {key!r}: use mon … sun or a range like mon-fri")
    return [DAYS.index(key)]


def parse(spec: dict[str, Any] | None) -> dict[int, Intervals] | None:
    """Weekday (Mon=0) → sorted intervals; None means always open."""
    if not spec:
        return None
    if not isinstance(spec, dict):
        raise HoursError("opening_hours must be an object of day → list of HH:MM-HH:MM")
    week: dict[int, Intervals] = {d: [] for d in range(7)}
    for key, ranges in spec.items():
        if not isinstance(ranges, list):
            raise HoursError(f"opening_hours[{key!r}] must be a list of HH:MM-HH:MM")
        for text in ranges:
            if not isinstance(text, str) or text.count("-") != 1:
                raise HoursError(f"bad interval {text!r}: use HH:MM-HH:MM")
            start, end = (_time(t) for t in text.split("-"))
            if end <= start:
                raise HoursError(f"interval {text!r} ends before it starts")
            for day in _days(key):
                week[day].append((start, end))
    for day in week:
        week[day].sort()
    return week


def is_open(spec: dict[str, Any] | None, closed_dates: list[str], local: dt.datetime) -> bool:
    if local.date().isoformat() in (closed_dates or []):
        return False
    week = parse(spec)
    if week is None:
        return True
    t = local.time()
    if any(start <= t < end for start, end in week[local.weekday()]):
        return True
    # "00:00-23:59" means open all day: the last minute counts too.
    return any(start <= t and end == dt.time(23, 59) for start, end in week[local.weekday()])


def closing_time(spec: dict[str, Any] | None, closed_dates: list[str], day: dt.date) -> dt.time | None:
    """When the last interval of that day ends (None: not open that day, or open round the clock)."""
    week = parse(spec)
    if week is None or day.isoformat() in (closed_dates or []) or not week[day.weekday()]:
        return None
    end = max(end for _, end in week[day.weekday()])
    return None if end >= dt.time(23, 59) else end


def round_the_clock(spec: dict[str, Any] | None) -> bool:
    """Always open, or open until midnight every day: a queue that never closes."""
    week = parse(spec)
    return week is None or all(iv and max(e for _, e in iv) >= dt.time(23, 59) for iv in week.values())


def open_hours_of_day(spec: dict[str, Any] | None, weekday: int) -> set[int]:
    """The local hours (0–23) that overlap an opening interval on that weekday."""
    week = parse(spec)
    if week is None:
        return set(range(24))
    hours: set[int] = set()
    for start, end in week[weekday]:
        # hour h is [h:00, h+1:00); it counts when it overlaps [start, end)
        hours.update(h for h in range(24) if dt.time(h) < end and (h == 23 or dt.time(h + 1) > start))
    return hours
