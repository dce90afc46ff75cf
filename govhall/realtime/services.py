"""Recording hall events inside the change's transaction, and waking listeners after commit."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from govhall import clock
from govhall.halls.models import Hall
from govhall.realtime.models import HallEvent

log = logging.getLogger(__name__)
KEEP_EVENTS = 5000


def group_name(hall_code: str) -> str:
    return f"hall.{hall_code.encode().hex()}"


def record(hall: Hall, type_: str, payload: dict[str, Any]) -> HallEvent:
    """Store an event with the next id of the hall; the hall row stays locked until commit,
    so ids are committed in order and a client resuming with `since` misses nothing."""
    now = clock.now()
    if connection.vendor == "postgresql":
        # bump the hall's sequence and store the event in one round trip (every change does this)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH s AS (UPDATE {Hall._meta.db_table} SET event_seq = event_seq + 1 WHERE id = %s "
                f"RETURNING event_seq) INSERT INTO {HallEvent._meta.db_table} "
                "(hall_id, seq, type, payload, created_at) SELECT %s, s.event_seq, %s, %s::jsonb, %s FROM s "
                "RETURNING id, seq",
                [hall.pk, hall.pk, type_, json.dumps(payload, cls=DjangoJSONEncoder), now],
            )
            pk, seq = cursor.fetchone()
        event = HallEvent(pk=pk, hall=hall, seq=seq, type=type_, payload=payload, created_at=now)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Hall._meta.db_table} SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq",
                [hall.pk],
            )
            seq = int(cursor.fetchone()[0])
        event = HallEvent.objects.create(hall=hall, seq=seq, type=type_, payload=payload, created_at=now)
    code = hall.code
    message = event.as_message()
    transaction.on_commit(lambda: wake(code, message))
    return event


def wake(hall_code: str, event: dict[str, Any] | None = None) -> None:
    """Tell this process's (or, with Redis, every process's) sockets that events were committed.
    The committed event rides along, so a feed that is up to date sends it without reading the
    table; any other feed reads the table.

    From a request's thread the message is handed to the server's event loop without waiting
    for it (a socket that gets wake-ups out of order reads the table); elsewhere (the worker, a
    command) it is sent before returning."""
    try:
        from channels.layers import InMemoryChannelLayer, get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            return
        group = group_name(hall_code)
        if isinstance(layer, InMemoryChannelLayer) and not layer.groups.get(group):
            return  # the in-memory layer reaches this process only, and no socket here listens
        message: dict[str, Any] = {"type": "hall.wake"}
        if event is not None:
            message["event"] = event
        loop = _serving_loop()
        if loop is None:
            from asgiref.sync import async_to_sync

            async_to_sync(layer.group_send)(group, message)
        else:
            loop.call_soon_threadsafe(_send_soon, layer, group, message)
    except Exception:  # a lost wake-up only delays delivery to the next poll
        log.warning("realtime wake-up for %s failed", hall_code, exc_info=True)


_sending: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to its tasks


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop that handed this thread its work (asgiref's sync_to_async: a
    request, a socket's database call), if any."""
    from asgiref.sync import SyncToAsync

    loop: asyncio.AbstractEventLoop | None = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    return loop if loop.is_running() and not loop.is_closed() else None


def _send_soon(layer: Any, group: str, message: dict[str, Any]) -> None:
    task = asyncio.get_running_loop().create_task(layer.group_send(group, message))
    _sending.add(task)
    task.add_done_callback(_sent)


def _sent(task: asyncio.Task[None]) -> None:
    _sending.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("realtime wake-up failed", exc_info=task.exception())


def events_since(hall: Hall, since: int, limit: int = 1000) -> list[HallEvent]:
    return list(HallEvent.objects.filter(hall=hall, seq__gt=since).order_by("seq")[:limit])


def last_seq(hall: Hall) -> int:
    return Hall.objects.values_list("event_seq", flat=True).get(pk=hall.pk)


def last_seqs(hall_ids: list[int]) -> dict[int, int]:
    """The last event id of each of these halls, in one query (the cross-process poll)."""
    return dict(Hall.objects.filter(pk__in=hall_ids).values_list("pk", "event_seq"))


def prune(keep: int = KEEP_EVENTS) -> int:
    """Drop all but the last `keep` events of each hall."""
    removed = 0
    for hall_id, seq in Hall.objects.values_list("pk", "event_seq"):
        removed += HallEvent.objects.filter(hall_id=hall_id, seq__lte=seq - keep).delete()[0]
    return removed
