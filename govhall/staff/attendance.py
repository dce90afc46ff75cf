"""Attendance and leave: clock in/out, the device CSV import, month views, leave, who is on duty."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from govhall import clock
from govhall.accounts.services import can_act
from govhall.halls import hours
from govhall.halls.models import Hall
from govhall.importing import ImportFailed, ImportReport, LineError
from govhall.staff import rules
from govhall.staff.errors import Conflict, Forbidden, Invalid
from govhall.staff.models import HallRules, LeaveRequest, Punch, StaffProfile

KIND_WORDS = {"in": "in", "签到": "in", "上班": "in", "out": "out", "签退": "out", "下班": "out"}
MAX_LEAVE_DAYS = 180


def hall_rules(hall: Hall) -> HallRules:
    found = HallRules.objects.filter(hall=hall).first()
    return found if found is not None else HallRules(hall=hall)


def month_days(year: int, month: int) -> list[dt.date]:
    return [dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def parse_month(text: str | None, hall: Hall | None = None) -> tuple[int, int]:
    """'2026-11' → (2026, 11); empty → the hall's (or UTC) current month."""
    if not text:
        today = clock.service_day(clock.now(), hall.timezone if hall else "UTC")
        return today.year, today.month
    try:
        year, month = (int(p) for p in text.strip().split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise Invalid(f"月份格式应为 YYYY-MM：{text!r}")
    return year, month


def _span(hall: Hall, day: dt.date) -> tuple[dt.time, dt.time] | None:
    try:
        return rules.duty_span(hall.opening_hours, hall.closed_dates, day)
    except hours.HoursError:
        return rules.DEFAULT_DAY if day.weekday() < 5 else None


# --- clock in / out ---------------------------------------------------------------------------


def last_punch(user: Any, hall: Hall, day: dt.date) -> Punch | None:
    return Punch.objects.filter(user=user, hall=hall, day=day).order_by("-at", "-id").first()


def clock_punch(user: Any, hall: Hall, kind: str, *, window_code: str = "") -> Punch:
    """Clock in or out now at the console; in after in or out without in is refused (409)."""
    if kind not in (Punch.Kind.IN, Punch.Kind.OUT):
        raise Invalid("kind 须为 in（签到）或 out（签退）")
    if not can_act(user, hall):
        raise Forbidden(f"无权在 {hall.name} 打卡")
    if not StaffProfile.objects.filter(user=user, hall=hall).exists():
        raise Conflict("尚未建立本大厅的人员档案，请联系大厅负责人")
    now = clock.now()
    day = clock.service_day(now, hall.timezone)
    with transaction.atomic():
        last = last_punch(user, hall, day)
        if kind == Punch.Kind.IN and last is not None and last.kind == Punch.Kind.IN:
            raise Conflict("今天已签到，请勿重复签到")
        if kind == Punch.Kind.OUT and (last is None or last.kind == Punch.Kind.OUT):
            raise Conflict("尚未签到，不能签退")
        return Punch.objects.create(
            user=user,
            hall=hall,
            kind=kind,
            at=now,
            day=day,
            source=Punch.Source.CONSOLE,
            window_code=window_code,
        )


# --- device import ----------------------------------------------------------------------------


def _device_time(text: str, tz: ZoneInfo) -> dt.datetime:
    text = text.strip()
    try:
        return clock.parse_iso(text).astimezone(dt.UTC)
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=tz).astimezone(dt.UTC)
        except ValueError:
            continue
    raise ValueError("时间格式应为 YYYY-MM-DD HH:MM[:SS]（大厅当地时间）或带时区的 ISO 8601")


