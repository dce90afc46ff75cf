"""Deadline arithmetic over weekends, closed dates and make-up workdays (pure)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govhall.ratings.workdays import Calendar

SH = ZoneInfo("Asia/Shanghai")
FRI = dt.date(2026, 9, 25)  # a Friday


def test_friday_afternoon_callback_is_due_at_the_end_of_monday() -> None:
    moment = dt.datetime(2026, 9, 25, 16, 0, tzinfo=SH)
    assert Calendar().deadline(moment, 1) == dt.datetime(2026, 9, 29, 0, 0, tzinfo=SH)


def test_saturday_counts_from_monday() -> None:
    assert Calendar().add(dt.date(2026, 9, 26), 1) == dt.date(2026, 9, 28)


def test_national_day_week_with_a_make_up_saturday() -> None:
    # 2026: Oct 1–7 closed, Sep 27 (Sunday) and Oct 10 (Saturday) are make-up working days
    closed = [f"2026-10-0{d}" for d in range(1, 8)]
    cal = Calendar(closed, ["2026-09-27", "2026-10-10"])
    assert cal.add(dt.date(2026, 9, 26), 1) == dt.date(2026, 9, 27)  # the make-up Sunday
    assert cal.add(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)
    # 15 working days from Sep 30: Oct 8, 9, 10, 12–16, 19–23, 26, 27
    assert cal.add(dt.date(2026, 9, 30), 15) == dt.date(2026, 10, 27)


def test_closed_date_beats_a_make_up_day_and_bad_input_is_refused() -> None:
    cal = Calendar(["2026-10-10"], ["2026-10-10"])
    assert not cal.is_working(dt.date(2026, 10, 10))
    with pytest.raises(ValueError):
        cal.add(FRI, 0)
    with pytest.raises(ValueError):
        cal.deadline(dt.datetime(2026, 9, 25, 9, 0), 1)  # noqa: DTZ001  (naive on purpose)


days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2027, 12, 31))


@settings(max_examples=200, deadline=None)
@given(
    start=days,
    n=st.integers(min_value=1, max_value=30),
    closed=st.sets(days, max_size=40),
    workdays=st.sets(days, max_size=10),
)
def test_the_nth_working_day(start: dt.date, n: int, closed: set[dt.date], workdays: set[dt.date]) -> None:
    cal = Calendar(closed, workdays)
    due = cal.add(start, n)
    assert due > start
    assert cal.is_working(due)  # a deadline never falls on a weekend or closed date
    assert cal.count_between(start, due) == n  # exactly n working days in (start, due]
    assert cal.count_between(start, due - dt.timedelta(days=1)) == n - 1  # and not one day earlier
    assert cal.add(start, n + 1) > due  # monotone
    if n > 1:
        assert cal.add(cal.add(start, 1), n - 1) == due  # one step, then the rest


@settings(max_examples=100, deadline=None)
@given(start=days, n=st.integers(min_value=1, max_value=20), closed=st.sets(days, max_size=20))
def test_closing_a_day_never_brings_a_deadline_forward(start: dt.date, n: int, closed: set[dt.date]) -> None:
    extra = start + dt.timedelta(days=3)
    assert Calendar(closed | {extra}).add(start, n) >= Calendar(closed).add(start, n)


@settings(max_examples=100, deadline=None)
@given(
    # hypothesis takes naive bounds and makes naive moments, localised below
    moment=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2027, 12, 31)),  # noqa: DTZ001
    n=st.integers(min_value=1, max_value=15),
)
def test_deadline_is_a_local_midnight_after_the_moment(moment: dt.datetime, n: int) -> None:
    local = moment.replace(tzinfo=SH)
    due = Calendar().deadline(local, n)
    assert due > local and due.time() == dt.time(0, 0) and due.tzinfo == SH
    assert Calendar().is_working(due.date() - dt.timedelta(days=1))
