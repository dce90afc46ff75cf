"""Reads of alerts for the API and the manage pages: filters, hall scope, one view of an alert."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from govhall import clock
from govhall.monitor.live import describe
from govhall.monitor.models import Alert, Kind
from govhall.queueing.errors import Unprocessable

STATES = ("open", "unacknowledged", "acknowledged", "resolved", "all")
MAX_LIMIT = 500


@dataclass(frozen=True)
class AlertFilter:
    hall: str | None = None
    zone: str | None = None
    kind: str | None = None
    state: str = "open"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100


def parse_filter(params: dict[str, Any]) -> AlertFilter:
    """Filters from query parameters; a bad one is a 422 that names it."""

    def text(name: str) -> str | None:
        value = params.get(name)
        return str(value).strip() or None if value is not None else None

    kind = text("kind")
    if kind and kind not in Kind.values:
        raise Unprocessable(f"kind: one of {', '.join(Kind.values)}")
    state = text("state") or "open"
    if state not in STATES:
        raise Unprocessable(f"state: one of {', '.join(STATES)}")
    moments: dict[str, dt.datetime | None] = {}
    for name in ("since", "until"):
        raw = text(name)
        if raw is None:
            moments[name] = None
            continue
        try:
            moments[name] = clock.parse_iso(raw if "T" in raw else f"{raw}T00:00:00+08:00")
        except ValueError:
            raise Unprocessable(f"{name}: a date (YYYY-MM-DD) or ISO 8601 time with offset, got {raw!r}")
    raw_limit = text("limit") or "100"
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise Unprocessable(f"limit: a whole number from 1 to {MAX_LIMIT}")
    return AlertFilter(
        text("hall"), text("zone"), kind, state, moments["since"], moments["until"], int(raw_limit)
    )


def alerts(found: AlertFilter, hall_id: int | None) -> QuerySet[Alert]:
    """Alerts matching the filter, newest first, within the caller's hall (None: every hall)."""
    rows = Alert.objects.select_related("hall", "zone", "acknowledged_by", "resolved_by")
    if hall_id is not None:
        rows = rows.filter(hall_id=hall_id)
    if found.hall:
        rows = rows.filter(hall__code=found.hall)
    if found.zone:
        rows = rows.filter(zone__code=found.zone)
    if found.kind:
        rows = rows.filter(kind=found.kind)
    rows = {
        "open": rows.filter(resolved_at__isnull=True),
        "unacknowledged": rows.filter(acknowledged_at__isnull=True, resolved_at__isnull=True),
        "acknowledged": rows.filter(Q(acknowledged_at__isnull=False), resolved_at__isnull=True),
        "resolved": rows.filter(resolved_at__isnull=False),
        "all": rows,
    }[found.state]
    if found.since:
        rows = rows.filter(at__gte=found.since)
    if found.until:
        rows = rows.filter(at__lt=found.until)
    return rows.order_by("-at", "-id")


def alert_view(alert: Alert, *, with_actions: bool = False) -> dict[str, Any]:
    data = describe(alert)
    data["kind_label"] = alert.get_kind_display()
    data["hall_name"] = alert.hall.name
    data["acknowledged_by"] = alert.acknowledged_by.get_username() if alert.acknowledged_by else None
    data["resolved_by"] = alert.resolved_by.get_username() if alert.resolved_by else None
    data["note"] = alert.note
    data["escalation_level"] = alert.escalation_level
    if with_actions:
        from govhall.monitor.actions import actions_of

        data["actions"] = actions_of(alert)
    return data