def import_device_csv(hall: Hall, text: str) -> ImportReport:
    """`employee_no,time,kind` (kind in/out or 签到/签退; time local to the hall). All or nothing:
    any bad line aborts with every line's reason and writes nothing; punches already stored are
    skipped, so the same file can be imported twice."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"employee_no", "time", "kind"} - set(reader.fieldnames or [])
    if missing:
        raise ImportFailed(
            [LineError(1, f"缺少列：{', '.join(sorted(missing))}（需要 employee_no,time,kind）")]
        )
    people = dict(StaffProfile.objects.filter(hall=hall).values_list("employee_no", "user_id"))
    tz = ZoneInfo(hall.timezone)
    errors: list[LineError] = []
    rows: list[tuple[int, str, dt.datetime]] = []
    for line, row in enumerate(reader, start=2):
        number = (row.get("employee_no") or "").strip()
        if number not in people:
            errors.append(LineError(line, f"工号 {number!r} 不在本大厅", "employee_no"))
        kind = KIND_WORDS.get((row.get("kind") or "").strip().lower())
        if kind is None:
            errors.append(LineError(line, "kind 须为 in/out 或 签到/签退", "kind"))
        try:
            at = _device_time(row.get("time") or "", tz)
        except ValueError as exc:
            errors.append(LineError(line, str(exc), "time"))
            continue
        if at > clock.now() + dt.timedelta(minutes=5):
            errors.append(LineError(line, "打卡时间在未来", "time"))
            continue
        if number in people and kind is not None:
            rows.append((people[number], kind, at))
    if errors:
        raise ImportFailed(errors)
    report = ImportReport()
    with transaction.atomic():
        seen = set(
            Punch.objects.filter(
                hall=hall, user_id__in={r[0] for r in rows}, at__in={r[2] for r in rows}
            ).values_list("user_id", "kind", "at")
        )
        new = []
        for user_id, kind, at in rows:
            if (user_id, kind, at) in seen:
                report.warnings.append(f"重复打卡已跳过：{user_id} {kind} {at.isoformat()}")
                continue
            seen.add((user_id, kind, at))
            new.append(
                Punch(
                    user_id=user_id,
                    hall=hall,
                    kind=kind,
                    at=at,
                    day=clock.service_day(at, hall.timezone),
                    source=Punch.Source.DEVICE,
                )
            )
        Punch.objects.bulk_create(new)
        report.created = len(new)
    return report


# --- month view -------------------------------------------------------------------------------


@dataclass
class PersonMonth:
    profile: StaffProfile
    days: list[rules.DayResult]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "due": sum(1 for d in self.days if d.status in (rules.Status.ABSENT, rules.Status.PRESENT)),
            "present": sum(1 for d in self.days if d.status == rules.Status.PRESENT),
            "absent": sum(1 for d in self.days if d.status == rules.Status.ABSENT),
            "late": sum(1 for d in self.days if d.late),
            "early": sum(1 for d in self.days if d.early),
            "leave": sum(1 for d in self.days if d.status == rules.Status.LEAVE),
        }


def leave_days(hall: Hall, first: dt.date, last: dt.date) -> dict[int, set[dt.date]]:
    """Approved leave per user id within [first, last]."""
    found: dict[int, set[dt.date]] = defaultdict(set)
    for user_id, start, end in LeaveRequest.objects.filter(
        hall=hall, status=LeaveRequest.Status.APPROVED, start__lte=last, end__gte=first
    ).values_list("user_id", "start", "end"):
        day = max(start, first)
        while day <= min(end, last):
            found[user_id].add(day)
            day += dt.timedelta(days=1)
    return found


def month_view(
    hall: Hall, year: int, month: int, profiles: list[StaffProfile] | None = None
) -> list[PersonMonth]:
    """Every day of the month for each staff member of the hall (or the given profiles)."""
    if profiles is None:
        profiles = list(
            StaffProfile.objects.filter(hall=hall, active=True).select_related("user", "department")
        )
    days = month_days(year, month)
    settings = hall_rules(hall)
    today = clock.service_day(clock.now(), hall.timezone)
    tz = ZoneInfo(hall.timezone)
    punches: dict[tuple[int, dt.date], tuple[list[dt.time], list[dt.time]]] = defaultdict(lambda: ([], []))
    for user_id, kind, at, day in Punch.objects.filter(
        hall=hall, day__gte=days[0], day__lte=days[-1], user_id__in=[p.user_id for p in profiles]
    ).values_list("user_id", "kind", "at", "day"):
        pair = punches[(user_id, day)]
        (pair[0] if kind == Punch.Kind.IN else pair[1]).append(at.astimezone(tz).time())
    leave = leave_days(hall, days[0], days[-1])
    spans = {d: _span(hall, d) for d in days}
    result = []
    for profile in profiles:
        results = []
        for d in days:
            ins, outs = punches.get((profile.user_id, d), ([], []))
            results.append(
                rules.evaluate_day(
                    d,
                    spans[d],
                    ins,
                    outs,
                    on_leave=d in leave.get(profile.user_id, set()),
                    today=today,
                    late_grace=settings.late_grace_minutes,
                    early_grace=settings.early_grace_minutes,
                )
            )
        result.append(PersonMonth(profile, results))
    return result


# --- leave ------------------------------------------------------------------------------------


def request_leave(
    user: Any, hall: Hall, kind: str, start: dt.date, end: dt.date, reason: str
) -> LeaveRequest:
    if kind not in LeaveRequest.Kind.values:
        raise Invalid(f"未知的请假类型 {kind!r}")
    if end < start:
        raise Invalid("结束日期不能早于开始日期")
    if (end - start).days + 1 > MAX_LEAVE_DAYS:
        raise Invalid(f"一次请假不超过 {MAX_LEAVE_DAYS} 天")
    if not reason.strip():
        raise Invalid("请填写请假事由")
    if not StaffProfile.objects.filter(user=user, hall=hall).exists():
        raise Conflict("尚未建立本大厅的人员档案")
    with transaction.atomic():
        overlap = LeaveRequest.objects.filter(
            user=user,
            status__in=[LeaveRequest.Status.PENDING, LeaveRequest.Status.APPROVED],
            start__lte=end,
            end__gte=start,
        ).first()
        if overlap is not None:
            raise Conflict(
                f"与已有请假（{overlap.start}～{overlap.end}，{overlap.get_status_display()}）重叠"
            )
        return LeaveRequest.objects.create(
            user=user,
            hall=hall,
            kind=kind,
            start=start,
            end=end,
            reason=reason.strip()[:300],
            created_at=clock.now(),
        )


def decide_leave(leave: LeaveRequest, actor: Any, *, approve: bool, note: str = "") -> LeaveRequest:
    """The hall's manager (or a city admin) approves or refuses a pending request; never their own."""
    if not can_act(actor, leave.hall, "manager"):
        raise Forbidden("只有本大厅负责人可以审批请假")
    if leave.user_id == actor.pk:
        raise Forbidden("不能审批自己的请假")
    from govhall.staff.services import send_message

    with transaction.atomic():
        updated = LeaveRequest.objects.filter(pk=leave.pk, status=LeaveRequest.Status.PENDING).update(
            status=LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REFUSED,
            decided_by=actor,
            decided_at=clock.now(),
            note=note.strip()[:300],
        )
        if not updated:
            leave.refresh_from_db()
            raise Conflict(f"该请假已{leave.get_status_display()}，不能再审批")
        leave.refresh_from_db()
        verdict = "已批准" if approve else "未批准"
        send_message(
            actor,
            leave.hall,
            f"请假{verdict}：{leave.start}～{leave.end}",
            note or f"您的{leave.get_kind_display()}申请{verdict}。",
            users=[leave.user],
        )
    return leave


