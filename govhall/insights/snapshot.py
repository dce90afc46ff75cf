"""Parquet snapshots of a ticket log (`insights snapshot`), for fast queries with DuckDB or polars.

Times are stored as UTC instants plus each timestamp's offset in minutes, so local hours and
dates can be recovered exactly.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govhall.insights.common import load_log


def _offset(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    delta = moment.utcoffset()
    return None if delta is None else int(delta.total_seconds() // 60)


def write_parquet(log: str | Path, out: str | Path) -> int:
    import polars as pl

    rows = load_log(log)
    utc = dt.UTC

    def instant(moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(utc)

    frame = pl.DataFrame(
        {
            "ticket_id": [r.ticket_id for r in rows],
            "hall": [r.hall for r in rows],
            "zone": [r.zone for r in rows],
            "matter": [r.matter for r in rows],
            "subject": [r.subject for r in rows],
            "channel": [r.channel for r in rows],
            "priority": [r.priority for r in rows],
            "issued_at": [instant(r.issued_at) for r in rows],
            "called_at": [instant(r.called_at) for r in rows],
            "finished_at": [instant(r.finished_at) for r in rows],
            "window": [r.window for r in rows],
            "outcome": [r.outcome for r in rows],
            "offset_minutes": [_offset(r.issued_at) for r in rows],
        },
        schema_overrides={
            "issued_at": pl.Datetime("us", "UTC"),
            "called_at": pl.Datetime("us", "UTC"),
            "finished_at": pl.Datetime("us", "UTC"),
        },
    )
    frame.write_parquet(out)
    return len(rows)
