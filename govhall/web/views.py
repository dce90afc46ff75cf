"""Pages: the public guide, the hall floor (kiosk, calling screen, window console) and the phone ticket."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.accounts.services import can_act
from govhall.halls.models import Hall, Window
from govhall.queueing import policy as calling
from govhall.queueing import queries, services
from govhall.queueing.errors import Conflict, QueueError
from govhall.queueing.models import Ticket
from govhall.web import floor, qr

STATUS_LABELS = {
    "waiting": _("等候中"),
    "called": _("请到窗口办理"),
    "serving": _("办理中"),
    "on_hold": _("暂时挂起"),
    "served": _("已办结"),
    "no_show": _("已过号"),
    "cancelled": _("已取消"),
}
NOTICE = _("请留意屏幕叫号和语音提示；过号请到服务台重新取号。老年人、残疾人可走绿色通道优先办理。")


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/index.html", {"halls": queries.halls_load()})


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise Http404("no such hall")
    return hall


def _ticket(ticket_id: str, hall: Hall | None = None) -> Ticket:
    found = Ticket.objects.select_related("hall", "zone").filter(pk=ticket_id).first()
    if found is None or (hall is not None and found.hall_id != hall.pk):
        raise Http404("no such ticket")
    return found


NEAR_TURN = 3  # people ahead at which the phone asks the citizen to come back to the hall
CITIZEN_CANCELLABLE = ("waiting", "on_hold")


def near_turn_limit(hall: Hall) -> int:
    """The hall's `near_turn_ahead` policy setting (default 3)."""
    return int(calling.settings_of(hall.policy).get("near_turn_ahead", NEAR_TURN))


def near_turn_text(view: dict[str, Any], limit: int = NEAR_TURN) -> str:
    """ "还有3位，请回到大厅" once the citizen is close; empty otherwise."""
    ahead = view.get("position")
    if view.get("status") != "waiting" or ahead is None or ahead > limit:
        return ""
    if ahead == 0:
        return gettext("下一位就是您，请回到大厅等候叫号")
    return gettext("还有%(ahead)s位，请回到大厅") % {"ahead": ahead}


def _ticket_page(request: HttpRequest, ticket: Ticket, *, error: str = "", status: int = 200) -> HttpResponse:
    last_id = _last_id(ticket.hall)  # before the view: later changes reach the page as events
    view = queries.ticket_view(ticket)
    near_limit = near_turn_limit(ticket.hall)
    return render(
        request,
        "web/ticket.html",
        {
            "last_id": last_id,
            "ticket": view,
            "hall": ticket.hall,
            "status_label": STATUS_LABELS.get(view["status"], view["status"]),
            "labels": STATUS_LABELS,
            "near_turn": near_limit,
            "near_text": near_turn_text(view, near_limit),
            "cancellable": view["status"] in CITIZEN_CANCELLABLE,
            "cancel_error": error,
            "cancelled_now": request.GET.get("cancelled") == "1" and view["status"] == "cancelled",
        },
        status=status,
    )


@never_cache
def ticket_page(request: HttpRequest, ticket_id: str) -> HttpResponse:
    return _ticket_page(request, _ticket(ticket_id))


@require_POST
def ticket_cancel(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """The citizen gives up their place. The unguessable link is the capability: whoever holds
    /t/{id} may cancel that ticket, and only while it waits or is on hold."""
    ticket = _ticket(ticket_id)

    def citizen_may(locked: Ticket) -> None:
        if locked.status not in CITIZEN_CANCELLABLE:
            raise Conflict("cannot cancel now")

    try:
        services.perform(ticket.id, "cancel", None, check=citizen_may)
    except QueueError as refused:
        ticket.refresh_from_db()
        reason = (
            "这个号码已被叫到或已结束，不能再取消。"
            if refused.status == 409
            else "现在无法取消，请稍后再试。"
        )
        return _ticket_page(request, ticket, error=reason, status=refused.status)
    return redirect(reverse("ticket", args=[ticket.id]) + "?cancelled=1")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"ok": True, "database": connection.vendor})


# --- kiosk -------------------------------------------------------------------


def kiosk(request: HttpRequest, hall: str) -> HttpResponse:
    target = _hall(hall)
    load = floor.kiosk_load(target)
    catalogue = floor.kiosk_catalogue(target)
    per_zone = {z["code"]: z for z in load["zones"]}
    zones = [
        {
            **zone,
            **per_zone.get(zone["code"], {"waiting": 0, "wait_minutes": 0, "staffed": False}),
            "matters": sum(1 for m in catalogue["matters"] if m["zone"] == zone["code"]),
        }
        for zone in catalogue["zones"]
    ]
    hours_text = floor.opening_hours_text(target)
    return render(
        request,
        "web/kiosk.html",
        {
            "hall": target,
            "zones": zones,
            "departments": catalogue["departments"],
            "open": load["open"],
            "opening_hours": hours_text,
            "kiosk_data": {
                "hall": target.code,
                "open": load["open"],
                "zones": catalogue["zones"],
                "matters": catalogue["matters"],
                "zoneOf": catalogue["zone_of"],
                "openingHours": hours_text,
            },
            "elderly": request.GET.get("mode") == "elderly",
        },
    )