def cancel_leave(leave: LeaveRequest, actor: Any) -> LeaveRequest:
    if leave.user_id != actor.pk:
        raise Forbidden("只能撤回自己的请假")
    updated = LeaveRequest.objects.filter(pk=leave.pk, status=LeaveRequest.Status.PENDING).update(
        status=LeaveRequest.Status.CANCELLED
    )
    if not updated:
        raise Conflict("只有待审批的请假可以撤回")
    leave.refresh_from_db()
    return leave


def on_leave(user: Any, day: dt.date) -> bool:
    return LeaveRequest.objects.filter(
        user=user, status=LeaveRequest.Status.APPROVED, start__lte=day, end__gte=day
    ).exists()


def on_duty(hall: Hall, date: dt.date) -> list[Any]:
    """The staff due at the hall that day: active profiles, the hall open, not on approved leave.

    This is the plan (for the staffing view), not who actually clocked in."""
    if _span(hall, date) is None:
        return []
    away = LeaveRequest.objects.filter(
        hall=hall, status=LeaveRequest.Status.APPROVED, start__lte=date, end__gte=date
    ).values("user_id")
    ids = (
        StaffProfile.objects.filter(hall=hall, active=True)
        .exclude(user_id__in=away)
        .order_by("employee_no")
        .values_list("user_id", flat=True)
    )
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in=list(ids))}
    return [users[i] for i in ids if i in users]


def clock_state(user: Any, hall: Hall) -> dict[str, Any]:
    """For the console control: today's first clock-in and whether the user is clocked in now."""
    if not getattr(user, "is_authenticated", False):
        return {"profile": False, "in": False, "first_in": None, "last": None}
    day = clock.service_day(clock.now(), hall.timezone)
    punches = list(Punch.objects.filter(user=user, hall=hall, day=day).order_by("at", "id"))
    first_in = next((p for p in punches if p.kind == Punch.Kind.IN), None)
    last = punches[-1] if punches else None
    return {
        "profile": StaffProfile.objects.filter(user=user, hall=hall).exists(),
        "in": last is not None and last.kind == Punch.Kind.IN,
        "first_in": clock.local(first_in.at, hall.timezone) if first_in else None,
        "last": clock.local(last.at, hall.timezone) if last else None,
        "last_kind": last.kind if last else None,
    }


def manual_punch(actor: Any, profile: StaffProfile, kind: str, at: dt.datetime) -> Punch:
    """A manager's correction (补录)."""
    if not can_act(actor, profile.hall, "manager"):
        raise Forbidden("只有大厅负责人可以补录考勤")
    if kind not in (Punch.Kind.IN, Punch.Kind.OUT):
        raise Invalid("kind 须为 in 或 out")
    try:
        with transaction.atomic():
            return Punch.objects.create(
                user=profile.user,
                hall=profile.hall,
                kind=kind,
                at=at,
                day=clock.service_day(at, profile.hall.timezone),
                source=Punch.Source.MANUAL,
            )
    except IntegrityError:
        raise Conflict("该时间已有相同打卡记录")
