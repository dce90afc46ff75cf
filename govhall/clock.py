"""The one clock of govhall: every "now" goes through here so tests can travel in time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.UTC


def now() -> dt.datetime:
    """Aware UTC now (time-machine moves it in tests)."""
    return dt.datetime.now(tz=UTC)


def local(moment: dt.datetime, tz: str) -> dt.datetime:
    return moment.astimezone(ZoneInfo(tz))


def service_day(moment: dt.datetime, tz: str) -> dt.date:
    """The hall's local date of a moment."""
    return local(moment, tz).date()


def iso(moment: dt.datetime | None, tz: str | None = None) -> str:
    """ISO 8601 with offset and whole seconds, in the hall's zone when given."""
    if moment is None:
        return ""
    if tz:
        moment = local(moment, tz)
    return moment.replace(microsecond=0).isoformat()


def parse_iso(text: str) -> dt.datetime:
    """Parse ISO 8601 with any offset, `Z` or fractions; naive input is refused."""
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"time without offset: {text!r}")
    return value