@never_cache
def kiosk_state(request: HttpRequest, hall: str) -> JsonResponse:
    """Open or closed now, and the wait per zone: the kiosk asks before it issues, so a closed hall
    is explained without a refused request."""
    return JsonResponse(floor.kiosk_load(_hall(hall)))


def ticket_print(request: HttpRequest, hall: str, ticket_id: str) -> HttpResponse:
    target = _hall(hall)
    ticket = _ticket(ticket_id, target)
    view = queries.ticket_view(ticket)
    guide = floor.matter_guide(ticket.matter_code)
    link = request.build_absolute_uri(reverse("ticket", args=[ticket.id]))
    return render(
        request,
        "web/print.html",
        {
            "hall": target,
            "ticket": view,
            "matter_name": guide["name"] if guide else "",
            "issued_at": clock.local(ticket.issued_at, target.timezone),
            "link": link,
            "qr_svg": qr.svg(link, module=3, title="扫码查看排队进度"),
            "autoprint": request.GET.get("auto") == "1",
            "back": reverse("kiosk", args=[target.code]),
        },
    )


def ticket_qr(request: HttpRequest, hall: str, ticket_id: str) -> HttpResponse:
    ticket = _ticket(ticket_id, _hall(hall))
    link = request.build_absolute_uri(reverse("ticket", args=[ticket.id]))
    response = HttpResponse(qr.svg(link, title="扫码查看排队进度"), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- calling screen ------------------------------------------------------------


def display(request: HttpRequest, hall: str) -> HttpResponse:
    target = _hall(hall)
    state = floor.display_state(target)
    windows = {w["code"]: w for w in state["status"]["windows"]}
    latest = state["history"][0] if state["history"] else None
    return render(
        request,
        "web/display.html",
        {
            "hall": target,
            "state": state,
            "latest": latest,
            "windows": state["status"]["windows"],
            "window_names": {code: w["name"] for code, w in windows.items()},
            "notice": NOTICE,
            "display_data": {
                "hall": target.code,
                "lastId": state["last_id"],
                "status": state["status"],
                "history": state["history"],
            },
        },
    )


_NUMBER = re.compile(r"^[A-Za-z]{0,8}[0-9]{1,6}$")
_WINDOW_LABEL = re.compile(r"^[\w\u4e00-\u9fff（）()·-]{1,20}$")


@never_cache
def voice(request: HttpRequest, hall: str) -> HttpResponseBase:
    """The call spoken by espeak-ng, for screens whose browser has no Chinese voice; cached per phrase."""
    _hall(hall)
    number = request.GET.get("number", "")
    window = request.GET.get("window", "")
    if not _NUMBER.match(number) or not _WINDOW_LABEL.match(window):
        return JsonResponse({"detail": "number and window are required"}, status=400)
    phrase = f"请{number}号到{window}办理"
    cache_dir = Path(settings.VAR_DIR) / "voice"
    path = cache_dir / (hashlib.sha256(phrase.encode()).hexdigest()[:32] + ".wav")
    if not path.exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        try:
            subprocess.run(
                ["espeak-ng", "-v", "cmn", "-s", "140", "-w", str(partial), phrase],
                check=True,
                capture_output=True,
                timeout=10,
            )
        except (OSError, subprocess.SubprocessError):
            return JsonResponse({"detail": "speech synthesis is not available on this server"}, status=404)
        partial.replace(path)
    response = FileResponse(path.open("rb"), content_type="audio/wav")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- window console ------------------------------------------------------------


def _console_access(request: HttpRequest, hall: str, window: str) -> tuple[Hall, Window] | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    target = _hall(hall)
    if not can_act(request.user, target, "staff"):
        return render(request, "web/forbidden.html", {"hall": target}, status=403)
    found = floor.window_of(target, window)
    if found is None:
        raise Http404("no such window")
    return target, found


@never_cache
def console(request: HttpRequest, hall: str, window: str) -> HttpResponse:
    access = _console_access(request, hall, window)
    if isinstance(access, HttpResponse):
        return access
    target, found = access
    last_id = _last_id(target)  # before the data: what changes meanwhile is replayed to the page
    data = floor.console(target, found)
    return render(
        request,
        "web/console.html",
        {
            "hall": target,
            "c": data,
            "console_data": {
                "hall": target.code,
                "window": found.code,
                "windowName": found.name,
                "lastId": last_id,
            },
        },
    )


@never_cache
def console_panel(request: HttpRequest, hall: str, window: str) -> HttpResponse:
    """The console's live part, re-rendered after every action and event."""
    access = _console_access(request, hall, window)
    if isinstance(access, HttpResponse):
        return access
    target, found = access
    return render(request, "web/_console_panel.html", {"hall": target, "c": floor.console(target, found)})


def _last_id(hall: Hall) -> int:
    from govhall.realtime.services import last_seq

    return last_seq(hall)
