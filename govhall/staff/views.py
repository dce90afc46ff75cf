"""Manage pages of 人员与绩效 under /manage/staff/ and the console's clock-in control.

Staff see only their own page; managers their hall; city administrators pick a hall (?hall=).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.accounts.models import Role
from govhall.accounts.services import can_act
from govhall.halls.models import Hall
from govhall.importing import ImportFailed
from govhall.staff import attendance, performance, scoring, services
from govhall.staff.errors import StaffError
from govhall.staff.models import Asset, Honour, LeaveRequest, Punch, SkillLevel, StaffGroup, StaffProfile
from govhall.web.manage import Scope, manage_view

STAFF = Role.STAFF
MANAGER = Role.MANAGER


def _scope(request: HttpRequest) -> Scope:
    return request.manage_scope  # type: ignore[attr-defined,no-any-return]


def _uid(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


def _hall(request: HttpRequest) -> Hall:
    """The hall the page is about: the user's own, or for city admins ?hall= (default the first)."""
    scope = _scope(request)
    halls = scope.halls()
    code = request.GET.get("hall") or request.POST.get("hall") or ""
    hall = halls.filter(code=code).first() if code else None
    if hall is None and code and not scope.is_city:
        raise Http404("无此大厅")
    hall = hall or halls.first()
    if hall is None:
        raise Http404("还没有大厅")
    return hall


def _base(request: HttpRequest, hall: Hall, tab: str, **extra: Any) -> dict[str, Any]:
    scope = _scope(request)
    return {
        "hall": hall,
        "halls": list(scope.halls()) if scope.is_city else [],
        "tab": tab,
        "is_manager": scope.at_least(MANAGER),
        "unread": services.unread_count(request.user),
        **extra,
    }


def _month(request: HttpRequest, hall: Hall) -> tuple[int, int]:
    try:
        return attendance.parse_month(request.GET.get("month"), hall)
    except StaffError:
        return attendance.parse_month(None, hall)


def _qs(hall: Hall, **more: Any) -> str:
    parts = [f"hall={hall.code}", *(f"{k}={v}" for k, v in more.items() if v)]
    return "?" + "&".join(parts)


def _fail(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, getattr(exc, "detail", None) or str(exc))


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        raise StaffError(f"日期格式应为 YYYY-MM-DD：{text!r}")


# --- people -----------------------------------------------------------------------------------


@manage_view(STAFF)
def index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    if not scope.at_least(MANAGER):
        return redirect("staff:me")
    hall = _hall(request)
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        try:
            if StaffProfile.objects.filter(user__username=username).exists():
                raise StaffError(f"{username} 已有档案，请在其档案页修改")
            services.save_profile(
                request.user,
                hall,
                username,
                employee_no=request.POST.get("employee_no", ""),
                name=request.POST.get("name", ""),
                department=request.POST.get("department", ""),
            )
            messages.success(request, "档案已建立")
            return redirect("staff:person", username=username)
        except StaffError as exc:
            _fail(request, exc)
            return redirect(reverse("staff:manage") + _qs(hall))
    today = clock.service_day(clock.now(), hall.timezone)
    duty = {u.pk for u in attendance.on_duty(hall, today)}
    clocked = {
        pm.profile.user_id: pm.days[today.day - 1]
        for pm in attendance.month_view(hall, today.year, today.month)
    }
    profiles = list(
        StaffProfile.objects.filter(hall=hall)
        .select_related("user", "department")
        .prefetch_related("windows")
    )
    rows = [{"p": p, "duty": p.user_id in duty, "today": clocked.get(p.user_id)} for p in profiles]
    return render(
        request,
        "staff/index.html",
        _base(
            request,
            hall,
            "people",
            rows=rows,
            today=today,
            duty_count=len(duty),
            qs=_qs(hall),
            overview=_overview(scope) if scope.is_city else [],
        ),
    )


def _overview(scope: Scope) -> list[dict[str, Any]]:
    """Every centre at a glance for city administrators: a bounded number of queries per hall."""
    rows = []
    for hall in scope.halls():
        today = clock.service_day(clock.now(), hall.timezone)
        rows.append(
            {
                "hall": hall,
                "people": StaffProfile.objects.filter(hall=hall, active=True).count(),
                "on_duty": len(attendance.on_duty(hall, today)),
                "clocked_in": Punch.objects.filter(hall=hall, day=today, kind=Punch.Kind.IN)
                .values("user_id")
                .distinct()
                .count(),
                "pending_leave": LeaveRequest.objects.filter(
                    hall=hall, status=LeaveRequest.Status.PENDING
                ).count(),
                "broken": Asset.objects.filter(
                    hall=hall, state__in=[Asset.State.FAULTY, Asset.State.REPAIR]
                ).count(),
            }
        )
    return rows


