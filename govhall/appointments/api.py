"""HTTP API of appointments (mounted under /api/v1/appointments by govhall.api).

Citizens book, cancel, reschedule and take remote tickets without a token (the booking code is
what proves a booking is theirs); managers change slot capacities and staff read a ticket's
details with a token. Every answer carries masked personal data only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Header, Router, Schema, Status
from ninja.errors import AuthenticationError

from govhall import clock
from govhall.accounts.auth import staff_auth
from govhall.accounts.services import can_act, user_for_token
from govhall.apischema import ERRORS
from govhall.appointments import details, services
from govhall.appointments.models import Booking, Slot
from govhall.halls.models import Hall, Zone
from govhall.queueing import policy as calling
from govhall.queueing import queries, ratelimit
from govhall.queueing.api import TicketOut
from govhall.queueing.errors import Forbidden, NotFound, Unprocessable
from govhall.queueing.models import Ticket

router = Router(tags=["appointments"])


class SlotOut(Schema):
    id: int
    hall: str
    zone: str
    zone_name: str
    day: str
    start: str
    end: str
    capacity: int
    booked: int
    remaining: int


class IdentityIn(Schema):
    kind: Literal["e_certificate", "data_sharing"]
    reference: str
    covers: list[str] | None = None


class ProxyIn(Schema):
    proxy_name: str
    proxy_id: str
    principal_name: str
    principal_id: str
    relation: str | None = None


class Extras(Schema):
    identity: IdentityIn | None = None
    green_kind: str | None = None
    proxy: ProxyIn | None = None


class BookingIn(Extras):
    hall: str
    matter: str
    slot: int
    subject: str
    phone: str | None = None


class BookingOut(Schema):
    code: str
    hall: str
    hall_name: str
    zone: str
    zone_name: str
    matter: str
    status: Literal["booked", "checked_in", "cancelled", "missed"]
    status_label: str
    slot: SlotOut
    phone_masked: str
    checkin_opens: str
    checkin_closes: str
    reschedules: int
    reason: str
    ticket: str | None
    ticket_link: str | None
    extras: dict[str, Any]


class RescheduleIn(Schema):
    slot: int


class CheckInIn(Schema):
    code: str


class CheckInOut(Schema):
    booking: BookingOut
    ticket: TicketOut
    link: str


class RemoteTicketIn(Extras):
    hall: str
    matter: str
    zone: str | None = None
    subject: str
    phone: str | None = None


class RemoteTicketOut(Schema):
    ticket: TicketOut
    link: str
    phone_masked: str


class EligibilityIn(Schema):
    hall: str
    subject: str


class EligibilityOut(Schema):
    allowed: bool
    reason: str | None


class CapacityIn(Schema):
    capacity: int


class MaterialOut(Schema):
    name: str
    covered: bool


class DetailsOut(Schema):
    ticket: str
    number: str
    channel: str
    matter: str
    matter_name: str
    booking: str | None
    phone_masked: str
    identity: dict[str, Any] | None
    green: dict[str, str] | None
    proxy: dict[str, str] | None
    materials: list[MaterialOut]


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise NotFound(f"no hall {code!r}")
    return hall


def slot_view(slot: Slot) -> dict[str, Any]:
    tz = slot.hall.timezone
    return {
        "id": slot.pk,
        "hall": slot.hall.code,
        "zone": slot.zone.code,
        "zone_name": slot.zone.name,
        "day": slot.day.isoformat(),
        "start": clock.iso(slot.start, tz),
        "end": clock.iso(slot.end, tz),
        "capacity": slot.capacity,
        "booked": slot.booked,
        "remaining": slot.remaining,
    }


def booking_view(booking: Booking) -> dict[str, Any]:
    hall = booking.hall
    booking.slot.hall = hall
    opens, closes = calling.checkin_window(hall.policy, booking.slot.start)
    return {
        "code": booking.code,
        "hall": hall.code,
        "hall_name": hall.name,
        "zone": booking.zone.code,
        "zone_name": booking.zone.name,
        "matter": booking.matter_code,
        "status": booking.status,
        "status_label": booking.get_status_display(),
        "slot": slot_view(booking.slot),
        "phone_masked": booking.phone_masked,
        "checkin_opens": clock.iso(opens, hall.timezone),
        "checkin_closes": clock.iso(closes, hall.timezone),
        "reschedules": booking.reschedules,
        "reason": booking.reason,
        "ticket": booking.ticket_id,
        "ticket_link": reverse("ticket", args=[booking.ticket_id]) if booking.ticket_id else None,
        "extras": booking.extras,
    }


def extras_of(hall: Hall, payload: Extras) -> dict[str, Any]:
    return details.clean_extras(
        hall,
        identity=payload.identity.dict() if payload.identity else None,
        green_kind=payload.green_kind,
        proxy=payload.proxy.dict() if payload.proxy else None,
    )


def _optional_actor(request: HttpRequest) -> Any:
    """Staff may check people in with their token or session; the kiosk needs neither."""
    header = request.headers.get("Authorization", "")
    if header:
        token = header.removeprefix("Bearer ").strip()
        user = user_for_token(token) if header.startswith("Bearer ") else None
        if user is None:
            raise AuthenticationError()
        return user
    return request.user if request.user.is_authenticated else None


@router.get("/halls/{hall}/slots", response={200: list[SlotOut], **ERRORS}, summary="Bookable slots of a day")
def slots(
    request: HttpRequest, hall: str, day: dt.date, matter: str | None = None, zone: str | None = None
) -> list[dict[str, Any]]:
    target = _hall(hall)
    found_zone: Zone | None = None
    if matter or zone:
        found_zone = services.resolve_zone(target, matter or "", zone)
    return [slot_view(s) for s in services.slots_for(target, day, found_zone)]


@router.patch(
    "/slots/{slot_id}",
    auth=staff_auth,
    response={200: SlotOut, **ERRORS},
    summary="Change a slot's capacity (managers; never below the seats booked)",
)
def slot_capacity(request: HttpRequest, slot_id: int, payload: CapacityIn) -> dict[str, Any]:
    slot = Slot.objects.select_related("hall", "zone").filter(pk=slot_id).first()
    if slot is None:
        raise NotFound(f"no slot {slot_id}")
    if not can_act(request.user, slot.hall, "manager"):
        raise Forbidden(f"only managers of hall {slot.hall.code} may change its slots")
    return slot_view(services.set_capacity(slot, payload.capacity))


@router.post("/eligibility", response={200: EligibilityOut, **ERRORS}, summary="May this subject book now?")
def eligibility(request: HttpRequest, payload: EligibilityIn) -> dict[str, Any]:
    ratelimit.check(request, "book")
    reason = services.booking_ban(_hall(payload.hall), payload.subject)
    return {"allowed": reason is None, "reason": reason}


@router.post("/bookings", response={201: BookingOut, **ERRORS}, summary="Book a slot")
def book(request: HttpRequest, payload: BookingIn) -> Status[dict[str, Any]]:
    ratelimit.check(request, "book")
    hall = _hall(payload.hall)
    booking = services.book(
        hall,
        matter_code=payload.matter,
        slot_id=payload.slot,
        subject=payload.subject,
        phone=payload.phone or "",
        extras=extras_of(hall, payload),
    )
    return Status(201, booking_view(booking))


@router.get("/bookings/{code}", response={200: BookingOut, **ERRORS}, summary="A booking by its code")
def booking(request: HttpRequest, code: str) -> dict[str, Any]:
    ratelimit.check(request, "booking")  # codes are the secret: no guessing at speed
    return booking_view(services.get_booking(code))


@router.post("/bookings/{code}/cancel", response={200: BookingOut, **ERRORS}, summary="Cancel a booking")
def cancel(request: HttpRequest, code: str) -> dict[str, Any]:
    ratelimit.check(request, "booking")  # codes are the secret: no guessing at speed
    return booking_view(services.cancel(code))


@router.post(
    "/bookings/{code}/reschedule",
    response={200: BookingOut, **ERRORS},
    summary="Move a booking to another slot",
)
def reschedule(request: HttpRequest, code: str, payload: RescheduleIn) -> dict[str, Any]:
    ratelimit.check(request, "booking")  # codes are the secret: no guessing at speed
    return booking_view(services.reschedule(code, payload.slot))


@router.post(
    "/halls/{hall}/check-in",
    response={200: CheckInOut, 201: CheckInOut, **ERRORS},
    summary="Check a booking in (kiosk, QR or staff): its appointment ticket, the same on a repeat",
)
def check_in(request: HttpRequest, hall: str, payload: CheckInIn) -> Status[dict[str, Any]]:
    ratelimit.check(request, "checkin")
    target = _hall(hall)
    actor = _optional_actor(request)
    ticket, created = services.check_in(target, payload.code, actor)
    found = services.get_booking(payload.code)
    return Status(
        201 if created else 200,
        {
            "booking": booking_view(found),
            "ticket": queries.ticket_view(ticket),
            "link": request.build_absolute_uri(reverse("ticket", args=[ticket.id])),
        },
    )


@router.post(
    "/remote-tickets",
    response={200: RemoteTicketOut, 201: RemoteTicketOut, **ERRORS},
    summary="Take a remote ticket for any hall (limits per subject)",
)
def remote_ticket(
    request: HttpRequest,
    payload: RemoteTicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    ratelimit.check(request, "issue")
    hall = _hall(payload.hall)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= 128:
        raise Unprocessable("Idempotency-Key must be 1–128 characters")
    ticket, created = services.take_remote_ticket(
        hall,
        matter_code=payload.matter,
        zone_code=payload.zone,
        subject=payload.subject,
        phone=payload.phone or "",
        extras=extras_of(hall, payload),
        idempotency_key=idempotency_key,
    )
    view = details.view(ticket)
    return Status(
        201 if created else 200,
        {
            "ticket": queries.ticket_view(ticket),
            "link": request.build_absolute_uri(reverse("ticket", args=[ticket.id])),
            "phone_masked": view["phone_masked"],
        },
    )


@router.get(
    "/tickets/{ticket_id}/details",
    response={200: DetailsOut, **ERRORS},
    summary="A ticket's 无证办理 reference, green channel and proxy (masked) with the materials covered",
)
def ticket_details(request: HttpRequest, ticket_id: str) -> dict[str, Any]:
    # Like GET /tickets/{id}, no token: the unguessable ticket id is what the holder and the
    # window have, and everything in the answer is masked.
    ratelimit.check(request, "booking")
    ticket = Ticket.objects.select_related("hall").filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return details.view(ticket)
