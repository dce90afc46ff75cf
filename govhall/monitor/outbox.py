"""Delivering the outbox: claim with compare-and-swap, send, mark; retry with exponential backoff.

A row is sent at least once (it was committed with its alert) and, thanks to its idempotency key,
taken at most once by a receiver that dedupes: a worker killed between sending and marking
leaves a claim that expires after LEASE, and the next worker sends the same key again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.db.models import F, Q

from govhall import clock
from govhall.monitor.models import Outbox
from govhall.monitor.notifiers import DeliveryError, notifier_for

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)  # longer than one send with its timeout
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 3600


def backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, 2 min, … capped at an hour."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def _free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def claim(row_id: int, attempts: int, now: dt.datetime) -> bool:
    """Take a row for one attempt: succeeds for exactly one worker (the attempts counter is the CAS)."""
    return (
        Outbox.objects.filter(_free(now), pk=row_id, state=Outbox.State.PENDING, attempts=attempts).update(
            attempts=F("attempts") + 1, claimed_until=now + LEASE
        )
        == 1
    )


def send_one(row_id: int, attempts: int, now: dt.datetime) -> bool | None:
    """Claim, send and mark one row; None when another worker has it, else whether it was sent."""
    if not claim(row_id, attempts, now):
        return None
    row = Outbox.objects.select_related("recipient").get(pk=row_id)
    mine = Outbox.objects.filter(pk=row_id, attempts=attempts + 1, state=Outbox.State.PENDING)
    try:
        notifier_for(row.recipient).send(row.recipient, row.payload, row.key)
    except DeliveryError as exc:
        failed = attempts + 1 >= MAX_ATTEMPTS
        mine.update(
            state=Outbox.State.FAILED if failed else Outbox.State.PENDING,
            next_attempt_at=now + backoff(attempts + 1),
            claimed_until=None,
            last_error=str(exc)[:500],
        )
        log.warning("notification %s attempt %d failed: %s", row.key, attempts + 1, exc)
        return False
    mine.update(state=Outbox.State.SENT, sent_at=now, claimed_until=None, last_error="")
    return True


def deliver_due(now: dt.datetime | None = None, *, limit: int = 50, budget_seconds: float = 10.0) -> int:
    """Send what is due, oldest first, for at most `budget_seconds`; returns the number sent."""
    now = now or clock.now()
    due = list(
        Outbox.objects.filter(_free(now), state=Outbox.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", "attempts")[:limit]
    )
    started, sent = time.monotonic(), 0
    for row_id, attempts in due:
        if time.monotonic() - started > budget_seconds:
            break
        sent += bool(send_one(row_id, attempts, now))
    return sent
