"""The pure appointment rules of queueing.policy: capacity, check-in window, priority, no-show ban."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from govhall.queueing import policy

T0 = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def test_capacity_is_windows_times_slot_over_handling_times_share() -> None:
    assert policy.slot_capacity(2, 1800, 300, 0.5) == 6
    assert policy.slot_capacity(1.5, 1800, 300, 0.5) == 4
    assert policy.slot_capacity(0, 1800, 300, 0.5) == 0
    assert policy.slot_capacity(2, 1800, 300, 0) == 0


@given(
    st.floats(0, 20),
    st.floats(0, 20),
    st.integers(60, 7200),
    st.floats(1, 3600),
    st.floats(0.01, 1),
)
def test_capacity_grows_with_windows_and_never_exceeds_the_throughput(
    a: float, b: float, slot: int, mean: float, share: float
) -> None:
    low, high = sorted((a, b))
    assert policy.slot_capacity(low, slot, mean, share) <= policy.slot_capacity(high, slot, mean, share)
    assert policy.slot_capacity(high, slot, mean, share) <= high * slot / mean * share + 1e-9


def test_check_in_window_and_priority_follow_the_hall_policy() -> None:
    opens, closes = policy.checkin_window({}, T0)
    assert (T0 - opens, closes - T0) == (dt.timedelta(minutes=30), dt.timedelta(minutes=15))
    opens, closes = policy.checkin_window({"appointment_checkin_early_minutes": 5}, T0)
    assert T0 - opens == dt.timedelta(minutes=5)
    assert policy.appointment_priority({}, T0, T0 - dt.timedelta(minutes=11)) == 0
    assert policy.appointment_priority({}, T0, T0 - dt.timedelta(minutes=10)) == 1
    assert policy.appointment_priority({"appointment_priority": False}, T0, T0) == 0


def test_no_show_ban_counts_misses_within_the_days() -> None:
    day = dt.timedelta(days=1)
    misses = [T0, T0 + 10 * day, T0 + 20 * day]
    assert policy.no_show_ban({}, misses[:2], T0 + 21 * day) is None
    assert policy.no_show_ban({}, misses, T0 + 21 * day) == T0 + 50 * day
    assert policy.no_show_ban({}, misses, T0 + 51 * day) is None
    spread = [T0, T0 + 60 * day, T0 + 120 * day]  # never three within 90 days
    assert policy.no_show_ban({}, spread, T0 + 121 * day) is None
    assert policy.no_show_ban({"no_show_limit": 0}, misses, T0 + 21 * day) is None
    assert (
        policy.no_show_ban({"no_show_limit": 2, "no_show_ban_days": 7}, misses[:2], T0 + 11 * day)
        == T0 + 17 * day
    )


@given(st.lists(st.integers(0, 400), max_size=12), st.integers(0, 500))
def test_a_ban_always_follows_a_real_streak(offsets: list[int], now_offset: int) -> None:
    misses = [T0 + dt.timedelta(days=d) for d in offsets]
    now = T0 + dt.timedelta(days=now_offset)
    until = policy.no_show_ban({}, misses, now)
    if until is not None:
        assert now < until
        last = until - dt.timedelta(days=30)
        streak = [m for m in misses if last - dt.timedelta(days=90) <= m <= last]
        assert len(streak) >= 3


def test_existing_defaults_are_unchanged() -> None:
    rules = policy.settings_of({})
    assert rules["priority_first"] is True and rules["priority_cap"] == 0
    assert rules["remote_tickets_per_subject_per_day"] == 3


def test_a_bad_value_in_a_hand_edited_policy_falls_back_to_the_default() -> None:
    rules = policy.settings_of({"no_show_limit": "three", "appointment_share": -1, "near_turn_ahead": 5})
    assert rules["no_show_limit"] == 3 and rules["appointment_share"] == 0.5 and rules["near_turn_ahead"] == 5