@manage_view(STAFF)
def me(request: HttpRequest) -> HttpResponse:
    profile = StaffProfile.objects.filter(user_id=_uid(request)).select_related("user", "hall").first()
    if profile is None:
        hall = _hall(request)
        return render(request, "staff/no_profile.html", _base(request, hall, "people"))
    return redirect("staff:person", username=profile.user.get_username())


@manage_view(STAFF)
def person(request: HttpRequest, username: str) -> HttpResponse:
    try:
        profile = services.profile_of(username)
    except StaffError:
        raise Http404("没有这个人员档案")
    if not services.may_see(request.user, profile):
        return render(request, "web/manage_forbidden.html", {"needed": "本人或大厅负责人"}, status=403)
    hall = profile.hall
    manager = can_act(request.user, hall, MANAGER)
    if request.method == "POST" and manager:
        try:
            if request.POST.get("action") == "honour":
                services.add_honour(
                    request.user,
                    profile,
                    on=_date(request.POST.get("on")) or clock.service_day(clock.now(), hall.timezone),
                    title=request.POST.get("title", ""),
                    points=int(request.POST.get("points") or 0),
                )
                messages.success(request, "已登记荣誉表彰")
            else:
                services.save_profile(
                    request.user,
                    hall,
                    username,
                    employee_no=request.POST.get("employee_no", ""),
                    name=request.POST.get("name", ""),
                    department=request.POST.get("department", ""),
                    phone=request.POST.get("phone", ""),
                    id_number=request.POST.get("id_number", ""),
                    skill_level=int(request.POST.get("skill_level") or 0),
                    level_granted_on=_date(request.POST.get("level_granted_on")),
                    windows=request.POST.getlist("windows"),
                    matters=[m.strip() for m in request.POST.get("matters", "").split() if m.strip()],
                    active=request.POST.get("active") == "on",
                )
                messages.success(request, "档案已保存")
            return redirect("staff:person", username=username)
        except (StaffError, ValueError) as exc:
            _fail(request, exc)
    year, month = _month(request, hall)
    pm = attendance.month_view(hall, year, month, [profile])[0]
    rows = performance.ranking_rows(hall, year, month)
    mine = next((r for r in rows if r["user_id"] == profile.user_id), None)
    return render(
        request,
        "staff/person.html",
        _base(
            request,
            hall,
            "people",
            profile=profile,
            pm=pm,
            score=mine,
            year=year,
            month=month,
            manager=manager,
            levels=SkillLevel.choices,
            windows=list(hall.windows.all()),
            chosen_windows={w.pk for w in profile.windows.all()},
            matter_codes=" ".join(m.code for m in profile.matters.all()),
            honours=Honour.objects.filter(user=profile.user).order_by("-on")[:20],
            leave=LeaveRequest.objects.filter(user=profile.user).order_by("-start")[:20],
            qs=_qs(hall),
        ),
    )


# --- attendance -------------------------------------------------------------------------------


@manage_view(STAFF)
def attendance_month(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    manager = can_act(request.user, hall, MANAGER)
    if request.method == "POST" and manager:
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "请选择考勤机导出的 CSV 文件")
        else:
            try:
                report = attendance.import_device_csv(hall, upload.read().decode("utf-8-sig"))
                messages.success(
                    request, f"已导入 {report.created} 条打卡，跳过重复 {len(report.warnings)} 条"
                )
            except UnicodeDecodeError:
                messages.error(request, "文件须为 UTF-8 编码的 CSV")
            except ImportFailed as exc:
                for error in exc.errors[:20]:
                    messages.error(
                        request, f"第 {error.line} 行 {error.field or ''}：{error.reason}（未导入任何记录）"
                    )
        return redirect(reverse("staff:attendance") + _qs(hall))
    year, month = _month(request, hall)
    profiles = (
        None
        if manager
        else list(StaffProfile.objects.filter(user_id=_uid(request), hall=hall).select_related("user"))
    )
    people = attendance.month_view(hall, year, month, profiles)
    days = attendance.month_days(year, month)
    prev = (dt.date(year, month, 1) - dt.timedelta(days=1)).strftime("%Y-%m")
    nxt = (dt.date(year, month, 28) + dt.timedelta(days=4)).strftime("%Y-%m")
    rules_now = attendance.hall_rules(hall)
    return render(
        request,
        "staff/attendance.html",
        _base(
            request,
            hall,
            "attendance",
            people=people,
            days=days,
            year=year,
            month=month,
            prev=prev,
            next=nxt,
            manager=manager,
            rules=rules_now,
            qs=_qs(hall),
        ),
    )


