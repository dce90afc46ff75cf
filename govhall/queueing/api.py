"""Ticket and hall endpoints of CONTRACTS section 5."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Header, Router, Schema, Status

from govhall.accounts.auth import staff_auth
from govhall.accounts.services import can_act
from govhall.apischema import ERRORS
from govhall.halls.models import Hall, Window
from govhall.queueing import queries, ratelimit, services, sql
from govhall.queueing.errors import Forbidden, NotFound
from govhall.queueing.models import Ticket

router = Router(tags=["queue"])


class TicketIn(Schema):
    matter: str
    zone: str | None = None
    channel: Literal["walk_in", "remote", "appointment"] = "walk_in"
    priority: Literal[0, 1] = 0
    subject: str | None = None


class TicketOut(Schema):
    id: str
    number: str
    hall: str
    zone: str
    matter: str
    status: str
    priority: int
    channel: str
    issued_at: str
    called_at: str | None
    finished_at: str | None
    window: str | None
    position: int | None
    estimated_wait_seconds: int | None
    recall_count: int = 0
    hall_name: str = ""
    zone_name: str = ""


class TransferIn(Schema):
    zone: str


class HallLoad(Schema):
    code: str
    name: str
    level: str
    lat: float | None
    lon: float | None
    waiting: int
    estimated_wait_seconds: int


class ZoneStatus(Schema):
    code: str
    name: str
    waiting: int
    longest_wait_seconds: int
    alert: Literal["none", "yellow", "red"]
    estimated_wait_seconds: int


class WindowStatus(Schema):
    code: str
    name: str
    state: Literal["open", "paused", "closed"]
    tidal: bool
    zones: list[str]
    ticket: dict[str, Any] | None


class HallStatus(Schema):
    hall: str
    name: str
    zones: list[ZoneStatus]
    windows: list[WindowStatus]


class WindowStateIn(Schema):
    state: Literal["open", "paused", "closed"]


def _hall(code: str) -> Hall:
    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise NotFound(f"no hall {code!r}")
    return hall


def _window(hall: Hall, code: str) -> Window:
    window = Window.objects.filter(hall=hall, code=code).first()
    if window is None:
        raise NotFound(f"hall {hall.code} has no window {code!r}")
    return window


def _hall_window(hall: str, window: str) -> Window:
    """A window with its hall, in one query (call-next is the hottest staff call)."""
    found = sql.window_with_hall(hall, window)
    if found is None:
        raise NotFound(f"hall {_hall(hall).code} has no window {window!r}")
    return found


def _require(request: HttpRequest, hall: Hall, role: str = "staff") -> None:
    if not can_act(request.user, hall, role):
        raise Forbidden(f"your role may not act in hall {hall.code}")


@router.post(
    "/halls/{hall}/tickets", response={200: TicketOut, 201: TicketOut, **ERRORS}, summary="Issue a ticket"
)
def issue(
    request: HttpRequest,
    hall: str,
    payload: TicketIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status[dict[str, Any]]:
    ratelimit.check(request, "issue")
    zone = None
    if payload.zone:  # the hall comes along with its zone: one query for both
        zone = sql.zone_with_hall(hall, payload.zone)
    target = zone.hall if zone is not None else _hall(hall)
    actor = request.user if request.user.is_authenticated else None
    ticket, created = services.issue_ticket(
        target,
        payload.matter,
        zone=zone,
        zone_code=payload.zone,
        channel=payload.channel,
        priority=payload.priority,
        subject=payload.subject or "",
        idempotency_key=idempotency_key,
        actor=actor,
    )
    return Status(201 if created else 200, queries.ticket_view(ticket, learned=not created))


@router.post(
    "/halls/{hall}/windows/{window}/call-next",
    auth=staff_auth,
    response={200: TicketOut, 204: None, **ERRORS},
    summary="Call the next ticket to a window",
)
def call_next(request: HttpRequest, hall: str, window: str) -> Status[Any]:
    found = _hall_window(hall, window)
    _require(request, found.hall)
    ticket = services.call_next(found, actor=request.user)
    if ticket is None:
        return Status(204, None)
    return Status(200, queries.ticket_view(ticket))


@router.post(
    "/halls/{hall}/windows/{window}/state",
    auth=staff_auth,
    response={200: WindowStatus, **ERRORS},
    summary="Open, pause or close a window (tidal windows open on demand)",
)
def window_state(request: HttpRequest, hall: str, window: str, payload: WindowStateIn) -> dict[str, Any]:
    target = _hall(hall)
    _require(request, target)
    services.set_window_state(_window(target, window), payload.state, actor=request.user)
    return next(w for w in queries.hall_status(target)["windows"] if w["code"] == window)


def _act(request: HttpRequest, ticket_id: str, action: str, zone: str | None = None) -> dict[str, Any]:
    def check(ticket: Ticket) -> None:
        _require(request, ticket.hall)

    ticket = services.perform(ticket_id, action, request.user, zone_code=zone, check=check)
    return queries.ticket_view(ticket)


def _action_endpoint(action: str) -> None:
    if action == "transfer":

        @router.post(
            "/tickets/{ticket_id}/transfer",
            auth=staff_auth,
            response={200: TicketOut, **ERRORS},
            summary="Transfer a called or served ticket to another zone (keeps its number)",
            operation_id="ticket_transfer",
        )
        def transfer(request: HttpRequest, ticket_id: str, payload: TransferIn) -> dict[str, Any]:
            return _act(request, ticket_id, "transfer", payload.zone)

        return

    def endpoint(request: HttpRequest, ticket_id: str) -> dict[str, Any]:
        return _act(request, ticket_id, action)

    endpoint.__name__ = f"ticket_{action.replace('-', '_')}"
    router.post(
        f"/tickets/{{ticket_id}}/{action}",
        auth=staff_auth,
        response={200: TicketOut, **ERRORS},
        summary=f"Ticket action: {action}",
        operation_id=endpoint.__name__,
    )(endpoint)


for _action in services.ACTIONS:
    _action_endpoint(_action)


@router.get("/halls", response=list[HallLoad], summary="Every hall with its live load")
def halls(request: HttpRequest) -> list[dict[str, Any]]:
    return queries.halls_load()


@router.get("/tickets/{ticket_id}", response={200: TicketOut, **ERRORS}, summary="A ticket with its position")
def ticket(request: HttpRequest, ticket_id: str) -> dict[str, Any]:
    found = Ticket.objects.select_related("hall", "zone").filter(pk=ticket_id).first()
    if found is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    return queries.ticket_view(found)


@router.get("/halls/{hall}/status", response={200: HallStatus, **ERRORS}, summary="Live status of a hall")
def hall_status(request: HttpRequest, hall: str) -> dict[str, Any]:
    return queries.hall_status(_hall(hall))
