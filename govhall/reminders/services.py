"""Verbs of reminders: import records, plan reminders, send what is due, take opt-outs and receipts.

Exactly-once: claim before send. A reminder row is claimed by a compare-and-swap on `attempts`
(committed, with its delivery-log row, before the POST), then sent with its stable `key` as the
gateway's `request_id`, then marked. Without a crash each reminder is POSTed once, even with
several workers. A worker killed between the POST and the mark leaves a claim that expires after
the lease; the next worker POSTs the same request id again and the gateway, which keeps the ids
it has taken, drops the repeat — so each reminder reaches the handset once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet

from govhall import clock
from govhall.importing import ImportReport
from govhall.monitor.notifiers import DeliveryError
from govhall.monitor.outbox import backoff
from govhall.queueing.subjects import pseudonymize
from govhall.reminders import crypto, formats, schedule, sms
from govhall.reminders.models import (
    DEFAULT_TEMPLATE,
    CertificateRecord,
    CertificateType,
    Delivery,
    OptOut,
    Reminder,
)

log = logging.getLogger(__name__)
LEASE = dt.timedelta(seconds=60)  # longer than one send with its timeout (notifiers.TIMEOUT_SECONDS)
MAX_ATTEMPTS = 6
STOP_WORDS = {"TD", "T", "STOP", "N", "退订", "取消", "退订提醒", "UNSUBSCRIBE"}

# Invented configuration: the renewal matters and channels of a Zhejiang-style city.
DEFAULT_TYPES: list[dict[str, Any]] = [
    {
        "code": "id-card",
        "name": "居民身份证",
        "renewal_matter_code": "330000-GA-0301",
        "renewal_matter_name": "居民身份证有效期满换领",
        "online": False,
        "hall_hint": "请携带原证件到就近公安户政窗口或政务服务中心办理",
        "steps": [60, 15],
        "number_is_subject": True,
    },
    {
        "code": "driving-licence",
        "name": "机动车驾驶证",
        "renewal_matter_code": "330000-GA-0512",
        "renewal_matter_name": "机动车驾驶证有效期满换证",
        "online": True,
        "steps": [90, 30],
    },
    {
        "code": "business-licence",
        "name": "营业执照",
        "renewal_matter_code": "330000-SC-0103",
        "renewal_matter_name": "营业执照营业期限变更登记",
        "online": True,
        "steps": [60, 15],
    },
    {
        "code": "food-licence",
        "name": "食品经营许可证",
        "renewal_matter_code": "330000-SC-0420",
        "renewal_matter_name": "食品经营许可延续",
        "online": True,
        "steps": [90, 30, 7],
    },
    {
        "code": "health-cert",
        "name": "从业人员健康证明",
        "renewal_matter_code": "330000-WJ-0207",
        "renewal_matter_name": "从业人员预防性健康检查",
        "online": False,
        "hall_hint": "请到就近社区卫生服务中心体检办理",
        "steps": [30],
    },
]


def ensure_default_types() -> None:
    """Create the invented default certificate types that are missing (edits are kept)."""
    for spec in DEFAULT_TYPES:
        values = dict(spec)
        CertificateType.objects.get_or_create(code=values.pop("code"), defaults=values)


def type_lookup() -> dict[str, str]:
    found: dict[str, str] = {}
    for code, name in CertificateType.objects.values_list("code", "name"):
        found[code] = found[code.lower()] = found[name] = code
    return found


def lease() -> dt.timedelta:
    seconds = getattr(settings, "GOVHALL", {}).get("REMINDERS_LEASE_SECONDS") or os.environ.get(
        "GOVHALL_REMINDERS_LEASE_SECONDS"
    )
    return dt.timedelta(seconds=float(seconds)) if seconds else LEASE


# --- import -----------------------------------------------------------------------------------


@dataclass
class RecordsReport(ImportReport):
    planned: int = 0
    rows: int = 0
    expiry_changed: int = 0


def import_records(
    name: str, data: bytes, *, dry_run: bool = False, now: dt.datetime | None = None
) -> RecordsReport:
    """Upsert the file's records by (type, keyed hash of the number), all or nothing.

    A bad line raises ImportFailed listing every bad line; nothing is written. With `dry_run`
    the file is checked and counted, and nothing is written either."""
    now = now or clock.now()
    ensure_default_types()
    rows = formats.validate(formats.read_rows(name, data), type_lookup())
    types = {t.code: t for t in CertificateType.objects.all()}
    report = RecordsReport(rows=len(rows))
    keyed = [(row, types[row.type_code], crypto.number_hash(row.type_code, row.number)) for row in rows]
    with transaction.atomic():
        existing: dict[tuple[int, str], CertificateRecord] = {}
        hashes = [h for _, _, h in keyed]
        for start in range(0, len(hashes), 500):
            for known in CertificateRecord.objects.filter(number_hash__in=hashes[start : start + 500]):
                existing[(known.type_id, known.number_hash)] = known
        new: list[CertificateRecord] = []
        changed: list[CertificateRecord] = []
        moved_expiry: list[int] = []
        for row, ctype, number_hash in keyed:
            subject = pseudonymize(row.subject) or (
                pseudonymize(row.number) if ctype.number_is_subject else ""
            )
            phone_hash = crypto.phone_hash(row.phone)
            record = existing.get((ctype.pk, number_hash))
            if record is None:
                new.append(
                    CertificateRecord(
                        type=ctype,
                        holder_name=row.holder,
                        number_masked=crypto.mask_id(row.number),
                        number_hash=number_hash,
                        expires_on=row.expires_on,
                        phone_masked=crypto.mask_phone(row.phone),
                        phone_hash=phone_hash,
                        phone_sealed=crypto.seal(row.phone),
                        subject=subject,
                        imported_at=now,
                        updated_at=now,
                    )
                )
                continue
            if record.expires_on != row.expires_on:
                moved_expiry.append(record.pk)
            same = (
                record.holder_name == row.holder
                and record.expires_on == row.expires_on
                and record.phone_hash == phone_hash
                and record.subject == subject
            )
            if same:
                continue
            record.holder_name = row.holder
            record.expires_on = row.expires_on
            if record.phone_hash != phone_hash:
                record.phone_hash = phone_hash
                record.phone_masked = crypto.mask_phone(row.phone)
                record.phone_sealed = crypto.seal(row.phone)
            record.subject = subject
            record.updated_at = now
            changed.append(record)
        report.created, report.updated, report.expiry_changed = len(new), len(changed), len(moved_expiry)
        if dry_run:
            return report
        CertificateRecord.objects.bulk_create(new, batch_size=500)
        CertificateRecord.objects.bulk_update(
            changed,
            [
                "holder_name",
                "expires_on",
                "phone_hash",
                "phone_masked",
                "phone_sealed",
                "subject",
                "updated_at",
            ],
            batch_size=500,
        )
        # A renewed certificate (new expiry) drops the plan for the old date.
        Reminder.objects.filter(record_id__in=moved_expiry, state=Reminder.State.PLANNED).exclude(
            expires_on=F("record__expires_on")
        ).filter(_free(now)).update(state=Reminder.State.CANCELLED, closed_at=now, last_error="到期日已更新")
        touched: list[int] = []
        for start in range(0, len(hashes), 500):
            touched.extend(
                CertificateRecord.objects.filter(number_hash__in=hashes[start : start + 500]).values_list(
                    "pk", flat=True
                )
            )
        report.planned = plan_reminders(now, record_ids=touched)
    return report


# --- planning ---------------------------------------------------------------------------------


def plan_reminders(now: dt.datetime | None = None, *, record_ids: list[int] | None = None) -> int:
    """Create the missing reminder rows (one per record × step × expiry); returns how many."""
    now = now or clock.now()
    if record_ids is not None and len(record_ids) > 500:  # keep IN lists short for SQLite
        return sum(
            plan_reminders(now, record_ids=record_ids[i : i + 500]) for i in range(0, len(record_ids), 500)
        )
    records = CertificateRecord.objects.filter(type__active=True).select_related("type")
    if record_ids is not None:
        records = records.filter(pk__in=record_ids)
    earliest = (now - dt.timedelta(days=1)).date()
    records = records.filter(expires_on__gt=earliest).order_by("pk")
    created = 0
    batch: list[Reminder] = []
    for record in records.iterator(chunk_size=1000):
        ctype = record.type
        today = clock.local(now, ctype.timezone).date()
        for step in schedule.steps_to_plan(record.expires_on, [int(s) for s in ctype.steps], today):
            due = schedule.due_moment(record.expires_on, step, ctype.quiet_end, ctype.timezone)
            batch.append(
                Reminder(
                    record=record,
                    step_days=step,
                    expires_on=record.expires_on,
                    key=f"rem-{uuid.uuid4().hex}",
                    due_at=due,
                    next_attempt_at=due,
                    created_at=now,
                )
            )
        if len(batch) >= 1000:
            created += _insert(batch)
            batch = []
    return created + _insert(batch)


def _insert(batch: list[Reminder]) -> int:
    if not batch:
        return 0
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(batch, ignore_conflicts=True)  # the unique constraint dedupes
    return Reminder.objects.count() - before


# --- rendering --------------------------------------------------------------------------------


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def optout_token(record_id: int) -> str:
    tag = hmac.new(crypto._key("optout"), str(record_id).encode(), hashlib.sha256).hexdigest()[:12]
    return f"{record_id}-{tag}"


def record_of_token(token: str) -> CertificateRecord | None:
    head, _, _tag = token.partition("-")
    if not head.isdigit() or not hmac.compare_digest(optout_token(int(head)), token):
        return None
    return CertificateRecord.objects.select_related("type").filter(pk=int(head)).first()


def public_url() -> str:
    base = os.environ.get("GOVHALL_PUBLIC_URL") or getattr(settings, "GOVHALL", {}).get("PUBLIC_URL") or ""
    return (str(base) or "http://127.0.0.1:8000").rstrip("/")


def render(record: CertificateRecord, *, for_display: bool = False) -> str:
    """The SMS text. Numbers appear masked even in the SMS; the display form masks the name too."""
    ctype = record.type
    day = record.expires_on
    fields = _Fields(
        holder=crypto.mask_name(record.holder_name) if for_display else record.holder_name,
        type=ctype.name,
        number=record.number_masked,
        expiry=f"{day.year}年{day.month}月{day.day}日",
        matter=ctype.renewal_matter_name,
        channel_hint=ctype.channel_hint,
        optout=f"{public_url()}/r/td/{optout_token(record.pk)}",
    )
    try:
        return ctype.template.format_map(fields)
    except (ValueError, IndexError):  # a broken template must not stop the batch
        return DEFAULT_TEMPLATE.format_map(fields)


# --- sending ----------------------------------------------------------------------------------


def _free(now: dt.datetime) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def due_queryset(now: dt.datetime) -> QuerySet[Reminder]:
    return (
        Reminder.objects.filter(_free(now), state=Reminder.State.PLANNED, next_attempt_at__lte=now)
        .select_related("record", "record__type")
        .order_by("next_attempt_at", "id")
    )


@dataclass
class SendReport:
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    deferred: int = 0
    opted_out: int = 0
    cancelled: int = 0
    skipped: int = 0  # taken by another worker
    errors: list[str] = field(default_factory=list)


def _close(row: Reminder, now: dt.datetime, state: str, reason: str) -> bool:
    return (
        Reminder.objects.filter(
            _free(now), pk=row.pk, state=Reminder.State.PLANNED, attempts=row.attempts
        ).update(state=state, closed_at=now, last_error=reason)
        == 1
    )


def send_due(
    now: dt.datetime | None = None, *, limit: int = 200, budget_seconds: float = 10.0, pause: float = 0.0
) -> SendReport:
    """Send what is due, oldest first, within `budget_seconds`; quiet hours and opt-outs respected."""
    now = now or clock.now()
    report = SendReport()
    rows = list(due_queryset(now)[:limit])
    if not rows:
        return report
    url = sms.gateway_url()
    if not url:  # nothing is claimed, so no attempt is spent before a gateway is set
        report.errors.append("未配置短信网关 (GOVHALL_SMS_GATEWAY_URL 或管理页设置)")
        return report
    sender = sms.ReminderSms(url)
    opted = set(
        OptOut.objects.filter(phone_hash__in={r.record.phone_hash for r in rows}).values_list(
            "phone_hash", flat=True
        )
    )
    started = time.monotonic()
    try:
        _send_rows(rows, now, sender, opted, report, started, budget_seconds, pause)
    finally:
        sender.close()
    return report


def _send_rows(
    rows: list[Reminder],
    now: dt.datetime,
    sender: sms.ReminderSms,
    opted: set[str],
    report: SendReport,
    started: float,
    budget_seconds: float,
    pause: float,
) -> None:
    for row in rows:
        if time.monotonic() - started > budget_seconds:
            break
        ctype = row.record.type
        allowed = schedule.next_allowed(now, ctype.quiet_start, ctype.quiet_end, ctype.timezone)
        if allowed > now:
            report.deferred += Reminder.objects.filter(
                _free(now), pk=row.pk, state=Reminder.State.PLANNED, attempts=row.attempts
            ).update(next_attempt_at=allowed)
            continue
        if row.record.phone_hash in opted:
            report.opted_out += _close(row, now, Reminder.State.OPTED_OUT, "已退订")
            continue
        if (
            row.expires_on != row.record.expires_on
            or row.expires_on <= clock.local(now, ctype.timezone).date()
        ):
            report.cancelled += _close(row, now, Reminder.State.CANCELLED, "证照已到期或已更新")
            continue
        outcome = send_one(row, now, sender)
        if outcome is None:
            report.skipped += 1
        elif outcome == "delivered":
            report.sent += 1
            report.delivered += 1
        elif outcome == "sent":
            report.sent += 1
        else:
            report.failed += 1
            report.errors.append(outcome)
        if pause:
            time.sleep(pause)


def send_one(row: Reminder, now: dt.datetime, sender: sms.ReminderSms) -> str | None:
    """Claim, send and mark one reminder: None if another worker has it, else "sent",
    "delivered" or the error text."""
    attempt = row.attempts + 1
    # The lease runs from the claim itself, not from the batch's start: a slow batch must not hand
    # out claims that have already expired (another worker would take the row while we send).
    claim_at = max(now, clock.now())
    with transaction.atomic():
        claimed = Reminder.objects.filter(
            _free(claim_at), pk=row.pk, state=Reminder.State.PLANNED, attempts=row.attempts
        ).update(attempts=attempt, claimed_until=claim_at + lease())
        if claimed != 1:
            return None
        entry = Delivery.objects.create(reminder=row, attempt=attempt, started_at=clock.now())
    mine = Reminder.objects.filter(pk=row.pk, state=Reminder.State.PLANNED, attempts=attempt)
    try:
        phone = crypto.unseal(row.record.phone_sealed)
        answer = sender.submit(sms.recipient(phone), {"text": render(row.record)}, row.key)
    except (DeliveryError, crypto.SealError) as exc:
        final = isinstance(exc, crypto.SealError) or attempt >= MAX_ATTEMPTS
        at = clock.now()
        with transaction.atomic():
            mine.update(
                state=Reminder.State.FAILED if final else Reminder.State.PLANNED,
                next_attempt_at=now + backoff(attempt),
                claimed_until=None,
                closed_at=at if final else None,
                last_error=str(exc)[:300],
            )
            Delivery.objects.filter(pk=entry.pk).update(
                outcome=Delivery.Outcome.ERROR, finished_at=at, detail=str(exc)[:300]
            )
        log.warning("reminder %s attempt %d failed: %s", row.key, attempt, exc)
        return str(exc)[:300] or "error"
    at = clock.now()
    state = Reminder.State.DELIVERED if answer.delivered else Reminder.State.SENT
    with transaction.atomic():
        mine.update(
            state=state,
            sent_at=at,
            delivered_at=at if answer.delivered else None,
            gateway_id=answer.message_id,
            claimed_until=None,
            last_error="",
        )
        Delivery.objects.filter(pk=entry.pk).update(
            outcome=Delivery.Outcome.DELIVERED if answer.delivered else Delivery.Outcome.ACCEPTED,
            finished_at=at,
            detail=answer.message_id,
        )
    return str(state)


# --- receipts and opt-outs --------------------------------------------------------------------


def record_report(request_id: str, status: str, detail: str = "", now: dt.datetime | None = None) -> bool:
    """A delivery receipt from the gateway (`delivered` or `failed`); False for an unknown id."""
    now = now or clock.now()
    row = Reminder.objects.filter(key=request_id).first()
    if row is None:
        return False
    with transaction.atomic():
        if status == "delivered":
            Reminder.objects.filter(
                pk=row.pk, state__in=[Reminder.State.PLANNED, Reminder.State.SENT]
            ).update(
                state=Reminder.State.DELIVERED,
                delivered_at=now,
                sent_at=row.sent_at or now,
                claimed_until=None,
            )
            outcome = Delivery.Outcome.DELIVERED
        else:
            Reminder.objects.filter(pk=row.pk, state=Reminder.State.SENT).update(
                state=Reminder.State.FAILED, closed_at=now, last_error=(detail or "未送达")[:300]
            )
            outcome = Delivery.Outcome.REPORT_FAILED
        last = Delivery.objects.filter(reminder=row).order_by("-attempt").first()
        if last is not None:
            Delivery.objects.filter(pk=last.pk).update(
                outcome=outcome, finished_at=now, detail=(detail or last.detail)[:300]
            )
    return True


def opt_out(
    phone_hash: str,
    source: str,
    *,
    phone_masked: str = "",
    record: CertificateRecord | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Stop reminders to a phone (by its keyed hash); returns how many planned reminders closed."""
    now = now or clock.now()
    if not phone_masked:
        known = CertificateRecord.objects.filter(phone_hash=phone_hash).first()
        phone_masked = known.phone_masked if known else "****"
    with transaction.atomic():
        OptOut.objects.get_or_create(
            phone_hash=phone_hash,
            defaults={"phone_masked": phone_masked, "source": source, "record": record, "at": now},
        )
        return Reminder.objects.filter(
            _free(now), state=Reminder.State.PLANNED, record__phone_hash=phone_hash
        ).update(state=Reminder.State.OPTED_OUT, closed_at=now, last_error="已退订")


def handle_reply(phone: str, text: str, now: dt.datetime | None = None) -> bool:
    """An SMS reply forwarded by the gateway: TD/退订/STOP opts the phone out."""
    word = (text or "").strip().strip("。.!！").upper()
    if word not in STOP_WORDS:
        return False
    opt_out(
        crypto.phone_hash(phone),
        OptOut.Source.REPLY,
        phone_masked=crypto.mask_phone(crypto.normalize_phone(phone)),
        now=now,
    )
    return True


def cancel_opt_out(phone_hash: str) -> bool:
    """Undo an opt-out (the holder asked again); cancelled reminders are not revived."""
    return OptOut.objects.filter(phone_hash=phone_hash).delete()[0] > 0
