"""Acting on an alert: recommend, open or close a tidal window, dispatch staff; every action recorded.

The window change itself is the queueing service `set_window_state` (its own transaction, its
`window.changed` event reaches the screens and the next call-next at once); the action row and its
`alert.action` event are stored right after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from govhall import clock
from govhall.halls.models import Window, Zone
from govhall.monitor.models import Action, Alert, Outbox, Recipient
from govhall.queueing import queries
from govhall.queueing.errors import Conflict, NotFound, Unprocessable
from govhall.realtime import services as realtime


def _alert(alert_id: int) -> Alert:
    alert = Alert.objects.select_related("hall", "zone").filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def predicted_wait(waiting: int, zone_id: int, extra_windows: int = 0) -> int:
    """Seconds a newcomer would wait with `extra_windows` more windows open (the queue's yardstick)."""
    servers = max(1, queries.open_windows(zone_id) + extra_windows)
    return round(waiting / servers * queries.mean_service_seconds(zone_id))


def recommend(alert: Alert) -> dict[str, Any]:
    """What to do: the closed windows that can serve the zone (tidal first) with the predicted wait
    once one is open, and the hall's quieter zones to take staff from (fewest waiting per window)."""
    zone = alert.zone
    now_wait = queries.zone_wait(alert.hall, zone)
    waiting = int(now_wait["waiting"])
    windows = []
    for window in Window.objects.filter(hall=alert.hall, zones=zone).exclude(state=Window.State.OPEN):
        windows.append(
            {
                "code": window.code,
                "name": window.name,
                "tidal": window.tidal,
                "state": window.state,
                "predicted_wait_seconds": predicted_wait(waiting, zone.pk, 1),
            }
        )
    windows.sort(key=lambda w: (not w["tidal"], w["code"]))
    open_tidal = [
        {"code": w.code, "name": w.name}
        for w in Window.objects.filter(hall=alert.hall, zones=zone, tidal=True, state=Window.State.OPEN)
    ]
    quiet = []
    for other in Zone.objects.filter(hall=alert.hall).exclude(pk=zone.pk):
        load = queries.zone_wait(alert.hall, other)
        servers = queries.open_windows(other.pk)
        if servers >= 1:
            quiet.append(
                {
                    "code": other.code,
                    "name": other.name,
                    "waiting": load["waiting"],
                    "open_windows": servers,
                    "waiting_per_window": round(load["waiting"] / servers, 1),
                }
            )
    quiet.sort(key=lambda z: (z["waiting_per_window"], z["code"]))
    return {
        "zone": zone.code,
        "waiting": waiting,
        "estimated_wait_seconds": now_wait["estimated_wait_seconds"],
        "open_windows": queries.open_windows(zone.pk),
        "windows_to_open": windows,
        "tidal_open": open_tidal,
        "quiet_zones": quiet[:3],
    }


def describe_action(action: Action) -> dict[str, Any]:
    tz = action.alert.hall.timezone
    return {
        "id": action.pk,
        "kind": action.kind,
        "label": action.get_kind_display(),
        "at": clock.iso(action.at, tz),
        "actor": action.actor_name,
        "window": action.window_name or None,
        "zone": action.zone.code if action.zone else None,
        "from_zone": action.from_zone.code if action.from_zone else None,
        "people": list(action.people),
        "predicted_wait_seconds": action.predicted_wait_seconds,
        "note": action.note,
    }


def _record(alert: Alert, user: Any, **fields: Any) -> Action:
    """The action row and its realtime event, in the caller's transaction."""
    actor = user if getattr(user, "pk", None) else None
    action = Action.objects.create(
        alert=alert,
        at=clock.now(),
        actor=actor,
        actor_name=getattr(actor, "username", "") or "系统",
        **fields,
    )
    realtime.record(alert.hall, "alert.action", {"alert_id": alert.pk, "action": describe_action(action)})
    return action


def _window_for(alert: Alert, code: str) -> Window:
    window = Window.objects.filter(hall=alert.hall, code=code).first()
    if window is None:
        raise NotFound(f"hall {alert.hall.code} has no window {code!r}")
    if not window.zones.filter(pk=alert.zone_id).exists():
        raise Unprocessable(f"{window.name} does not serve zone {alert.zone.code}: pick a window that does")
    return window


def open_tidal(alert_id: int, window_code: str, user: Any = None, note: str = "") -> Action:
    """Open a closed (or paused) window that serves the alert's zone, in one click."""
    from govhall.queueing.services import set_window_state

    alert = _alert(alert_id)
    window = _window_for(alert, window_code)
    if window.state == Window.State.OPEN:
        raise Conflict(f"{window.name} is open already")
    waiting = int(queries.zone_wait(alert.hall, alert.zone)["waiting"])
    predicted = predicted_wait(waiting, alert.zone_id, 1)
    set_window_state(window, Window.State.OPEN, user)
    with transaction.atomic(durable=True):
        return _record(
            alert,
            user,
            kind=Action.Kind.TIDAL_OPEN,
            window=window,
            window_name=window.name,
            zone=alert.zone,
            predicted_wait_seconds=predicted,
            note=note[:500],
        )


def close_tidal(alert_id: int, window_code: str, user: Any = None, note: str = "") -> Action:
    """Close the window again once the line is short (refused while a ticket is at its counter)."""
    from govhall.queueing.services import set_window_state

    alert = _alert(alert_id)
    window = _window_for(alert, window_code)
    if window.state == Window.State.CLOSED:
        raise Conflict(f"{window.name} is closed already")
    set_window_state(window, Window.State.CLOSED, user)
    with transaction.atomic(durable=True):
        return _record(
            alert,
            user,
            kind=Action.Kind.TIDAL_CLOSE,
            window=window,
            window_name=window.name,
            zone=alert.zone,
            note=note[:500],
        )


def dispatch(
    alert_id: int,
    people: list[str],
    contacts: list[int] | None = None,
    from_zone: str | None = None,
    user: Any = None,
    note: str = "",
) -> Action:
    """Send staff or volunteers to the alert's zone: record who went where, and tell the contacts
    among them through their notifier (outbox rows in the same transaction as the record)."""
    alert = _alert(alert_id)
    chosen = list(Recipient.objects.filter(hall=alert.hall, pk__in=contacts or [], active=True))
    if len(chosen) != len(set(contacts or [])):
        raise Unprocessable("unknown contact: pick people of this hall")
    names = [p.strip()[:100] for p in people if p.strip()]
    names += [r.name for r in chosen if r.name not in names]
    if not names:
        raise Unprocessable("name at least one person to dispatch")
    source = None
    if from_zone:
        source = Zone.objects.filter(hall=alert.hall, code=from_zone).first()
        if source is None:
            raise Unprocessable(f"hall {alert.hall.code} has no zone {from_zone!r}")
        if source.pk == alert.zone_id:
            raise Unprocessable("staff come from another zone than the alert's")
    now = clock.now()
    with transaction.atomic(durable=True):
        action = _record(
            alert,
            user,
            kind=Action.Kind.DISPATCH,
            zone=alert.zone,
            from_zone=source,
            people=names,
            note=note[:500],
        )
        enqueue_dispatch(action, chosen, now)
    return action


def enqueue_dispatch(action: Action, recipients: list[Recipient], now: dt.datetime) -> int:
    from govhall.monitor.live import describe

    payload = {
        "event": "alert.dispatch",
        "level": 0,
        "alert": describe(action.alert),
        "action": describe_action(action),
    }
    rows = [
        Outbox(
            key=f"govhall-action-{action.pk}-r{r.pk}",
            alert=action.alert,
            recipient=r,
            action=action,
            level=0,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for r in recipients
    ]
    return len(Outbox.objects.bulk_create(rows))


def actions_of(alert: Alert) -> list[dict[str, Any]]:
    return [describe_action(a) for a in alert.actions.select_related("alert__hall", "zone", "from_zone")]
