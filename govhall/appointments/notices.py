"""Notices to citizens' phones: queued in the change's transaction, delivered by the worker through
the SMS notifier of govhall.monitor (same claim-send-mark discipline and backoff as its outbox)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction

from govhall import clock
from govhall.appointments.models import Booking, Notice
from govhall.halls.models import Hall
from govhall.monitor.models import Recipient
from govhall.monitor.notifiers import DeliveryError
from govhall.monitor.outbox import LEASE, deliver_rows
from govhall.queueing.models import Ticket

log = logging.getLogger(__name__)


def queue(
    kind: str,
    hall: Hall,
    phone: str,
    text: str,
    key: str,
    *,
    ticket: Ticket | None = None,
    booking: Booking | None = None,
) -> Notice | None:
    """Queue one notice (once per key); None when there is no phone to tell."""
    if not phone:
        return None
    now = clock.now()
    existing = Notice.objects.filter(key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return Notice.objects.create(
                key=key,
                kind=kind,
                hall=hall,
                phone=phone,
                text=text[:300],
                ticket=ticket,
                booking=booking,
                next_attempt_at=now,
                created_at=now,
            )
    except IntegrityError:
        return Notice.objects.filter(key=key).first()


def _target(row: Notice) -> tuple[Recipient, dict[str, Any]]:
    recipient = Recipient(hall=row.hall, name="群众", channel=Recipient.Channel.SMS, address=row.phone)
    return recipient, {"text": row.text, "kind": row.kind, "hall": row.hall.code}


def deliver_due(now: dt.datetime, *, limit: int = 50) -> int:
    """Send due notices with the monitor's leased outbox; a notifier that cannot render free
    text (KeyError) counts as a failed attempt."""
    return deliver_rows(
        Notice,
        now,
        target=_target,
        retry_on=(DeliveryError, KeyError),
        hold=LEASE,
        related=("hall",),
        limit=limit,
        budget_seconds=float("inf"),
    )
