"""Reads for the manage pages and the API: every row here is already masked."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Q

from govhall import clock
from govhall.reminders import schedule, services
from govhall.reminders.crypto import mask_name
from govhall.reminders.models import CertificateRecord, Delivery, OptOut, Reminder

TZ = "Asia/Shanghai"


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%d %H:%M") if moment else ""


def reminder_row(row: Reminder, now: dt.datetime, opted: set[str] | None = None) -> dict[str, Any]:
    record = row.record
    ctype = record.type
    note = ""
    allowed = schedule.next_allowed(
        max(now, row.next_attempt_at), ctype.quiet_start, ctype.quiet_end, ctype.timezone
    )
    if opted is not None and record.phone_hash in opted:
        note = "已退订，将跳过"
    elif allowed > max(now, row.next_attempt_at):
        note = f"免打扰时段，{_when(allowed)} 后发送"
    return {
        "id": row.pk,
        "key": row.key,
        "holder": mask_name(record.holder_name),
        "type": ctype.name,
        "number": record.number_masked,
        "phone": record.phone_masked,
        "expires_on": record.expires_on.isoformat(),
        "step_days": row.step_days,
        "due_at": _when(row.next_attempt_at),
        "state": row.state,
        "state_label": Reminder.State(row.state).label,
        "attempts": row.attempts,
        "online": ctype.online,
        "note": note,
        "last_error": row.last_error,
        "text": services.render(record, for_display=True),
    }


def next_batch(now: dt.datetime | None = None, *, limit: int = 50) -> dict[str, Any]:
    """What `send now` (or the worker's next round) would take, and what comes after."""
    now = now or clock.now()
    due = list(services.due_queryset(now)[:limit])
    opted = set(
        OptOut.objects.filter(phone_hash__in={r.record.phone_hash for r in due}).values_list(
            "phone_hash", flat=True
        )
    )
    planned = Reminder.objects.filter(state=Reminder.State.PLANNED)
    return {
        "due": planned.filter(next_attempt_at__lte=now).count(),
        "next_7_days": planned.filter(
            next_attempt_at__gt=now, next_attempt_at__lte=now + dt.timedelta(days=7)
        ).count(),
        "planned": planned.count(),
        "rows": [reminder_row(r, now, opted) for r in due],
    }


def upcoming(now: dt.datetime | None = None, *, limit: int = 20) -> list[dict[str, Any]]:
    now = now or clock.now()
    rows = (
        Reminder.objects.filter(state=Reminder.State.PLANNED, next_attempt_at__gt=now)
        .select_related("record", "record__type")
        .order_by("next_attempt_at", "id")[:limit]
    )
    return [reminder_row(r, now) for r in rows]


def delivery_log(*, limit: int = 200, state: str = "") -> list[dict[str, Any]]:
    rows = Delivery.objects.select_related("reminder", "reminder__record", "reminder__record__type")
    if state:
        rows = rows.filter(outcome=state)
    out = []
    for entry in rows[:limit]:
        record = entry.reminder.record
        out.append(
            {
                "at": _when(entry.started_at),
                "finished_at": _when(entry.finished_at),
                "key": entry.reminder.key,
                "attempt": entry.attempt,
                "outcome": entry.outcome,
                "outcome_label": Delivery.Outcome(entry.outcome).label,
                "detail": entry.detail,
                "holder": mask_name(record.holder_name),
                "type": record.type.name,
                "number": record.number_masked,
                "phone": record.phone_masked,
                "step_days": entry.reminder.step_days,
                "reminder_state": Reminder.State(entry.reminder.state).label,
            }
        )
    return out


def opt_outs(*, limit: int = 500) -> list[dict[str, Any]]:
    return [
        {
            "id": o.pk,
            "phone": o.phone_masked,
            "source": OptOut.Source(o.source).label,
            "at": _when(o.at),
            "type": o.record.type.name if o.record else "",
        }
        for o in OptOut.objects.select_related("record", "record__type")[:limit]
    ]


def records(*, query: str = "", limit: int = 100) -> list[dict[str, Any]]:
    """Records, optionally the one with a given certificate number (matched by its keyed hash)."""
    from govhall.reminders import crypto

    rows = CertificateRecord.objects.select_related("type")
    if query:
        hashes = [
            crypto.number_hash(code, query) for code in rows.values_list("type__code", flat=True).distinct()
        ]
        rows = rows.filter(Q(number_hash__in=hashes) | Q(phone_hash=crypto.phone_hash(query)))
    rows = rows.annotate(sent=Count("reminders", filter=Q(reminders__sent_at__isnull=False)))
    return [
        {
            "id": r.pk,
            "holder": mask_name(r.holder_name),
            "type": r.type.name,
            "number": r.number_masked,
            "phone": r.phone_masked,
            "expires_on": r.expires_on.isoformat(),
            "sent": r.sent,
        }
        for r in rows.order_by("expires_on", "pk")[:limit]
    ]


def _month(moment: dt.datetime) -> str:
    return moment.astimezone(ZoneInfo(TZ)).strftime("%Y-%m")


def renewed_records(now: dt.datetime | None = None) -> dict[int, dt.datetime]:
    """Reminded records whose holder then took a ticket for the renewal matter: record → first reminder.

    A renewal is a queueing ticket with the type's renewal matter and the record's (pseudonymous)
    subject, issued after the first reminder was sent."""
    from govhall.queueing.models import Ticket  # read-only: the renewal evidence

    first = dict(
        Reminder.objects.filter(sent_at__isnull=False)
        .exclude(record__subject="")
        .values_list("record_id")
        .annotate(first=Min("sent_at"))
        .values_list("record_id", "first")
    )
    if not first:
        return {}
    found: dict[int, dt.datetime] = {}
    ids = list(first)
    for start in range(0, len(ids), 500):
        chunk = CertificateRecord.objects.filter(pk__in=ids[start : start + 500]).values_list(
            "pk", "subject", "type__renewal_matter_code"
        )
        by_subject = {(subject, matter): pk for pk, subject, matter in chunk}
        tickets = Ticket.objects.filter(
            subject__in={s for s, _ in by_subject}, matter_code__in={m for _, m in by_subject}
        ).values_list("subject", "matter_code", "issued_at")
        for subject, matter, issued in tickets:
            pk = by_subject.get((subject, matter))
            if pk is not None and issued >= first[pk]:
                found[pk] = first[pk]
    return found


def monthly_figures() -> list[dict[str, Any]]:
    """Per month (local) and type: sent, delivered, failed, opted out, holders reminded, renewed."""
    table: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"sent": 0, "delivered": 0, "failed": 0, "opted_out": 0, "reminded": set(), "renewed": 0}
    )
    rows = Reminder.objects.values_list(
        "record_id", "record__type__name", "state", "sent_at", "delivered_at", "closed_at"
    )
    first_sent: dict[int, tuple[dt.datetime, str]] = {}
    for record_id, type_name, state, sent_at, delivered_at, closed_at in rows.iterator(chunk_size=2000):
        if sent_at:
            cell = table[(_month(sent_at), type_name)]
            cell["sent"] += 1
            cell["reminded"].add(record_id)
            if record_id not in first_sent or sent_at < first_sent[record_id][0]:
                first_sent[record_id] = (sent_at, type_name)
        if delivered_at:
            table[(_month(delivered_at), type_name)]["delivered"] += 1
        if closed_at and state == Reminder.State.FAILED:
            table[(_month(closed_at), type_name)]["failed"] += 1
        if closed_at and state == Reminder.State.OPTED_OUT:
            table[(_month(closed_at), type_name)]["opted_out"] += 1
    for record_id in renewed_records():
        sent_at, type_name = first_sent[record_id]
        table[(_month(sent_at), type_name)]["renewed"] += 1
    out = []
    for (month, type_name), cell in sorted(table.items(), reverse=True):
        reminded = len(cell["reminded"])
        out.append(
            {
                "month": month,
                "type": type_name,
                "sent": cell["sent"],
                "delivered": cell["delivered"],
                "failed": cell["failed"],
                "opted_out": cell["opted_out"],
                "reminded": reminded,
                "renewed": cell["renewed"],
                "renewal_rate": round(cell["renewed"] / reminded, 3) if reminded else None,
            }
        )
    return out


def overview(now: dt.datetime | None = None) -> dict[str, Any]:
    now = now or clock.now()
    states = dict(Reminder.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {
        "records": CertificateRecord.objects.count(),
        "opt_outs": OptOut.objects.count(),
        "states": [
            {"state": s.value, "label": s.label, "count": states.get(s.value, 0)} for s in Reminder.State
        ],
        "interrupted": Delivery.objects.filter(
            outcome=Delivery.Outcome.SENDING, reminder__claimed_until__lt=now
        ).count(),
    }
