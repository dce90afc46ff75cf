from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govhall.insights import staffing
from govhall.insights.tests.builders import ticket


def monday_morning() -> list:
    # Four tickets in zone A between 09:00 and 10:00 on Monday 2 March, each handled in 600 s.
    rows = [
        ticket(f"2026-03-02T09:{m:02d}:00", called=f"2026-03-02T09:{m + 1:02d}:00", handling=600)
        for m in (0, 10, 20, 30)
    ]
    return rows


def test_erlang_c_by_hand() -> None:
    # M/M/1: the probability of waiting is the utilisation.
    assert staffing.erlang_c(1, 2 / 3) == pytest.approx(2 / 3)
    # Two servers, a = 2/3: (a²/2 · 2/(2−a)) / (1 + a + a²/2 · 2/(2−a)) = (1/3) / 2.
    assert staffing.erlang_c(2, 2 / 3) == pytest.approx(1 / 6)
    assert staffing.erlang_c(2, 2.0) == 1.0  # unstable


def test_one_monday_needs_two_windows() -> None:
    [row] = staffing.plan(monday_morning(), target_wait=900, target_share=0.8)
    assert (row.hall, row.zone, row.weekday, row.hour) == ("city", "A", 0, 9)
    assert row.arrivals_per_hour == 4
    assert row.mean_service_seconds == 600
    # One window: 1 − (2/3)·e^(−0.5) = 0.596 < 0.8; two: 1 − (1/6)·e^(−2) = 0.9774.
    assert row.windows == 2
    assert row.expected_share_within_target == pytest.approx(1 - math.exp(-2) / 6)


def test_days_of_a_weekday_are_the_halls_days_with_tickets() -> None:
    # A second Monday with a ticket only in zone B halves zone A's hourly mean.
    rows = [
        *monday_morning(),
        ticket("2026-03-09T10:00:00", zone="B", called="2026-03-09T10:01:00", handling=300),
    ]
    plan = {(r.zone, r.hour): r for r in staffing.plan(rows, 900, 0.8)}
    a = plan[("A", 9)]
    assert a.arrivals_per_hour == 2
    assert a.windows == 1
    assert a.expected_share_within_target == pytest.approx(1 - math.exp(-1) / 3)
    assert plan[("B", 10)].arrivals_per_hour == 0.5


def test_zone_without_served_tickets_takes_the_hall_mean() -> None:
    rows = [*monday_morning(), ticket("2026-03-02T09:05:00", zone="C", outcome="cancelled")]
    plan = {r.zone: r for r in staffing.plan(rows, 900, 0.8)}
    assert plan["C"].mean_service_seconds == 600


def test_local_hour_is_the_timestamps_own() -> None:
    # 01:00 UTC is 09:00 in Shanghai; the row is written with +00:00 so its hour is 1.
    [row] = staffing.plan([ticket("2026-03-02T01:00:00+00:00")], 900, 0.8)
    assert row.hour == 1


@given(
    rate=st.floats(min_value=0.01, max_value=200),
    service=st.floats(min_value=30, max_value=3600),
    share=st.floats(min_value=0.05, max_value=0.99),
)
def test_fewest_windows_is_the_fewest(rate: float, service: float, share: float) -> None:
    per_second = rate / 3600
    c = staffing.fewest_windows(per_second, service, 900, share)
    assert staffing.share_within(c, per_second, service, 900) >= share
    if c > 1:
        assert staffing.share_within(c - 1, per_second, service, 900) < share
