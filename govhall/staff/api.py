"""HTTP API of staff (mounted under /api/v1/staff by govhall.api).

Every call needs a token or a session. Staff read their own records, managers their hall's,
city administrators every hall's; errors are 4xx `{"detail": …}`.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from govhall.accounts.auth import staff_auth
from govhall.accounts.models import Role
from govhall.accounts.services import can_act
from govhall.apischema import ERRORS
from govhall.importing import ImportFailed
from govhall.staff import attendance, performance, services
from govhall.staff.errors import Forbidden, NotFound, StaffError
from govhall.staff.models import Asset, LeaveRequest, Punch, StaffProfile

router = Router(tags=["staff"], auth=staff_auth)


def _errors(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except StaffError as exc:
            raise HttpError(exc.status, exc.detail)
        except ImportFailed as exc:
            raise HttpError(422, str(exc))

    return wrapped


def _uid(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


def _hall(request: HttpRequest, code: str, needed: str = Role.STAFF) -> Any:
    hall = services.hall_by_code(code)
    if not can_act(request.user, hall, needed):
        raise Forbidden(f"无权访问 {hall.name}" if needed == Role.STAFF else f"需要{Role(needed).label}权限")
    return hall


def _is_manager(request: HttpRequest, hall: Any) -> bool:
    return can_act(request.user, hall, Role.MANAGER)


# --- schemas ----------------------------------------------------------------------------------


class ProfileOut(Schema):
    username: str
    employee_no: str
    name: str
    hall: str
    department: str | None
    phone: str  # masked
    id_number: str  # masked
    skill_level: int
    skill_label: str
    level_granted_on: dt.date | None
    windows: list[str]
    matters: list[str]
    active: bool


class ProfileIn(Schema):
    employee_no: str
    name: str
    department: str = ""
    phone: str = ""
    id_number: str = ""
    skill_level: Literal[0, 1, 2, 3] = 0
    level_granted_on: dt.date | None = None
    windows: list[str] = []
    matters: list[str] = []
    active: bool = True


def _profile(p: StaffProfile) -> dict[str, Any]:
    return {
        "username": p.user.get_username(),
        "employee_no": p.employee_no,
        "name": p.name,
        "hall": p.hall.code,
        "department": p.department.name if p.department else None,
        "phone": p.phone_masked,
        "id_number": p.id_number_masked,
        "skill_level": p.skill_level,
        "skill_label": p.get_skill_level_display(),
        "level_granted_on": p.level_granted_on,
        "windows": [w.code for w in p.windows.all()],
        "matters": [m.code for m in p.matters.all()],
        "active": p.active,
    }


class ClockIn(Schema):
    kind: Literal["in", "out"]
    window: str = ""


class PunchOut(Schema):
    kind: str
    at: dt.datetime
    day: dt.date
    source: str
    window: str


class ImportOut(Schema):
    created: int
    skipped: int


class DayOut(Schema):
    day: dt.date
    status: Literal["rest", "leave", "absent", "present", "pending"]
    label: str
    late_minutes: int
    early_minutes: int
    missing_out: bool


class MonthOut(Schema):
    username: str
    name: str
    counts: dict[str, int]
    days: list[DayOut]


class PersonOut(Schema):
    username: str
    name: str
    employee_no: str


class LeaveIn(Schema):
    hall: str
    kind: Literal["annual", "sick", "personal", "compensatory", "marriage", "maternity", "other"]
    start: dt.date
    end: dt.date
    reason: str


class DecisionIn(Schema):
    note: str = ""


class LeaveOut(Schema):
    id: int
    username: str
    hall: str
    kind: str
    kind_label: str
    start: dt.date
    end: dt.date
    reason: str
    status: str
    status_label: str
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str


def _leave(leave: LeaveRequest) -> dict[str, Any]:
    return {
        "id": leave.pk,
        "username": leave.user.get_username(),
        "hall": leave.hall.code,
        "kind": leave.kind,
        "kind_label": leave.get_kind_display(),
        "start": leave.start,
        "end": leave.end,
        "reason": leave.reason,
        "status": leave.status,
        "status_label": leave.get_status_display(),
        "decided_by": leave.decided_by.get_username() if leave.decided_by else None,
        "decided_at": leave.decided_at,
        "note": leave.note,
    }


class ComponentOut(Schema):
    key: str
    label: str
    raw: float | None
    raw_text: str
    normalised: float
    weight: float
    points: float


class ScoreOut(Schema):
    username: str
    employee_no: str
    name: str
    rank: int
    score: float
    components: list[ComponentOut]


class RulesIO(Schema):
    attendance: int
    honours: int
    ratings: int
    volume: int
    speed: int
    late_grace_minutes: int = 5
    early_grace_minutes: int = 5


class HonourIn(Schema):
    username: str
    on: dt.date
    title: str
    points: int


class HonourOut(Schema):
    id: int
    username: str
    on: dt.date
    title: str
    points: int


class AssetIn(Schema):
    code: str
    name: str
    kind: Literal["kiosk", "screen", "counter", "pc", "printer", "scanner", "camera", "other"]
    zone: str = ""
    window: str = ""
    location: str = ""
    responsible: str = ""
    state: Literal["in_use", "faulty", "repair", "idle", "retired"] = "in_use"
    acquired_on: dt.date | None = None


class MaintenanceIn(Schema):
    on: dt.date
    description: str
    state_after: Literal["in_use", "faulty", "repair", "idle", "retired"]


class MaintenanceOut(Schema):
    on: dt.date
    description: str
    state_after: str
    by: str | None


class AssetOut(Schema):
    id: int
    hall: str
    code: str
    name: str
    kind: str
    kind_label: str
    zone: str | None
    window: str | None
    location: str
    responsible: str | None
    state: str
    state_label: str
    acquired_on: dt.date | None
    maintenance: list[MaintenanceOut]


def _asset(a: Asset) -> dict[str, Any]:
    return {
        "id": a.pk,
        "hall": a.hall.code,
        "code": a.code,
        "name": a.name,
        "kind": a.kind,
        "kind_label": a.get_kind_display(),
        "zone": a.zone.code if a.zone else None,
        "window": a.window.code if a.window else None,
        "location": a.location,
        "responsible": a.responsible.get_username() if a.responsible else None,
        "state": a.state,
        "state_label": a.get_state_display(),
        "acquired_on": a.acquired_on,
        "maintenance": [
            {
                "on": m.on,
                "description": m.description,
                "state_after": m.state_after,
                "by": m.by.get_username() if m.by else None,
            }
            for m in a.maintenance.all()
        ],
    }


class MessageIn(Schema):
    subject: str
    body: str = ""
    to: list[str] = []
    group: str = ""


class MessageOut(Schema):
    id: int
    subject: str
    body: str
    sender: str | None
    group: str | None
    sent_at: dt.datetime
    read_at: dt.datetime | None


class SentOut(Schema):
    id: int
    recipients: int


# --- organisation -----------------------------------------------------------------------------


@router.get("/profiles", response={200: list[ProfileOut], **ERRORS}, summary="Staff profiles you may see")
@_errors
def list_profiles(request: HttpRequest, hall: str = "") -> list[dict[str, Any]]:
    found = services.visible_profiles(request.user).prefetch_related("windows", "matters")
    if hall:
        found = found.filter(hall__code=hall)
    return [_profile(p) for p in found]


@router.get("/profiles/{username}", response={200: ProfileOut, **ERRORS}, summary="One staff profile")
@_errors
def get_profile(request: HttpRequest, username: str) -> dict[str, Any]:
    profile = services.profile_of(username)
    if not services.may_see(request.user, profile):
        raise Forbidden("只能查看自己的档案")
    return _profile(profile)


@router.put(
    "/halls/{hall}/profiles/{username}",
    response={200: ProfileOut, **ERRORS},
    summary="Create or update a profile",
)
@_errors
def put_profile(request: HttpRequest, hall: str, username: str, payload: ProfileIn) -> dict[str, Any]:
    target = _hall(request, hall, Role.MANAGER)
    profile = services.save_profile(request.user, target, username, **payload.dict())
    return _profile(profile)


# --- attendance -------------------------------------------------------------------------------


@router.post("/halls/{hall}/clock", response={201: PunchOut, **ERRORS}, summary="Clock in or out now")
@_errors
def clock(request: HttpRequest, hall: str, payload: ClockIn) -> Status[dict[str, Any]]:
    target = _hall(request, hall)
    punch = attendance.clock_punch(request.user, target, payload.kind, window_code=payload.window)
    return Status(201, _punch(punch))


def _punch(p: Punch) -> dict[str, Any]:
    return {"kind": p.kind, "at": p.at, "day": p.day, "source": p.source, "window": p.window_code}


@router.post(
    "/halls/{hall}/attendance/import",
    response={200: ImportOut, **ERRORS},
    summary="Import an attendance device's CSV (employee_no,time,kind), all or nothing",
)
@_errors
def import_attendance(request: HttpRequest, hall: str, file: UploadedFile = File(...)) -> dict[str, Any]:  # noqa: B008
    target = _hall(request, hall, Role.MANAGER)
    try:
        text = file.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HttpError(422, "文件须为 UTF-8 编码的 CSV")
    report = attendance.import_device_csv(target, text)
    return {"created": report.created, "skipped": len(report.warnings)}


def _month_out(pm: attendance.PersonMonth) -> dict[str, Any]:
    return {
        "username": pm.profile.user.get_username(),
        "name": pm.profile.name,
        "counts": pm.counts,
        "days": [
            {
                "day": d.day,
                "status": d.status,
                "label": d.label,
                "late_minutes": d.late_minutes,
                "early_minutes": d.early_minutes,
                "missing_out": d.missing_out,
            }
            for d in pm.days
        ],
    }


@router.get(
    "/halls/{hall}/attendance",
    response={200: list[MonthOut], **ERRORS},
    summary="The month's attendance (staff: their own only)",
)
@_errors
def month_attendance(request: HttpRequest, hall: str, month: str = "") -> list[dict[str, Any]]:
    target = _hall(request, hall)
    year, mon = attendance.parse_month(month, target)
    profiles = None
    if not _is_manager(request, target):
        profiles = list(
            StaffProfile.objects.filter(user_id=_uid(request), hall=target).select_related("user")
        )
    return [_month_out(pm) for pm in attendance.month_view(target, year, mon, profiles)]


@router.get("/halls/{hall}/on-duty", response={200: list[PersonOut], **ERRORS}, summary="Staff due on a day")
@_errors
def on_duty(request: HttpRequest, hall: str, date: dt.date | None = None) -> list[dict[str, Any]]:
    target = _hall(request, hall)
    from govhall import clock as clock_module

    day = date or clock_module.service_day(clock_module.now(), target.timezone)
    users = attendance.on_duty(target, day)
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(user__in=users)}
    return [
        {"username": u.get_username(), "name": profiles[u.pk].name, "employee_no": profiles[u.pk].employee_no}
        for u in users
    ]


# --- leave ------------------------------------------------------------------------------------


@router.post("/leave", response={201: LeaveOut, **ERRORS}, summary="Ask for leave")
@_errors
def ask_leave(request: HttpRequest, payload: LeaveIn) -> Status[dict[str, Any]]:
    target = _hall(request, payload.hall)
    leave = attendance.request_leave(
        request.user, target, payload.kind, payload.start, payload.end, payload.reason
    )
    return Status(201, _leave(leave))


@router.get("/leave", response={200: list[LeaveOut], **ERRORS}, summary="Leave requests you may see")
@_errors
def list_leave(request: HttpRequest, hall: str = "", status: str = "") -> list[dict[str, Any]]:
    found = LeaveRequest.objects.select_related("user", "hall", "decided_by")
    if hall:
        target = _hall(request, hall)
        found = (
            found.filter(hall=target)
            if _is_manager(request, target)
            else found.filter(hall=target, user_id=_uid(request))
        )
    else:
        visible = services.visible_profiles(request.user).values("user_id")
        found = found.filter(user_id__in=visible) | found.filter(user_id=_uid(request))
    if status:
        if status not in LeaveRequest.Status.values:
            raise HttpError(422, f"status 须为 {', '.join(LeaveRequest.Status.values)}")
        found = found.filter(status=status)
    return [_leave(x) for x in found[:500]]


def _leave_row(leave_id: int) -> LeaveRequest:
    leave = LeaveRequest.objects.select_related("user", "hall", "decided_by").filter(pk=leave_id).first()
    if leave is None:
        raise NotFound(f"没有请假申请 {leave_id}")
    return leave


@router.post(
    "/leave/{leave_id}/approve", response={200: LeaveOut, **ERRORS}, summary="Approve a leave request"
)
@_errors
def approve_leave(request: HttpRequest, leave_id: int, payload: DecisionIn) -> dict[str, Any]:
    return _leave(
        attendance.decide_leave(_leave_row(leave_id), request.user, approve=True, note=payload.note)
    )


@router.post("/leave/{leave_id}/refuse", response={200: LeaveOut, **ERRORS}, summary="Refuse a leave request")
@_errors
def refuse_leave(request: HttpRequest, leave_id: int, payload: DecisionIn) -> dict[str, Any]:
    return _leave(
        attendance.decide_leave(_leave_row(leave_id), request.user, approve=False, note=payload.note)
    )


@router.post(
    "/leave/{leave_id}/cancel", response={200: LeaveOut, **ERRORS}, summary="Withdraw your own request"
)
@_errors
def cancel_leave(request: HttpRequest, leave_id: int) -> dict[str, Any]:
    return _leave(attendance.cancel_leave(_leave_row(leave_id), request.user))


# --- performance ------------------------------------------------------------------------------


@router.get(
    "/halls/{hall}/performance",
    response={200: list[ScoreOut], **ERRORS},
    summary="The month's scores with breakdowns (staff: their own only)",
)
@_errors
def hall_performance(request: HttpRequest, hall: str, month: str = "") -> list[dict[str, Any]]:
    target = _hall(request, hall)
    year, mon = attendance.parse_month(month, target)
    rows = performance.ranking_rows(target, year, mon)
    if not _is_manager(request, target):
        rows = [r for r in rows if r["user_id"] == request.user.pk]
    return rows


@router.get(
    "/halls/{hall}/rules", response={200: RulesIO, **ERRORS}, summary="Score weights and grace minutes"
)
@_errors
def get_rules(request: HttpRequest, hall: str) -> dict[str, Any]:
    target = _hall(request, hall)
    found = attendance.hall_rules(target)
    return {
        **found.weights(),
        "late_grace_minutes": found.late_grace_minutes,
        "early_grace_minutes": found.early_grace_minutes,
    }


@router.put(
    "/halls/{hall}/rules", response={200: RulesIO, **ERRORS}, summary="Set weights (sum 100) and grace"
)
@_errors
def put_rules(request: HttpRequest, hall: str, payload: RulesIO) -> dict[str, Any]:
    target = _hall(request, hall, Role.MANAGER)
    data = payload.dict()
    late, early = data.pop("late_grace_minutes"), data.pop("early_grace_minutes")
    services.set_rules(request.user, target, weights=data, late_grace=late, early_grace=early)
    return get_rules.__wrapped__(request, hall)  # type: ignore[attr-defined,no-any-return]


@router.post("/halls/{hall}/honours", response={201: HonourOut, **ERRORS}, summary="Enter a commendation")
@_errors
def add_honour(request: HttpRequest, hall: str, payload: HonourIn) -> Status[dict[str, Any]]:
    target = _hall(request, hall, Role.MANAGER)
    profile = services.profile_of(payload.username)
    if profile.hall_id != target.pk:
        raise NotFound(f"{payload.username} 不是本大厅人员")
    honour = services.add_honour(
        request.user, profile, on=payload.on, title=payload.title, points=payload.points
    )
    return Status(
        201,
        {
            "id": honour.pk,
            "username": payload.username,
            "on": honour.on,
            "title": honour.title,
            "points": honour.points,
        },
    )


# --- assets -----------------------------------------------------------------------------------


def _assets_of(hall: Any) -> Any:
    return (
        Asset.objects.filter(hall=hall)
        .select_related("hall", "zone", "window", "responsible")
        .prefetch_related("maintenance__by")
    )


@router.get("/halls/{hall}/assets", response={200: list[AssetOut], **ERRORS}, summary="The hall's equipment")
@_errors
def list_assets(request: HttpRequest, hall: str, state: str = "", kind: str = "") -> list[dict[str, Any]]:
    target = _hall(request, hall)
    found = _assets_of(target)
    if state:
        found = found.filter(state=state)
    if kind:
        found = found.filter(kind=kind)
    return [_asset(a) for a in found]


@router.post(
    "/halls/{hall}/assets", response={200: AssetOut, **ERRORS}, summary="Register or update an asset"
)
@_errors
def put_asset(request: HttpRequest, hall: str, payload: AssetIn) -> dict[str, Any]:
    target = _hall(request, hall, Role.MANAGER)
    asset = services.save_asset(request.user, target, **payload.dict())
    return _asset(_assets_of(target).get(pk=asset.pk))


@router.post(
    "/halls/{hall}/assets/{code}/maintenance", response={200: AssetOut, **ERRORS}, summary="Log maintenance"
)
@_errors
def add_maintenance(request: HttpRequest, hall: str, code: str, payload: MaintenanceIn) -> dict[str, Any]:
    target = _hall(request, hall, Role.MANAGER)
    asset = Asset.objects.filter(hall=target, code=code).select_related("hall").first()
    if asset is None:
        raise NotFound(f"没有资产 {code!r}")
    services.add_maintenance(
        request.user, asset, on=payload.on, description=payload.description, state_after=payload.state_after
    )
    return _asset(_assets_of(target).get(pk=asset.pk))


# --- messages ---------------------------------------------------------------------------------


@router.get("/messages", response={200: list[MessageOut], **ERRORS}, summary="Your inbox")
@_errors
def my_inbox(request: HttpRequest) -> list[dict[str, Any]]:
    return [_message(r) for r in services.inbox(request.user)]


def _message(r: Any) -> dict[str, Any]:
    m = r.message
    return {
        "id": m.pk,
        "subject": m.subject,
        "body": m.body,
        "sender": m.sender.get_username() if m.sender else None,
        "group": m.group.name if m.group else None,
        "sent_at": m.sent_at,
        "read_at": r.read_at,
    }


@router.post("/messages/{message_id}/read", response={200: MessageOut, **ERRORS}, summary="Mark as read")
@_errors
def read_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    return _message(services.mark_read(request.user, message_id))


@router.post("/halls/{hall}/messages", response={201: SentOut, **ERRORS}, summary="Send to people or a group")
@_errors
def send(request: HttpRequest, hall: str, payload: MessageIn) -> Status[dict[str, Any]]:
    from django.contrib.auth import get_user_model

    from govhall.staff.models import StaffGroup

    target = _hall(request, hall, Role.MANAGER)
    users = list(get_user_model().objects.filter(username__in=payload.to, staff_profile__hall=target))
    if len(users) != len(set(payload.to)):
        raise HttpError(422, "收件人须为本大厅人员")
    group = None
    if payload.group:
        group = StaffGroup.objects.filter(hall=target, name=payload.group).first()
        if group is None:
            raise HttpError(422, f"没有分组 {payload.group!r}")
    message = services.send_message(
        request.user, target, payload.subject, payload.body, users=users, group=group
    )
    return Status(201, {"id": message.pk, "recipients": message.receipts.count()})
