"""Delivering the outbox: claim with compare-and-swap, send, mark; retry with exponential backoff.

A row is sent at least once (it was committed with its alert) and, thanks to its idempotency key,
taken at most once by a receiver that dedupes: a worker killed between sending and marking
leaves a claim that expires after LEASE, and the next worker sends the same key again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import F, Q

from govhall import clock
from govhall.monitor.models import Outbox, Recipient
from govhall.monitor.notifiers import DeliveryError, notifier_for

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)  # longer than one send with its timeout (notifiers.TIMEOUT_SECONDS)
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 15
MAX_RETRY_SECONDS = 3600
PENDING, SENT, FAILED = Outbox.State.PENDING, Outbox.State.SENT, Outbox.State.FAILED  # every outbox's states


def backoff(attempts: int) -> dt.timedelta:
    """15 s, 30 s, 1 min, 2 min, … capped at an hour."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


def _free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def lease() -> dt.timedelta:
    """How long a claim holds; GOVHALL["OUTBOX_LEASE_SECONDS"] or `monitor work --lease` override."""
    seconds = getattr(settings, "GOVHALL", {}).get("OUTBOX_LEASE_SECONDS")
    return dt.timedelta(seconds=float(seconds)) if seconds else LEASE


def claim(
    row_id: int, attempts: int, now: dt.datetime, hold: dt.timedelta | None = None, *, model: Any = Outbox
) -> bool:
    """Take a row for one attempt: succeeds for exactly one worker (the attempts counter is the CAS).

    The claim commits on its own (autocommit) before anything is sent, so a worker killed
    mid-send leaves a row that is pending, claimed until the lease ends, and retried after it."""
    return (
        model.objects.filter(_free(now), pk=row_id, state=PENDING, attempts=attempts).update(
            attempts=F("attempts") + 1, claimed_until=now + (hold or lease())
        )
        == 1
    )


def _alert_target(row: Any) -> tuple[Recipient, dict[str, Any]]:
    return row.recipient, row.payload


def send_row(
    model: Any,
    row_id: int,
    attempts: int,
    now: dt.datetime,
    *,
    target: Callable[[Any], tuple[Recipient, dict[str, Any]]],
    retry_on: tuple[type[BaseException], ...] = (DeliveryError,),
    hold: dt.timedelta | None = None,
    related: tuple[str, ...] = (),
) -> bool | None:
    """Claim, send and mark one row of `model`; None when another worker has it, else whether
    it was sent. `target(row)` gives the recipient and payload; `retry_on` the failures that
    count as a failed attempt (retried with backoff until MAX_ATTEMPTS)."""
    if not claim(row_id, attempts, now, hold, model=model):
        return None
    row = model.objects.select_related(*related).get(pk=row_id)
    mine = model.objects.filter(pk=row_id, attempts=attempts + 1, state=PENDING)
    try:
        recipient, payload = target(row)
        notifier_for(recipient).send(recipient, payload, row.key)
    except retry_on as exc:
        if not isinstance(exc, DeliveryError):
            log.exception("notification %s: the notifier failed", row.key)
        mine.update(
            state=FAILED if attempts + 1 >= MAX_ATTEMPTS else PENDING,
            next_attempt_at=now + backoff(attempts + 1),
            claimed_until=None,
            last_error=str(exc)[:500],
        )
        log.warning("notification %s attempt %d failed: %s", row.key, attempts + 1, exc)
        return False
    mine.update(state=SENT, sent_at=now, claimed_until=None, last_error="")
    return True


def deliver_rows(
    model: Any,
    now: dt.datetime,
    *,
    target: Callable[[Any], tuple[Recipient, dict[str, Any]]],
    retry_on: tuple[type[BaseException], ...] = (DeliveryError,),
    hold: dt.timedelta | None = None,
    related: tuple[str, ...] = (),
    limit: int = 50,
    budget_seconds: float = 10.0,
) -> int:
    """Send what is due in `model` — Outbox, or another app's notice table with the same fields
    (`key`, `state` pending/sent/failed, `attempts`, `next_attempt_at`, `claimed_until`,
    `sent_at`, `last_error`) — oldest first, for at most `budget_seconds`; returns the number sent."""
    due = list(
        model.objects.filter(_free(now), state=PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("id", "attempts")[:limit]
    )
    started, sent = time.monotonic(), 0
    for row_id, attempts in due:
        if time.monotonic() - started > budget_seconds:
            break
        sent += bool(
            send_row(
                model, row_id, attempts, now, target=target, retry_on=retry_on, hold=hold, related=related
            )
        )
    return sent


def send_one(row_id: int, attempts: int, now: dt.datetime) -> bool | None:
    """Claim, send and mark one alert notification; None when another worker has it."""
    return send_row(Outbox, row_id, attempts, now, target=_alert_target, related=("recipient",))


def deliver_due(now: dt.datetime | None = None, *, limit: int = 50, budget_seconds: float = 10.0) -> int:
    """Send the alert notifications that are due (the worker's notify task)."""
    return deliver_rows(
        Outbox,
        now or clock.now(),
        target=_alert_target,
        related=("recipient",),
        limit=limit,
        budget_seconds=budget_seconds,
    )
