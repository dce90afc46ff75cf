"""Live demo traffic (arrivals, windows calling and serving) for `make demo`."""

from __future__ import annotations

import datetime as dt


def tick(now: dt.datetime) -> None:
    return None
