"""HTTP API of remotehelp (mounted under /api/v1/remotehelp by govhall.api).

Every call needs a signed-in staff member (token or page session): the point's assistant is staff
of the point's own hall, the window side is staff of the target hall (see services)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from govhall.accounts.auth import staff_auth
from govhall.accounts.services import can_act
from govhall.apischema import Detail
from govhall.halls.models import Hall, Window
from govhall.queueing.errors import Forbidden, NotFound
from govhall.remotehelp import queries, services
from govhall.remotehelp.models import RemoteSession

router = Router(tags=["remotehelp"], auth=staff_auth)


class MaterialOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: str
    url: str


class EventOut(Schema):
    id: int
    time: str
    kind: str
    label: str
    side: str
    at: str
    text: str


class SessionOut(Schema):
    id: str
    ticket: str
    number: str
    ticket_status: str
    point: str
    point_name: str
    hall: str
    hall_name: str
    zone: str
    matter: str
    matter_name: str
    status: str
    status_label: str
    outcome: str
    outcome_label: str
    note: str
    window: str | None
    created_at: str
    accepted_at: str | None
    closed_at: str | None
    materials: list[MaterialOut]
    events: list[EventOut]


class MatterOut(Schema):
    code: str
    name: str


class ZoneOut(Schema):
    code: str
    name: str


class TargetOut(Schema):
    code: str
    name: str
    level: str
    zones: list[ZoneOut]


class PointOut(Schema):
    code: str
    name: str
    hall: str
    matters: list[MatterOut]
    targets: list[TargetOut]


class TakeIn(Schema):
    matter: str
    hall: str
    zone: str | None = None


class AcceptIn(Schema):
    window: str


class ChatIn(Schema):
    text: str


class FinishIn(Schema):
    outcome: Literal["done", "referred", "unfinished"]
    note: str = ""


class MatterListIn(Schema):
    matters: list[str]


class CountRow(Schema):
    code: str
    name: str
    months: dict[str, int]
    done: int
    total: int


class CountsOut(Schema):
    months: list[str]
    points: list[CountRow]


def _viewable(request: HttpRequest, session_id: str) -> RemoteSession:
    session = services.session_of(session_id)
    if not services.may_view(request.user, session):
        raise Forbidden("not a participant of this session")
    return session


def point_view(point: Any) -> dict[str, Any]:
    codes = services.enabled_matters(point)
    names = services.matter_names(codes)
    return {
        "code": point.code,
        "name": point.name,
        "hall": point.hall.code,
        "matters": [{"code": c, "name": names.get(c, c)} for c in codes],
        "targets": [
            {
                "code": h.code,
                "name": h.name,
                "level": h.level,
                "zones": [{"code": z.code, "name": z.name} for z in h.zones.all()],
            }
            for h in services.target_halls(point)
        ],
    }


@router.get("/points/{point}", response={200: PointOut, 403: Detail, 404: Detail})
def get_point(request: HttpRequest, point: str) -> dict[str, Any]:
    found = services.point_of(point)
    if not services.may_assist(request.user, found):
        raise Forbidden(f"only staff of {found.hall.name} may assist at {found.name}")
    return point_view(found)


@router.put("/points/{point}/matters", response={200: PointOut, 403: Detail, 404: Detail, 422: Detail})
def put_matters(request: HttpRequest, point: str, body: MatterListIn) -> dict[str, Any]:
    """Set the matters enabled for remote handling at the point (a manager of its hall)."""
    found = services.point_of(point)
    if not can_act(request.user, found.hall, "manager"):
        raise Forbidden(f"only managers of {found.hall.name} may change this")
    services.set_matters(found, sorted(set(body.matters)))
    return point_view(found)


@router.post(
    "/points/{point}/sessions",
    response={200: SessionOut, 201: SessionOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
)
def take(request: HttpRequest, point: str, body: TakeIn) -> Status[dict[str, Any]]:
    """Take a remote ticket for the citizen at the point (`Idempotency-Key` honoured)."""
    found = services.point_of(point)
    session, created = services.take_ticket(
        found,
        body.matter,
        body.hall,
        request.user,
        zone_code=body.zone or None,
        idempotency_key=request.headers.get("Idempotency-Key") or None,
    )
    return Status(201 if created else 200, queries.session_view(session))


@router.get("/sessions/{session}", response={200: SessionOut, 403: Detail, 404: Detail})
def get_session(request: HttpRequest, session: str) -> dict[str, Any]:
    return queries.session_view(_viewable(request, session))


@router.post("/sessions/{session}/accept", response={200: SessionOut, 403: Detail, 404: Detail, 409: Detail})
def accept(request: HttpRequest, session: str, body: AcceptIn) -> dict[str, Any]:
    found = services.session_of(session)
    window = Window.objects.filter(hall=found.hall, code=body.window).select_related("hall").first()
    if window is None:
        raise NotFound(f"hall {found.hall.code} has no window {body.window!r}")
    return queries.session_view(services.accept(found, window, request.user))


@router.post(
    "/sessions/{session}/materials",
    response={201: MaterialOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
)
def upload(request: HttpRequest, session: str, file: UploadedFile = File(...)) -> Status[dict[str, Any]]:  # noqa: B008
    """Upload a photo (JPEG, PNG) or scan (PDF) of a material, at most 5 MB."""
    found = _viewable(request, session)
    data = file.read(services.MAX_MATERIAL_BYTES + 1)
    material = services.add_material(found, request.user, file.name or "", data)
    return Status(
        201,
        {
            "id": material.pk,
            "name": material.name,
            "content_type": material.content_type,
            "size": material.size,
            "uploaded_at": queries.clock.iso(material.uploaded_at),
            "url": queries.material_url(found, material.pk),
        },
    )


@router.post(
    "/sessions/{session}/chat", response={201: EventOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail}
)
def chat(request: HttpRequest, session: str, body: ChatIn) -> Status[dict[str, Any]]:
    """Chat without the socket (the page falls back to this when the WebSocket is down)."""
    found = services.session_of(session)
    return Status(201, queries.event_view(services.chat(found, request.user, body.text)))


@router.post(
    "/sessions/{session}/finish",
    response={200: SessionOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
)
def finish(request: HttpRequest, session: str, body: FinishIn) -> dict[str, Any]:
    found = services.session_of(session)
    return queries.session_view(services.finish(found, request.user, body.outcome, body.note))


@router.post("/sessions/{session}/cancel", response={200: SessionOut, 403: Detail, 404: Detail, 409: Detail})
def cancel(request: HttpRequest, session: str) -> dict[str, Any]:
    found = services.session_of(session)
    return queries.session_view(services.cancel(found, request.user))


@router.get(
    "/halls/{hall}/windows/{window}/sessions", response={200: list[SessionOut], 403: Detail, 404: Detail}
)
def window_sessions(request: HttpRequest, hall: str, window: str) -> list[dict[str, Any]]:
    found = Window.objects.select_related("hall").filter(hall__code=hall, code=window).first()
    if found is None:
        raise NotFound(f"no window {hall}/{window}")
    if not can_act(request.user, found.hall, "staff"):
        raise Forbidden(f"no staff rights in hall {hall}")
    return [queries.session_view(s, with_history=False) for s in services.sessions_for_window(found)]


@router.get("/counts", response={200: CountsOut, 403: Detail})
def counts(request: HttpRequest, months: int = 6) -> dict[str, Any]:
    """Sessions per point and month, for the halls the caller manages."""
    from govhall.accounts.services import role_of

    role, hall_id = role_of(request.user)
    if role not in ("manager", "admin"):
        raise Forbidden("managers only")
    halls = Hall.objects.all() if hall_id is None else Hall.objects.filter(pk=hall_id)
    labels, rows = queries.monthly_counts(queries.with_children(halls), max(1, min(months, 24)))
    return {"months": labels, "points": rows}
