"""Pages of 远程帮办: the point's help page, the online window's remote page, the session page
(video, materials, chat; one page for both sides) and the network manage page."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import quote

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.accounts.models import Role
from govhall.accounts.services import can_act
from govhall.halls.models import ServicePoint, Window
from govhall.queueing.errors import QueueError, Unprocessable
from govhall.remotehelp import queries, services
from govhall.remotehelp.models import Outcome, RemoteSession, SessionStatus
from govhall.web.manage import manage_view


def _forbidden(request: HttpRequest, text: str) -> HttpResponse:
    return render(request, "remotehelp/forbidden.html", {"text": text}, status=403)


def _point(code: str) -> ServicePoint:
    try:
        return services.point_of(code)
    except QueueError:
        raise Http404("no such point") from None


def _session(session_id: str) -> RemoteSession:
    try:
        return services.session_of(session_id)
    except QueueError:
        raise Http404("no such session") from None


@never_cache
def point_help(request: HttpRequest, point: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = _point(point)
    if not services.may_assist(request.user, found):
        return _forbidden(request, f"只有{found.hall.name}的工作人员可以在{found.name}发起远程帮办。")
    error = ""
    status = 200
    if request.method == "POST":
        try:
            session, _ = services.take_ticket(
                found,
                request.POST.get("matter", ""),
                request.POST.get("hall", ""),
                request.user,
                zone_code=request.POST.get("zone") or None,
                idempotency_key=request.POST.get("key") or None,
            )
            return HttpResponseRedirect(f"/remotehelp/sessions/{session.pk}")
        except QueueError as failure:
            error, status = failure.detail, failure.status
    codes = services.enabled_matters(found)
    names = services.matter_names(codes)
    recent = (
        RemoteSession.objects.filter(point=found, created_at__gte=clock.now() - dt.timedelta(days=1))
        .select_related("hall")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "remotehelp/point.html",
        {
            "point": found,
            "matters": [(c, names.get(c, c)) for c in codes],
            "targets": [(h, list(h.zones.all())) for h in services.target_halls(found)],
            "recent": recent,
            "error": error,
            "key": secrets.token_hex(8),
        },
        status=status,
    )


def _window(request: HttpRequest, hall: str, window: str) -> Window | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = Window.objects.select_related("hall").filter(hall__code=hall, code=window).first()
    if found is None:
        raise Http404("no such window")
    if not can_act(request.user, found.hall, "staff"):
        return _forbidden(request, f"您不是{found.hall.name}的工作人员，不能使用该中心的网上窗口。")
    return found


@never_cache
def window_remote(request: HttpRequest, hall: str, window: str) -> HttpResponse:
    found = _window(request, hall, window)
    if isinstance(found, HttpResponse):
        return found
    error, status = "", 200
    if request.method == "POST":
        try:
            session = services.accept(_session(request.POST.get("session", "")), found, request.user)
            return HttpResponseRedirect(f"/remotehelp/sessions/{session.pk}")
        except QueueError as failure:
            error, status = failure.detail, failure.status
    sessions = [queries.session_view(s, with_history=False) for s in services.sessions_for_window(found)]
    return render(
        request,
        "remotehelp/window.html",
        {"window": found, "hall": found.hall, "sessions": sessions, "error": error},
        status=status,
    )


@never_cache
def session_page(request: HttpRequest, session: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    found = _session(session)
    side = services.side_of(request.user, found)
    if side is None:
        return _forbidden(request, "只有发起的代办点和接入的窗口工作人员可以查看该会话。")
    view = queries.session_view(found)
    return render(
        request,
        "remotehelp/session.html",
        {
            "s": view,
            "side": side,
            "outcomes": [o for o in Outcome.choices if o[0] != Outcome.CANCELLED],
            "error": request.GET.get("error", "")[:200],
            "live": found.status != SessionStatus.CLOSED,
            "page_data": {
                "session": found.pk,
                "side": side,
                "status": found.status,
                "lastId": services.last_event_id(found.pk),
            },
        },
    )


@require_POST
def session_action(request: HttpRequest, session: str, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(f"/remotehelp/sessions/{session}")
    found = _session(session)
    if services.side_of(request.user, found) is None:
        return _forbidden(request, "只有发起的代办点和接入的窗口工作人员可以操作该会话。")
    back = f"/remotehelp/sessions/{found.pk}"
    try:
        if action == "upload":
            upload = request.FILES.get("file")
            if upload is None:
                raise Unprocessable("请选择要上传的文件")
            services.add_material(
                found, request.user, upload.name or "", upload.read(services.MAX_MATERIAL_BYTES + 1)
            )
        elif action == "finish":
            services.finish(
                found, request.user, request.POST.get("outcome", ""), request.POST.get("note", "")
            )
        elif action == "cancel":
            services.cancel(found, request.user)
        else:
            raise Http404("no such action")
    except QueueError as failure:
        return HttpResponseRedirect(f"{back}?error={quote(failure.detail)}")
    return HttpResponseRedirect(back)


@never_cache
def material(request: HttpRequest, session: str, material_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    found = _session(session)
    if services.side_of(request.user, found) is None:
        return HttpResponse(status=403)
    try:
        item = services.material_of(found, material_id)
    except QueueError:
        raise Http404("no such material") from None
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(False, item.name) or "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@manage_view(Role.MANAGER)
def manage_index(request: HttpRequest) -> HttpResponse:
    scope = request.manage_scope  # type: ignore[attr-defined]
    halls = queries.with_children(scope.halls())
    labels, counts = queries.monthly_counts(halls)
    network = queries.network(halls)
    context: dict[str, Any] = {
        "network": network,
        "months": labels,
        "counts": counts,
        "totals": {
            "halls": len(network),
            "towns": sum(1 for h in network if h["level"] != "市级中心"),
            "points": sum(len(h["points"]) for h in network),
            "enabled": sum(1 for h in network for p in h["points"] if p["matters"]),
        },
    }
    return render(request, "remotehelp/manage.html", context)


@manage_view(Role.MANAGER)
def manage_point(request: HttpRequest, point: str) -> HttpResponse:
    found = _point(point)
    if not queries.with_children(request.manage_scope.halls()).filter(pk=found.hall_id).exists():  # type: ignore[attr-defined]
        return _forbidden(request, "该代办点不属于您管理的中心。")
    error = ""
    if request.method == "POST":
        codes = sorted({line.strip() for line in request.POST.get("matters", "").split() if line.strip()})
        try:
            services.set_matters(found, codes)
            return HttpResponseRedirect(f"/manage/remotehelp/points/{found.code}")
        except QueueError as failure:
            error = failure.detail
    codes = services.enabled_matters(found)
    names = services.matter_names(codes)
    return render(
        request,
        "remotehelp/manage_point.html",
        {"point": found, "matters": [(c, names.get(c, "（目录中无此事项）")) for c in codes], "error": error},
        status=422 if error else 200,
    )
