"""The ticket log of CONTRACTS section 6: reading and writing, pure Python, no Django.

Every reader of logs (import, insights, monitor replay) parses through here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

COLUMNS = (
    "ticket_id",
    "hall",
    "zone",
    "matter",
    "subject",
    "channel",
    "priority",
    "issued_at",
    "called_at",
    "finished_at",
    "window",
    "outcome",
)
CHANNELS = ("walk_in", "remote", "appointment")
OUTCOMES = ("served", "no_show", "cancelled", "")


class LogError(ValueError):
    """A log that can't be read; names the line and the reason."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        self.errors = errors
        shown = "\n".join(f"  line {line}: {reason}" for line, reason in errors[:20])
        more = f"\n  … and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"bad ticket log:\n{shown}{more}")


@dataclass(frozen=True, slots=True)
class LogRow:
    ticket_id: str
    hall: str
    zone: str
    matter: str
    subject: str
    channel: str
    priority: int
    issued_at: dt.datetime
    called_at: dt.datetime | None
    finished_at: dt.datetime | None
    window: str
    outcome: str
    line: int = 0

    @property
    def wait_end(self) -> dt.datetime | None:
        """A wait ends at the first call or, if never called, when the ticket left."""
        return self.called_at or self.finished_at

    @property
    def handling_seconds(self) -> float | None:
        if self.outcome == "served" and self.called_at and self.finished_at:
            return (self.finished_at - self.called_at).total_seconds()
        return None


def parse_time(text: str) -> dt.datetime | None:
    text = text.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"time without offset: {text!r}")
    return value


def format_time(value: dt.datetime | None) -> str:
    return "" if value is None else value.replace(microsecond=0).isoformat()


def _parse_row(raw: dict[str, str], line: int) -> LogRow:
    get = lambda key: (raw.get(key) or "").strip()  # noqa: E731
    if not get("ticket_id"):
        raise ValueError("empty ticket_id")
    for key in ("hall", "zone", "issued_at"):
        if not get(key):
            raise ValueError(f"empty {key}")
    channel = get("channel") or "walk_in"
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r} ({', '.join(CHANNELS)})")
    priority_text = get("priority") or "0"
    if priority_text not in ("0", "1"):
        raise ValueError(f"priority must be 0 or 1, got {priority_text!r}")
    outcome = get("outcome")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r} (served, no_show, cancelled or empty)")
    try:
        issued, called, finished = (parse_time(get(k)) for k in ("issued_at", "called_at", "finished_at"))
    except ValueError as exc:
        raise ValueError(f"bad time: {exc}")
    assert issued is not None
    if called and called < issued:
        raise ValueError("called_at is before issued_at")
    if finished and finished < (called or issued):
        raise ValueError("finished_at is before called_at/issued_at")
    if outcome in ("served", "no_show") and not called:
        raise ValueError(f"outcome {outcome} needs called_at")
    if outcome and not finished:
        raise ValueError(f"outcome {outcome} needs finished_at")
    return LogRow(
        get("ticket_id"),
        get("hall"),
        get("zone"),
        get("matter"),
        get("subject"),
        channel,
        int(priority_text),
        issued,
        called,
        finished,
        get("window"),
        outcome,
        line,
    )


def iter_rows(text: str, *, strict: bool = True) -> Iterator[LogRow]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise LogError([(1, f"missing columns: {', '.join(missing)}")])
    errors: list[tuple[int, str]] = []
    seen: set[str] = set()
    rows = []
    for raw in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in raw.values() if isinstance(v, str)):
            continue
        try:
            row = _parse_row(raw, line)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        if row.ticket_id in seen:
            errors.append((line, f"duplicate ticket_id {row.ticket_id!r}"))
            continue
        seen.add(row.ticket_id)
        rows.append(row)
    if errors and strict:
        raise LogError(errors)
    yield from rows


def read_log(path: str | Path, *, strict: bool = True) -> list[LogRow]:
    """Every row of a log file; `strict` refuses the file on any bad row (else bad rows are skipped)."""
    return list(iter_rows(Path(path).read_text(encoding="utf-8-sig"), strict=strict))


def write_log(rows: Iterable[LogRow], out: io.TextIOBase | io.StringIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.ticket_id,
                r.hall,
                r.zone,
                r.matter,
                r.subject,
                r.channel,
                r.priority,
                format_time(r.issued_at),
                format_time(r.called_at),
                format_time(r.finished_at),
                r.window,
                r.outcome,
            ]
        )
