"""Attendance rules and masking — pure, no Django.

A duty day runs from the start of the hall's first opening interval to the end of its last
(the lunch break is inside the day); closed dates and days without hours are rest days; a hall
without opening hours or open round the clock keeps the office day 09:00–17:00 on Mon–Fri.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from govhall.halls import hours

DEFAULT_DAY = (dt.time(9, 0), dt.time(17, 0))


class Status:
    REST = "rest"  # hall closed: nobody is due
    LEAVE = "leave"  # approved leave
    ABSENT = "absent"  # due, no clock-in
    PRESENT = "present"  # clocked in (late/early figures say how well)
    PENDING = "pending"  # today or later, not yet clocked in

    LABELS = {REST: "休息", LEAVE: "请假", ABSENT: "缺勤", PRESENT: "出勤", PENDING: "未到"}


@dataclass(frozen=True)
class DayResult:
    day: dt.date
    status: str
    late_minutes: int = 0
    early_minutes: int = 0
    missing_out: bool = False
    first_in: dt.time | None = None
    last_out: dt.time | None = None

    @property
    def due(self) -> bool:
        return self.status in (Status.ABSENT, Status.PRESENT, Status.PENDING)

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def early(self) -> bool:
        return self.early_minutes > 0 or self.missing_out

    @property
    def clean(self) -> bool:
        return self.status == Status.PRESENT and not self.late and not self.early

    @property
    def label(self) -> str:
        text = Status.LABELS[self.status]
        extra = []
        if self.late:
            extra.append(f"迟到{self.late_minutes}分")
        if self.early_minutes:
            extra.append(f"早退{self.early_minutes}分")
        if self.missing_out:
            extra.append("未签退")
        return text + ("（" + "，".join(extra) + "）" if extra else "")


def duty_span(
    spec: dict[str, Any] | None, closed_dates: list[str], day: dt.date
) -> tuple[dt.time, dt.time] | None:
    """When staff are due on that local day, or None for a rest day."""
    if day.isoformat() in (closed_dates or []):
        return None
    week = hours.parse(spec)
    if week is None or hours.round_the_clock(spec):
        return DEFAULT_DAY if day.weekday() < 5 else None
    spans = week[day.weekday()]
    if not spans:
        return None
    return spans[0][0], max(end for _, end in spans)


def _minutes(a: dt.time, b: dt.time) -> int:
    """Whole minutes from a to b (b later), rounded down."""
    seconds = (b.hour * 3600 + b.minute * 60 + b.second) - (a.hour * 3600 + a.minute * 60 + a.second)
    return max(0, seconds // 60)


def evaluate_day(
    day: dt.date,
    span: tuple[dt.time, dt.time] | None,
    ins: list[dt.time],
    outs: list[dt.time],
    *,
    on_leave: bool = False,
    today: dt.date | None = None,
    late_grace: int = 5,
    early_grace: int = 5,
) -> DayResult:
    """One person's day from their local clock-in and clock-out times.

    Late = first clock-in after start + grace (counted from the start); early = last clock-out
    before end − grace (counted to the end); no clock-out after a clock-in is `missing_out` once
    the day is over. Leave wins over everything; a rest day needs nobody.
    """
    first_in = min(ins) if ins else None
    outs_after = [t for t in outs if first_in is None or t >= first_in]
    last_out = max(outs_after) if outs_after else None
    if on_leave:
        return DayResult(day, Status.LEAVE, first_in=first_in, last_out=last_out)
    if span is None:
        return DayResult(day, Status.REST, first_in=first_in, last_out=last_out)
    start, end = span
    over = today is None or day < today
    if first_in is None:
        return DayResult(day, Status.ABSENT if over else Status.PENDING, last_out=last_out)
    late = _minutes(start, first_in)
    late = late if late > late_grace else 0
    early = 0
    if last_out is not None:
        early = _minutes(last_out, end)
        early = early if early > early_grace else 0
    return DayResult(
        day,
        Status.PRESENT,
        late_minutes=late,
        early_minutes=early,
        missing_out=last_out is None and over,
        first_in=first_in,
        last_out=last_out,
    )


def mask_phone(text: str) -> str:
    """138****5678: the first 3 and last 4 digits stay."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits:
        return ""
    if len(digits) <= 7:
        return digits[:1] + "*" * (len(digits) - 1)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_id_number(text: str) -> str:
    """3301**********123X: region prefix and the last 4 stay, the birth date never."""
    clean = "".join(ch for ch in text.strip().upper() if ch.isalnum())
    if not clean:
        return ""
    if len(clean) <= 8:
        return clean[:1] + "*" * (len(clean) - 1)
    return clean[:4] + "*" * (len(clean) - 8) + clean[-4:]


def is_masked(text: str) -> bool:
    return not text or "*" in text
