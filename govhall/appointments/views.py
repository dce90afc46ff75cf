"""Citizen pages (book, my booking, remote ticket), the kiosk check-in page and the manage page."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.appointments import details, services
from govhall.appointments.models import Booking, Slot
from govhall.catalog.queries import matters_by_code
from govhall.halls.models import Hall, ZoneMatter
from govhall.queueing import policy as calling
from govhall.queueing import queries
from govhall.queueing.errors import QueueError
from govhall.web import qr
from govhall.web.floor import DAY_NAMES
from govhall.web.manage import manage_view

log = logging.getLogger("govhall.appointments")


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise Http404("no such hall")
    return hall


def _matters(hall: Hall) -> list[dict[str, str]]:
    links = list(ZoneMatter.objects.filter(hall=hall).select_related("zone").order_by("zone__position"))
    names = matters_by_code({link.matter_code for link in links})
    return [
        {
            "code": link.matter_code,
            "name": names[link.matter_code].name if link.matter_code in names else link.matter_code,
            "zone": link.zone.name,
        }
        for link in links
    ]


def _day_label(day: dt.date, today: dt.date) -> str:
    prefix = {0: gettext("今天"), 1: gettext("明天"), 2: gettext("后天")}.get((day - today).days, "")
    date = gettext("%(month)s月%(day)s日 %(weekday)s") % {
        "month": f"{day:%m}",
        "day": f"{day:%d}",
        "weekday": gettext(DAY_NAMES[day.weekday()]),
    }
    return f"{date} {prefix}".strip()


def _days(hall: Hall) -> list[dict[str, str]]:
    days = services.bookable_days(hall)
    return [{"value": d.isoformat(), "label": _day_label(d, days[0])} for d in days]


def _slot_rows(hall: Hall, slots: list[Slot]) -> list[dict[str, Any]]:
    now = clock.now()
    return [
        {
            "id": s.pk,
            "time": f"{services.local_text(s.start, hall, '%H:%M')}–{services.local_text(s.end, hall, '%H:%M')}",
            "remaining": s.remaining,
            "capacity": s.capacity,
            "booked": s.booked,
            "past": s.start <= now,
            "zone": s.zone.name,
        }
        for s in slots
    ]


def _parse_day(text: str | None, hall: Hall) -> dt.date:
    try:
        return dt.date.fromisoformat(text or "")
    except ValueError:
        return services.bookable_days(hall)[0]


# --- citizens ---------------------------------------------------------------------------


def book_index(request: HttpRequest) -> HttpResponse:
    halls = Hall.objects.exclude(zone_matters=None).order_by("level", "code")
    return render(request, "appointments/book_index.html", {"halls": halls})


def _tell_conversation(token: str, booking: Booking) -> None:
    """A booking opened from a 政小云 answer card ends that conversation at a window. The booking
    stands whatever happens here: an unknown or expired token is only logged."""
    if not token:
        return
    from govhall.assistant import services as assistant

    try:
        assistant.record_booking(assistant.conversation_of(token), booking)
    except QueueError as exc:
        log.info("booking %s: conversation not recorded: %s", booking.code, exc.detail)


def book_hall(request: HttpRequest, hall: str) -> HttpResponse:
    target = _hall(hall)
    matters = _matters(target)
    matter = (
        request.POST.get("matter") or request.GET.get("matter") or (matters[0]["code"] if matters else "")
    )
    day = _parse_day(request.POST.get("day") or request.GET.get("day"), target)
    error = ""
    if request.method == "POST":
        form = request.POST
        try:
            extras = details.clean_extras(
                target,
                identity=(
                    {"kind": form.get("identity_kind"), "reference": form.get("identity_ref", "")}
                    if form.get("identity_kind")
                    else None
                ),
                green_kind=form.get("green_kind") or None,
            )
            booking = services.book(
                target,
                matter_code=matter,
                slot_id=int(form.get("slot") or 0),
                subject=form.get("subject", ""),
                phone=form.get("phone", ""),
                extras=extras,
            )
        except QueueError as exc:
            error = exc.detail
        except ValueError:
            error = "请选择一个预约时段"
        else:
            _tell_conversation(form.get("conversation", ""), booking)
            return redirect("appointments:booking", code=booking.code)
    return render(
        request,
        "appointments/book_hall.html",
        {
            "hall": target,
            "matters": matters,
            "matter": matter,
            "days": _days(target),
            "day": day.isoformat(),
            "slots": _slots_for(target, matter, day),
            "error": error,
            "form": request.POST,
            "priority_kinds": calling.settings_of(target.policy)["priority_kinds"],
            "conversation": (request.POST.get("conversation") or request.GET.get("c") or "")[:40],
            "identity_kinds": details.IDENTITY_KINDS,
        },
    )


def _slots_for(hall: Hall, matter: str, day: dt.date) -> list[dict[str, Any]]:
    link = ZoneMatter.objects.filter(hall=hall, matter_code=matter).select_related("zone").first()
    if link is None or day not in services.bookable_days(hall):
        return []
    return [row for row in _slot_rows(hall, services.slots_for(hall, day, link.zone)) if not row["past"]]


def book_slots(request: HttpRequest, hall: str) -> HttpResponse:
    """The slot list alone (htmx swaps it in when the matter or the day changes)."""
    target = _hall(hall)
    day = _parse_day(request.GET.get("day"), target)
    return render(
        request, "appointments/_slots.html", {"slots": _slots_for(target, request.GET.get("matter", ""), day)}
    )


def _booking_context(request: HttpRequest, booking: Booking) -> dict[str, Any]:
    hall = booking.hall
    opens, closes = calling.checkin_window(hall.policy, booking.slot.start)
    checkin = request.build_absolute_uri(reverse("appointments:checkin", args=[hall.code]))
    link = f"{checkin}?code={booking.code}"
    names = matters_by_code([booking.matter_code])
    others: list[dict[str, Any]] = []
    if booking.status == Booking.Status.BOOKED:
        for day in services.bookable_days(hall):
            rows = _slot_rows(hall, services.slots_for(hall, day, booking.zone))
            for row in rows:
                if not row["past"] and row["remaining"] > 0 and row["id"] != booking.slot_id:
                    others.append(
                        {**row, "label": f"{_day_label(day, services.bookable_days(hall)[0])} {row['time']}"}
                    )
    return {
        "booking": booking,
        "hall": hall,
        "matter_name": names[booking.matter_code].name
        if booking.matter_code in names
        else booking.matter_code,
        "slot_text": f"{services.local_text(booking.slot.start, hall, '%Y年%m月%d日 %H:%M')}–"
        f"{services.local_text(booking.slot.end, hall, '%H:%M')}",
        "checkin_text": f"{services.local_text(opens, hall, '%H:%M')}–{services.local_text(closes, hall, '%H:%M')}",
        "qr_svg": qr.svg(link, module=4, title="到大厅自助机扫码签到"),
        "others": others[:60],
        "extras": booking.extras,
    }


def booking_page(request: HttpRequest, code: str) -> HttpResponse:
    try:
        booking = services.get_booking(code)
    except QueueError:
        raise Http404("no such booking")
    return render(request, "appointments/booking.html", _booking_context(request, booking))


@require_POST
def booking_cancel(request: HttpRequest, code: str) -> HttpResponse:
    try:
        services.cancel(code)
        messages.success(request, "预约已取消，名额已释放。")
    except QueueError as exc:
        messages.error(request, exc.detail)
    return redirect("appointments:booking", code=code.upper())


@require_POST
def booking_reschedule(request: HttpRequest, code: str) -> HttpResponse:
    try:
        services.reschedule(code, int(request.POST.get("slot") or 0))
        messages.success(request, "已改约到新的时段。")
    except QueueError as exc:
        messages.error(request, exc.detail)
    except ValueError:
        messages.error(request, "请选择新的时段")
    return redirect("appointments:booking", code=code.upper())


@require_POST
def remote_ticket(request: HttpRequest, hall: str) -> HttpResponse:
    target = _hall(hall)
    try:
        ticket, _ = services.take_remote_ticket(
            target,
            matter_code=request.POST.get("matter", ""),
            subject=request.POST.get("subject", ""),
            phone=request.POST.get("phone", ""),
            extras=details.clean_extras(target, green_kind=request.POST.get("green_kind") or None),
        )
    except QueueError as exc:
        messages.error(request, f"远程取号未成功：{exc.detail}")
        return redirect(reverse("appointments:book-hall", args=[target.code]) + "#remote")
    return redirect("ticket", ticket_id=ticket.id)


# --- kiosk check-in ---------------------------------------------------------------------


def checkin(request: HttpRequest, hall: str) -> HttpResponse:
    target = _hall(hall)
    rules = calling.settings_of(target.policy)
    context: dict[str, Any] = {
        "hall": target,
        "code": request.GET.get("code", ""),
        "early": rules["appointment_checkin_early_minutes"],
        "late": rules["appointment_checkin_late_minutes"],
    }
    if request.method == "POST":
        code = request.POST.get("code", "")
        context["code"] = code
        try:
            ticket, _ = services.check_in(
                target, code, request.user if request.user.is_authenticated else None
            )
        except QueueError as exc:
            # a refused check-in is an answer on the page, not a failed load: status 200
            context["error"] = exc.detail
        else:
            view = queries.ticket_view(ticket)
            link = request.build_absolute_uri(reverse("ticket", args=[ticket.id]))
            context.update(
                {
                    "ticket": view,
                    "wait_minutes": round((view["estimated_wait_seconds"] or 0) / 60),
                    "qr_svg": qr.svg(link, module=3, title="扫码查看排队进度"),
                    "print_url": reverse("ticket-print", args=[target.code, ticket.id]),
                }
            )
    return render(request, "appointments/checkin.html", context)


# --- managers ---------------------------------------------------------------------------


@manage_view()
def manage(request: HttpRequest) -> HttpResponse:
    scope = request.manage_scope  # type: ignore[attr-defined]
    halls = list(scope.halls())
    hall = next((h for h in halls if h.code == request.GET.get("hall")), halls[0] if halls else None)
    if hall is None:
        return render(request, "appointments/manage.html", {"halls": [], "hall": None})
    day = _parse_day(request.GET.get("day"), hall)
    if request.method == "POST":
        slot = (
            Slot.objects.select_related("hall", "zone")
            .filter(pk=request.POST.get("slot") or 0, hall=hall)
            .first()
        )
        try:
            if slot is None:
                raise QueueError("没有这个时段")
            services.set_capacity(slot, int(request.POST.get("capacity", "")))
            messages.success(
                request,
                f"{slot.zone.name} {services.local_text(slot.start, hall, '%H:%M')} 可预约数已改为 {request.POST['capacity']}",
            )
        except QueueError as exc:
            messages.error(request, exc.detail)
        except ValueError:
            messages.error(request, "可预约数须为整数")
        return redirect(f"{reverse('appointments:manage')}?hall={hall.code}&day={day.isoformat()}")
    slots = services.slots_for(hall, day)
    bookings = (
        Booking.objects.filter(hall=hall, slot__day=day)
        .select_related("slot", "zone")
        .order_by("slot__start")
    )
    counts = {s: bookings.filter(status=s).count() for s in Booking.Status.values}
    rows = [
        {
            "code": b.code,
            "time": services.local_text(b.slot.start, hall, "%H:%M"),
            "zone": b.zone.name,
            "matter": b.matter_code,
            "phone": b.phone_masked,
            "status": b.get_status_display(),
            "reason": b.reason,
        }
        for b in bookings[:200]
    ]
    return render(
        request,
        "appointments/manage.html",
        {
            "halls": halls,
            "hall": hall,
            "day": day.isoformat(),
            "days": _days(hall),
            "slots": _slot_rows(hall, slots),
            "bookings": rows,
            "counts": counts,
            "rules": calling.settings_of(hall.policy),
        },
    )
