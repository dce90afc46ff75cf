"""HTTP API of monitor (mounted under /api/v1/monitor): alerts, acknowledge / resolve, actions.

Bearer token (or the staff session). Staff of a hall read its alerts; managers act on them; city
administrators see every hall. Errors are `{"detail": …}`: 401 without a token, 403 outside the
caller's hall or role, 404 unknown alert, 409 done already, 422 bad input.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from govhall.accounts.auth import staff_auth
from govhall.accounts.models import Role
from govhall.accounts.services import can_act, role_of
from govhall.apischema import ERRORS
from govhall.monitor import actions, queries, services
from govhall.monitor.models import Alert
from govhall.queueing.errors import Forbidden, NotFound

router = Router(tags=["monitor"])
KindName = Literal["overtime", "yellow", "red", "flow", "wait"]


class ActionOut(Schema):
    id: int
    kind: Literal["tidal_open", "tidal_close", "dispatch"]
    label: str
    at: str
    actor: str
    window: str | None
    zone: str | None
    from_zone: str | None
    people: list[str]
    predicted_wait_seconds: int | None
    note: str


class AlertOut(Schema):
    id: int
    kind: KindName
    kind_label: str
    hall: str
    hall_name: str
    zone: str
    zone_name: str
    ticket_id: str | None
    at: str
    raised_at: str
    waiting: int | None
    threshold: int | None
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None
    resolved_by: str | None
    note: str
    escalation_level: int
    actions: list[ActionOut] = []


class AlertList(Schema):
    alerts: list[AlertOut]


class AlertFilters(Schema):
    hall: str | None = None
    zone: str | None = None
    kind: KindName | None = None
    state: Literal["open", "unacknowledged", "acknowledged", "resolved", "all"] = "open"
    since: str | None = None
    until: str | None = None
    limit: int = 100


class NoteIn(Schema):
    note: str = ""


class TidalIn(Schema):
    window: str
    action: Literal["open", "close"] = "open"
    note: str = ""


class DispatchIn(Schema):
    people: list[str] = []
    contacts: list[int] = []
    from_zone: str | None = None
    note: str = ""


class WindowChoice(Schema):
    code: str
    name: str
    tidal: bool
    state: str
    predicted_wait_seconds: int


class QuietZone(Schema):
    code: str
    name: str
    waiting: int
    open_windows: int
    waiting_per_window: float


class OpenTidal(Schema):
    code: str
    name: str


class Recommendation(Schema):
    zone: str
    waiting: int
    estimated_wait_seconds: int
    open_windows: int
    windows_to_open: list[WindowChoice]
    tidal_open: list[OpenTidal]
    quiet_zones: list[QuietZone]


def _scoped(request: HttpRequest, alert_id: int, needed: str) -> Alert:
    alert = Alert.objects.select_related("hall", "zone").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    if not can_act(request.user, alert.hall, needed):
        raise Forbidden(f"no {needed} rights in hall {alert.hall.code}")
    return alert


def _view(alert_id: int) -> dict[str, Any]:
    alert = Alert.objects.select_related("hall", "zone", "acknowledged_by", "resolved_by").get(pk=alert_id)
    return queries.alert_view(alert, with_actions=True)


@router.get("/alerts", response={200: AlertList, **ERRORS}, auth=staff_auth, summary="List alerts")
def list_alerts(request: HttpRequest, filters: Query[AlertFilters]) -> Any:
    """Newest first; `state=open` (default) lists unresolved alerts. Staff see their hall only."""
    role, hall_id = role_of(request.user)
    if role is None:
        raise Forbidden("this account has no role in any hall")
    if role == Role.ADMIN:
        hall_id = None
    found = queries.parse_filter(filters.dict())
    if found.hall and hall_id is not None and not can_act(request.user, _hall_or_404(found.hall), Role.STAFF):
        raise Forbidden(f"no rights in hall {found.hall}")
    rows = queries.alerts(found, hall_id)[: found.limit]
    return {"alerts": [queries.alert_view(a) for a in rows]}


def _hall_or_404(code: str) -> Any:
    from govhall.halls.models import Hall

    hall = Hall.objects.filter(code=code).first()
    if hall is None:
        raise NotFound(f"no hall {code!r}")
    return hall


@router.get("/alerts/{alert_id}", response={200: AlertOut, **ERRORS}, auth=staff_auth, summary="One alert")
def get_alert(request: HttpRequest, alert_id: int) -> Any:
    _scoped(request, alert_id, Role.STAFF)
    return _view(alert_id)


@router.get(
    "/alerts/{alert_id}/recommendation",
    response={200: Recommendation, **ERRORS},
    auth=staff_auth,
    summary="What to do about an alert",
)
def recommendation(request: HttpRequest, alert_id: int) -> Any:
    """Closed windows that can serve the zone (tidal first) with the predicted wait once opened,
    and the quieter zones to take staff from."""
    return actions.recommend(_scoped(request, alert_id, Role.STAFF))


@router.post(
    "/alerts/{alert_id}/ack", response={200: AlertOut, **ERRORS}, auth=staff_auth, summary="Acknowledge"
)
def acknowledge(request: HttpRequest, alert_id: int, body: NoteIn) -> Any:
    """Record who saw the alert and when; it stops escalating. 409 when acknowledged already."""
    _scoped(request, alert_id, Role.MANAGER)
    services.acknowledge(alert_id, request.user, body.note)
    return _view(alert_id)


@router.post(
    "/alerts/{alert_id}/resolve", response={200: AlertOut, **ERRORS}, auth=staff_auth, summary="Resolve"
)
def resolve(request: HttpRequest, alert_id: int, body: NoteIn) -> Any:
    """Record who dealt with it and when (acknowledges it too). 409 when resolved already."""
    _scoped(request, alert_id, Role.MANAGER)
    services.resolve(alert_id, request.user, body.note)
    return _view(alert_id)


@router.post(
    "/alerts/{alert_id}/tidal",
    response={200: AlertOut, **ERRORS},
    auth=staff_auth,
    summary="Open a tidal window",
)
def tidal(request: HttpRequest, alert_id: int, body: TidalIn) -> Any:
    """Open (or close) a window that serves the alert's zone; the queue uses it at once."""
    _scoped(request, alert_id, Role.MANAGER)
    act = actions.open_tidal if body.action == "open" else actions.close_tidal
    act(alert_id, body.window, request.user, body.note)
    return _view(alert_id)


@router.post(
    "/alerts/{alert_id}/dispatch",
    response={200: AlertOut, **ERRORS},
    auth=staff_auth,
    summary="Dispatch staff",
)
def dispatch(request: HttpRequest, alert_id: int, body: DispatchIn) -> Any:
    """Send people to the alert's zone; `contacts` (recipient ids of the hall) are notified."""
    _scoped(request, alert_id, Role.MANAGER)
    actions.dispatch(alert_id, body.people, body.contacts, body.from_zone, request.user, body.note)
    return _view(alert_id)
