"""Verbs on alerts: announce (realtime + outbox), acknowledge, resolve, escalate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from govhall import clock
from govhall.monitor.models import Alert, Outbox, Recipient
from govhall.queueing.errors import Conflict, NotFound
from govhall.realtime import services as realtime

ESCALATION_HORIZON = dt.timedelta(days=1)  # older unacknowledged alerts are not escalated any more


def recipients_for(alert: Alert, level: int = 0) -> list[Recipient]:
    candidates = Recipient.objects.filter(hall_id=alert.hall_id, level=level, active=True).filter(
        Q(zone__isnull=True) | Q(zone_id=alert.zone_id)
    )
    return [r for r in candidates if r.wants(alert.kind)]


class RecipientCache:
    """First-level recipients, read once per cycle and matched in memory."""

    def __init__(self) -> None:
        self.by_hall: dict[int, list[Recipient]] | None = None

    def __call__(self, alert: Alert) -> list[Recipient]:
        if self.by_hall is None:
            self.by_hall = {}
            for recipient in Recipient.objects.filter(active=True, level=0):
                self.by_hall.setdefault(recipient.hall_id, []).append(recipient)
        return [
            r
            for r in self.by_hall.get(alert.hall_id, [])
            if r.zone_id in (None, alert.zone_id) and r.wants(alert.kind)
        ]


def enqueue(alert: Alert, recipients: list[Recipient], now: dt.datetime, level: int = 0) -> int:
    """Outbox rows for the recipients, inside the caller's transaction (never one without the other)."""
    from govhall.monitor.live import describe

    if not recipients:
        return 0
    payload = {"event": "zone.alert", "level": level, "alert": describe(alert)}
    rows = [
        Outbox(
            key=f"govhall-alert-{alert.pk}-r{r.pk}",
            alert=alert,
            recipient=r,
            level=level,
            payload=payload,
            next_attempt_at=now,
            created_at=now,
        )
        for r in recipients
    ]
    return len(Outbox.objects.bulk_create(rows, ignore_conflicts=True))


def announce(alert: Alert, recipients: Callable[[Alert], list[Recipient]] = recipients_for) -> None:
    """A new alert's realtime event and first notifications, in the alert's transaction."""
    from govhall.monitor.live import describe

    realtime.record(alert.hall, "zone.alert", {"alert": describe(alert)})
    enqueue(alert, recipients(alert), alert.raised_at)


def escalate(now: dt.datetime) -> int:
    """Tell the next level about alerts still unacknowledged after the level's delay."""
    queued = 0
    for recipient in Recipient.objects.filter(active=True, level__gte=1).select_related("hall"):
        due = Alert.objects.filter(
            hall_id=recipient.hall_id,
            acknowledged_at__isnull=True,
            resolved_at__isnull=True,
            raised_at__lte=now - dt.timedelta(minutes=recipient.delay_minutes),
            raised_at__gte=now - dt.timedelta(minutes=recipient.delay_minutes) - ESCALATION_HORIZON,
        ).exclude(
            Exists(Outbox.objects.filter(alert=OuterRef("pk"), recipient=recipient, action__isnull=True))
        )
        if recipient.zone_id:
            due = due.filter(zone_id=recipient.zone_id)
        if recipient.kinds:
            due = due.filter(kind__in=recipient.kinds)
        for alert in due.select_related("hall", "zone"):
            queued += enqueue(alert, [recipient], now, recipient.level)
            Alert.objects.filter(pk=alert.pk, escalation_level__lt=recipient.level).update(
                escalation_level=recipient.level
            )
    return queued


def _change(alert_id: int, field: str, user: Any, note: str) -> Alert:
    from govhall.monitor.live import describe

    now = clock.now()
    actor = user if getattr(user, "pk", None) else None
    with transaction.atomic(durable=True):
        done = Alert.objects.filter(pk=alert_id, **{f"{field}_at__isnull": True}).update(
            **{f"{field}_at": now, f"{field}_by": actor}
        )
        if not done:
            if not Alert.objects.filter(pk=alert_id).exists():
                raise NotFound(f"no alert {alert_id}")
            raise Conflict(f"alert {alert_id} was {field} already")
        if field == "resolved":
            # resolving implies having seen it: it stops escalating too
            Alert.objects.filter(pk=alert_id, acknowledged_at__isnull=True).update(
                acknowledged_at=now, acknowledged_by=actor
            )
        if note:
            Alert.objects.filter(pk=alert_id).update(note=note[:500])
        alert = Alert.objects.select_related("hall", "zone").get(pk=alert_id)
        realtime.record(alert.hall, f"alert.{field}", {"alert": describe(alert)})
    return alert


def acknowledge(alert_id: int, user: Any = None, note: str = "") -> Alert:
    """Someone has seen the alert: it stops escalating. Conflict (409) when acknowledged already."""
    return _change(alert_id, "acknowledged", user, note)


def resolve(alert_id: int, user: Any = None, note: str = "") -> Alert:
    """The cause is dealt with (a tidal window opened, the ticket called); acknowledges it as well."""
    return _change(alert_id, "resolved", user, note)


def open_alerts(hall_code: str | None = None) -> list[Alert]:
    alerts = Alert.objects.filter(resolved_at__isnull=True).select_related("hall", "zone")
    if hall_code:
        alerts = alerts.filter(hall__code=hall_code)
    return list(alerts[:500])
