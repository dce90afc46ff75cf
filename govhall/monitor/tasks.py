"""Periodic monitor work (the live rules engine plugs in here)."""

from __future__ import annotations

import datetime as dt


def evaluate(now: dt.datetime) -> int:
    """Evaluate the alert rules; returns the number of new alerts."""
    return 0
