"""Working-day arithmetic for 差评 deadlines — pure, no Django.

A working day (工作日) is Monday to Friday, minus the hall's closed dates (holidays), plus any
explicit make-up working days (调休上班日, e.g. a Saturday before the National Day week).
"Within N working days" counts from the day after the start: a case opened on Friday 16:00
with a one-working-day call-back is due at the end of Monday (24:00 local), and one opened on a
Saturday likewise. The opening day itself never counts, working day or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable


def _dates(values: Iterable[str | dt.date]) -> frozenset[dt.date]:
    out = set()
    for value in values or ():
        out.add(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
    return frozenset(out)


class Calendar:
    """Which dates are working days for one hall."""

    def __init__(self, closed: Iterable[str | dt.date] = (), workdays: Iterable[str | dt.date] = ()) -> None:
        self.closed = _dates(closed)
        self.workdays = _dates(workdays)

    def is_working(self, day: dt.date) -> bool:
        if day in self.closed:
            return False
        return day in self.workdays or day.weekday() < 5

    def add(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (n ≥ 1); `start` itself never counts."""
        if n < 1:
            raise ValueError("n must be at least 1")
        day, left = start, n
        # A closed list can't remove more than its own length of days, so this ends.
        while left:
            day += dt.timedelta(days=1)
            if self.is_working(day):
                left -= 1
        return day

    def count_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]."""
        day, n = start, 0
        while day < end:
            day += dt.timedelta(days=1)
            n += self.is_working(day)
        return n

    def deadline(self, moment: dt.datetime, n: int) -> dt.datetime:
        """The end (next midnight, local) of the n-th working day after `moment`'s local date.

        `moment` must be aware and in the hall's time zone; the result keeps that zone."""
        if moment.tzinfo is None:
            raise ValueError("moment must be aware")
        day = self.add(moment.date(), n) + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=moment.tzinfo)


def calendar_for(closed_dates: Collection[str], workdays: Collection[str] = ()) -> Calendar:
    return Calendar(closed_dates, workdays)
