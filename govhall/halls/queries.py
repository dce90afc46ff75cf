"""Reads of halls other apps may use."""

from __future__ import annotations

import datetime as dt

from govhall import clock
from govhall.halls import hours
from govhall.halls.models import Hall


def is_open(hall: Hall, moment: dt.datetime | None = None) -> bool:
    """Whether the hall takes walk-ins at `moment` (now by default), in its own time zone."""
    at = moment or clock.now()
    return hours.is_open(hall.opening_hours, hall.closed_dates, clock.local(at, hall.timezone))
