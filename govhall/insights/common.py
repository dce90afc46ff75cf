"""Shared helpers for the insights modules: loading logs and reading local time. No Django here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from govhall.ticketlog import LogError, LogRow, read_log

# When nothing in a log tells how long a service takes, assume ten minutes (a typical window case).
DEFAULT_SERVICE_SECONDS = 600.0


class InsightsError(ValueError):
    """Bad input for an insight (missing file, unreadable log, bad plan): shown to the user as is."""


def load_log(path: str | Path, *, strict: bool = True) -> list[LogRow]:
    """Every row of a ticket log, or an InsightsError that names the file and the reason."""
    path = Path(path)
    if not path.is_file():
        raise InsightsError(f"no such file: {path}")
    try:
        return read_log(path, strict=strict)
    except LogError as exc:
        raise InsightsError(f"{path}: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        raise InsightsError(f"cannot read {path}: {exc}")


def wait_seconds(row: LogRow) -> float | None:
    """The CONTRACTS wait: issue to first call, or to leaving when never called; None while waiting."""
    end = row.wait_end
    return None if end is None else (end - row.issued_at).total_seconds()


def called_wait_seconds(row: LogRow) -> float | None:
    """The wait of a ticket that was called (the prediction target), else None."""
    if row.called_at is None:
        return None
    return (row.called_at - row.issued_at).total_seconds()


def local_date(moment: dt.datetime) -> dt.date:
    # Each timestamp keeps the offset it was written with, which is the hall's local time.
    return moment.date()


def iso_week(moment: dt.datetime) -> str:
    year, week, _ = moment.date().isocalendar()
    return f"{year}-W{week:02d}"


def mean(values: Iterable[float]) -> float | None:
    total = 0.0
    count = 0
    for value in values:
        total += value
        count += 1
    return total / count if count else None