@require_POST
@manage_view(STAFF)
def clock_control(request: HttpRequest, hall: str) -> HttpResponse:
    """The console's clock-in/out control posts here and gets itself back re-rendered."""
    target = Hall.objects.filter(code=hall).first()
    if target is None:
        raise Http404("无此大厅")
    error = ""
    try:
        attendance.clock_punch(
            request.user,
            target,
            request.POST.get("kind", ""),
            window_code=request.POST.get("window", "")[:32],
        )
    except StaffError as exc:
        error = exc.detail
    context = {
        "hall": target,
        "window_code": request.POST.get("window", "")[:32],
        "att": attendance.clock_state(request.user, target),
        "error": error,
    }
    return render(request, "staff/_clock.html", context, status=200)


# --- leave ------------------------------------------------------------------------------------


@manage_view(STAFF)
def leave(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    manager = can_act(request.user, hall, MANAGER)
    if request.method == "POST":
        action = request.POST.get("action", "ask")
        try:
            if action == "ask":
                start, end = _date(request.POST.get("start")), _date(request.POST.get("end"))
                if start is None or end is None:
                    raise StaffError("请填写开始和结束日期")
                own = StaffProfile.objects.filter(user_id=_uid(request)).select_related("hall").first()
                attendance.request_leave(
                    request.user,
                    own.hall if own else hall,
                    request.POST.get("kind", ""),
                    start,
                    end,
                    request.POST.get("reason", ""),
                )
                messages.success(request, "请假申请已提交，等待大厅负责人审批")
            else:
                row = (
                    LeaveRequest.objects.select_related("hall", "user")
                    .filter(pk=request.POST.get("id") or 0)
                    .first()
                )
                if row is None:
                    raise StaffError("没有这条请假申请")
                if action == "cancel":
                    attendance.cancel_leave(row, request.user)
                    messages.success(request, "已撤回")
                else:
                    attendance.decide_leave(
                        row, request.user, approve=action == "approve", note=request.POST.get("note", "")
                    )
                    messages.success(request, "已批准" if action == "approve" else "已驳回")
        except StaffError as exc:
            _fail(request, exc)
        return redirect(reverse("staff:leave") + _qs(hall))
    found = LeaveRequest.objects.select_related("user", "user__staff_profile", "decided_by")
    found = found.filter(hall=hall) if manager else found.filter(user_id=_uid(request))
    pending = [x for x in found if x.status == LeaveRequest.Status.PENDING]
    return render(
        request,
        "staff/leave.html",
        _base(
            request,
            hall,
            "leave",
            pending=pending,
            decided=[x for x in found if x.status != LeaveRequest.Status.PENDING][:100],
            kinds=LeaveRequest.Kind.choices,
            manager=manager,
            qs=_qs(hall),
            today=clock.service_day(clock.now(), hall.timezone),
        ),
    )


@manage_view(STAFF)
def duty(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    try:
        day = _date(request.GET.get("date")) or clock.service_day(clock.now(), hall.timezone)
    except StaffError:
        day = clock.service_day(clock.now(), hall.timezone)
    users = attendance.on_duty(hall, day)
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(hall=hall).select_related("user")}
    away = LeaveRequest.objects.filter(
        hall=hall, status=LeaveRequest.Status.APPROVED, start__lte=day, end__gte=day
    ).select_related("user")
    return render(
        request,
        "staff/duty.html",
        _base(
            request,
            hall,
            "duty",
            day=day,
            on=[profiles[u.pk] for u in users if u.pk in profiles],
            away=[(profiles.get(x.user_id), x) for x in away],
            qs=_qs(hall),
        ),
    )


# --- assets -----------------------------------------------------------------------------------


@manage_view(STAFF)
def assets(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    manager = can_act(request.user, hall, MANAGER)
    if request.method == "POST" and manager:
        try:
            if request.POST.get("action") == "maintenance":
                asset = (
                    Asset.objects.filter(hall=hall, code=request.POST.get("code", ""))
                    .select_related("hall")
                    .first()
                )
                if asset is None:
                    raise StaffError("没有这台设备")
                services.add_maintenance(
                    request.user,
                    asset,
                    on=_date(request.POST.get("on")) or clock.service_day(clock.now(), hall.timezone),
                    description=request.POST.get("description", ""),
                    state_after=request.POST.get("state_after", ""),
                )
                messages.success(request, f"已记录 {asset.code} 的维护")
            else:
                services.save_asset(
                    request.user,
                    hall,
                    code=request.POST.get("code", ""),
                    name=request.POST.get("name", ""),
                    kind=request.POST.get("kind", ""),
                    zone=request.POST.get("zone", ""),
                    window=request.POST.get("window", ""),
                    location=request.POST.get("location", ""),
                    responsible=request.POST.get("responsible", ""),
                    state=request.POST.get("state", Asset.State.IN_USE),
                    acquired_on=_date(request.POST.get("acquired_on")),
                )
                messages.success(request, "设备已登记")
        except StaffError as exc:
            _fail(request, exc)
        return redirect(reverse("staff:assets") + _qs(hall))
    found = list(
        Asset.objects.filter(hall=hall)
        .select_related("zone", "window", "responsible", "responsible__staff_profile")
        .prefetch_related("maintenance")
    )
    by_state: dict[str, int] = {}
    for a in found:
        by_state[a.get_state_display()] = by_state.get(a.get_state_display(), 0) + 1
    return render(
        request,
        "staff/assets.html",
        _base(
            request,
            hall,
            "assets",
            assets=found,
            by_state=by_state,
            kinds=Asset.Kind.choices,
            states=Asset.State.choices,
            zones=list(hall.zones.all()),
            windows=list(hall.windows.all()),
            people=list(StaffProfile.objects.filter(hall=hall).select_related("user")),
            manager=manager,
            qs=_qs(hall),
        ),
    )


# --- performance ------------------------------------------------------------------------------


@manage_view(STAFF)
def ranking(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    manager = can_act(request.user, hall, MANAGER)
    posted: dict[str, str] = {}
    if request.method == "POST" and manager:
        posted = {k: request.POST.get(f"w_{k}", "") for k in scoring.COMPONENTS}
        try:
            services.set_rules(
                request.user,
                hall,
                weights={k: int(v or 0) for k, v in posted.items()},
                late_grace=int(request.POST.get("late_grace") or 0),
                early_grace=int(request.POST.get("early_grace") or 0),
            )
            messages.success(request, "评分权重已保存，排名已按新权重重算")
            return redirect(reverse("staff:ranking") + _qs(hall, month=request.POST.get("month", "")))
        except (StaffError, ValueError) as exc:
            # shown again with what was typed, so the manager corrects rather than retypes
            _fail(request, exc if isinstance(exc, StaffError) else StaffError("权重须为整数"))
    year, month = _month(request, hall)
    rows = performance.ranking_rows(hall, year, month)
    ratings_used = not rows or any(c["key"] == "ratings" for r in rows for c in r["components"])
    if not manager:
        rows = [r for r in rows if r["user_id"] == request.user.pk]
    found = attendance.hall_rules(hall)
    weights = found.weights()
    return render(
        request,
        "staff/ranking.html",
        _base(
            request,
            hall,
            "ranking",
            rows=rows,
            year=year,
            month=month,
            month_text=f"{year}-{month:02d}",
            manager=manager,
            weights=[(k, label, posted.get(k, weights[k])) for k, label in scoring.COMPONENTS.items()],
            rules=found,
            ratings_available=ratings_used,
            qs=_qs(hall),
        ),
    )


@manage_view(STAFF)
def ranking_xlsx(request: HttpRequest) -> HttpResponse:
    """Managers export their hall; city administrators every hall (or ?hall=); staff their own row."""
    scope = _scope(request)
    year, month = _month(request, _hall(request))
    halls = [_hall(request)] if (request.GET.get("hall") or not scope.is_city) else list(scope.halls())
    sheets = []
    for hall in halls:
        rows = performance.ranking_rows(hall, year, month)
        if not can_act(request.user, hall, MANAGER):
            rows = [r for r in rows if r["user_id"] == request.user.pk]
        sheets.append((hall, rows))
    body = performance.export_xlsx(sheets, year, month)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="performance-{year}-{month:02d}.xlsx"'
    return response


# --- messages ---------------------------------------------------------------------------------


@manage_view(STAFF)
def inbox(request: HttpRequest) -> HttpResponse:
    hall = _hall(request)
    manager = can_act(request.user, hall, MANAGER)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "read":
                services.mark_read(request.user, int(request.POST.get("id") or 0))
            elif request.POST.get("action") == "group" and manager:
                services.save_group(
                    request.user, hall, request.POST.get("name", ""), request.POST.getlist("members")
                )
                messages.success(request, "分组已保存")
            elif manager:
                to = request.POST.getlist("to")
                users = list(get_user_model().objects.filter(username__in=to, staff_profile__hall=hall))
                group = StaffGroup.objects.filter(hall=hall, pk=request.POST.get("group") or 0).first()
                services.send_message(
                    request.user,
                    hall,
                    request.POST.get("subject", ""),
                    request.POST.get("body", ""),
                    users=users,
                    group=group,
                )
                messages.success(request, "消息已发送")
        except (StaffError, ValueError) as exc:
            _fail(request, exc)
        return redirect(reverse("staff:inbox") + _qs(hall))
    return render(
        request,
        "staff/inbox.html",
        _base(
            request,
            hall,
            "inbox",
            received=services.inbox(request.user),
            sent=services.sent_messages(request.user) if manager else [],
            groups=list(StaffGroup.objects.filter(hall=hall).prefetch_related("members")),
            people=list(StaffProfile.objects.filter(hall=hall).select_related("user")),
            manager=manager,
            qs=_qs(hall),
        ),
    )
