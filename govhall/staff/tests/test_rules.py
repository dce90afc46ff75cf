"""Attendance rules and masking, pure."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from govhall.staff import rules
from govhall.staff.rules import Status, duty_span, evaluate_day

HOURS = {"mon-fri": ["08:30-12:00", "13:30-17:00"], "sat": ["09:00-12:00"]}
MON = dt.date(2026, 11, 2)
SPAN = (dt.time(8, 30), dt.time(17, 0))


def t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def test_duty_span_covers_lunch_and_knows_rest_days() -> None:
    assert duty_span(HOURS, [], MON) == SPAN
    assert duty_span(HOURS, [], dt.date(2026, 11, 7)) == (t("09:00"), t("12:00"))  # Saturday
    assert duty_span(HOURS, [], dt.date(2026, 11, 8)) is None  # Sunday
    assert duty_span(HOURS, ["2026-11-02"], MON) is None  # closed date
    assert duty_span({}, [], MON) == rules.DEFAULT_DAY  # always open: office day
    assert duty_span({}, [], dt.date(2026, 11, 8)) is None
    assert duty_span({"mon-sun": ["00:00-23:59"]}, [], MON) == rules.DEFAULT_DAY  # round the clock


def test_on_time_within_grace_late_and_early_beyond_it() -> None:
    fine = evaluate_day(MON, SPAN, [t("08:34")], [t("16:56")], today=dt.date(2026, 12, 1))
    assert fine.clean and fine.status == Status.PRESENT
    late = evaluate_day(MON, SPAN, [t("08:42")], [t("17:05")], today=dt.date(2026, 12, 1))
    assert late.late_minutes == 12 and not late.early and late.label == "出勤（迟到12分）"
    early = evaluate_day(MON, SPAN, [t("08:20")], [t("16:40")], today=dt.date(2026, 12, 1))
    assert early.early_minutes == 20 and not early.late
    strict = evaluate_day(MON, SPAN, [t("08:34")], [t("17:00")], late_grace=0, today=dt.date(2026, 12, 1))
    assert strict.late_minutes == 4


def test_absent_pending_missing_out_leave_and_rest() -> None:
    after = dt.date(2026, 12, 1)
    assert evaluate_day(MON, SPAN, [], [], today=after).status == Status.ABSENT
    assert evaluate_day(MON, SPAN, [], [], today=MON).status == Status.PENDING
    no_out = evaluate_day(MON, SPAN, [t("08:00")], [], today=after)
    assert no_out.missing_out and no_out.early and not no_out.clean
    assert not evaluate_day(MON, SPAN, [t("08:00")], [], today=MON).missing_out  # the day isn't over
    assert evaluate_day(MON, SPAN, [], [], on_leave=True, today=after).status == Status.LEAVE
    assert evaluate_day(MON, None, [t("09:00")], [], today=after).status == Status.REST


def test_clock_out_before_the_first_clock_in_is_ignored() -> None:
    day = evaluate_day(MON, SPAN, [t("08:30")], [t("07:00"), t("17:00")], today=dt.date(2026, 12, 1))
    assert day.last_out == t("17:00") and day.clean


times = st.times(dt.time(6, 0), dt.time(21, 0)).map(lambda x: x.replace(microsecond=0))


@given(
    ins=st.lists(times, min_size=1, max_size=4), outs=st.lists(times, max_size=4), grace=st.integers(0, 30)
)
def test_properties_of_a_present_day(ins: list[dt.time], outs: list[dt.time], grace: int) -> None:
    day = evaluate_day(MON, SPAN, ins, outs, late_grace=grace, early_grace=grace, today=dt.date(2026, 12, 1))
    assert day.status == Status.PRESENT and day.first_in == min(ins)
    # lateness is the whole minutes after the start, and only counts past the grace
    minutes = max(0, (dt.datetime.combine(MON, min(ins)) - dt.datetime.combine(MON, SPAN[0])).seconds // 60)
    if min(ins) <= SPAN[0]:
        minutes = 0
    assert day.late_minutes == (minutes if minutes > grace else 0)
    assert day.late_minutes == 0 or day.late_minutes > grace
    assert day.early_minutes == 0 or day.early_minutes > grace
    # a later clock-in can never make someone less late
    later = evaluate_day(
        MON, SPAN, [max(ins)], outs, late_grace=grace, early_grace=grace, today=dt.date(2026, 12, 1)
    )
    assert later.late_minutes >= day.late_minutes


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_phone_mask_keeps_only_prefix_and_last_four(phone: str) -> None:
    masked = rules.mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert phone[3:7] not in masked.replace("*", "") or phone[3:7] in phone[:3] + phone[-4:]
    assert rules.is_masked(masked)


@given(
    st.from_regex(
        r"[1-6][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}[0-9X]", fullmatch=True
    )
)
def test_id_mask_hides_the_birth_date(number: str) -> None:
    masked = rules.mask_id_number(number)
    assert len(masked) == 18 and masked[:4] == number[:4] and masked[-4:] == number[-4:]
    assert masked[4:14] == "*" * 10
    assert rules.mask_id_number(masked) != number
