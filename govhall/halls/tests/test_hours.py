import datetime as dt

import pytest

from govhall.halls import hours

WEEKDAYS = {"mon-fri": ["08:30-12:00", "13:30-17:00"], "sat": ["09:00-12:00"]}


def at(day: str, time: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}")


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        ("2026-03-02T08:29:59", False),  # Monday before opening
        ("2026-03-02T08:30:00", True),
        ("2026-03-02T12:00:00", False),  # lunch break
        ("2026-03-02T13:30:00", True),
        ("2026-03-02T16:59:59", True),
        ("2026-03-02T17:00:00", False),
        ("2026-03-07T10:00:00", True),  # Saturday morning
        ("2026-03-08T10:00:00", False),  # Sunday
    ],
)
def test_opening_hours_with_lunch_break(moment: str, open_: bool) -> None:
    assert hours.is_open(WEEKDAYS, [], dt.datetime.fromisoformat(moment)) is open_


def test_closed_dates_close_the_whole_day() -> None:
    assert not hours.is_open(WEEKDAYS, ["2026-03-02"], at("2026-03-02", "10:00"))


def test_no_hours_means_always_open_and_all_day_includes_the_last_minute() -> None:
    assert hours.is_open({}, [], at("2026-03-08", "03:00"))
    assert hours.is_open({"mon-sun": ["00:00-23:59"]}, [], at("2026-03-08", "23:59:30"))


def test_day_ranges_wrap_and_bad_specs_are_refused() -> None:
    week = hours.parse({"sat-mon": ["09:00-10:00"]})
    assert week is not None and [d for d, iv in week.items() if iv] == [0, 5, 6]
    for bad in (
        {"moon": ["09:00-10:00"]},
        {"mon": ["10:00-09:00"]},
        {"mon": ["9-10"]},
        {"mon": "09:00-10:00"},
    ):
        with pytest.raises(hours.HoursError):
            hours.parse(bad)


def test_closing_time_and_open_hours() -> None:
    assert hours.closing_time(WEEKDAYS, [], dt.date(2026, 3, 2)) == dt.time(17, 0)
    assert hours.closing_time(WEEKDAYS, [], dt.date(2026, 3, 8)) is None
    assert hours.open_hours_of_day(WEEKDAYS, 0) == {8, 9, 10, 11, 13, 14, 15, 16}
