"""Verbs of appointments: plan slots, book, cancel, reschedule, check in, mark missed bookings,
and take remote tickets with their limits.

A booking holds a seat of a slot; the seat counter moves only by a conditional UPDATE
(`booked < capacity`) in the booking's transaction, so the last seat can't be sold twice.
A booking becomes an `appointment` ticket at check-in through `queueing.services.issue_ticket`
with the booking code as idempotency key: checking in twice gives the same ticket.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F

from govhall import clock
from govhall.appointments import details, notices
from govhall.appointments.models import Booking, Slot
from govhall.halls import hours
from govhall.halls import queries as hall_queries
from govhall.halls.models import Hall, Window, Zone
from govhall.queueing import policy as calling
from govhall.queueing import queries as queue_queries
from govhall.queueing.errors import Conflict, NotFound, Unprocessable
from govhall.queueing.models import OPEN_STATUSES, Channel, Ticket
from govhall.queueing.services import issue_ticket, resolve_zone
from govhall.queueing.subjects import mask_phone, pseudonymize

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE = re.compile(r"^[A-Z2-9]{8}$")
DEFAULT_DAY = [(dt.time(9, 0), dt.time(17, 0))]  # slots of a hall that is always open
MAX_RESCHEDULES = 3
Status = Booking.Status


def rules(hall: Hall) -> dict[str, Any]:
    return calling.settings_of(hall.policy)


def local_text(moment: dt.datetime, hall: Hall, fmt: str = "%m月%d日 %H:%M") -> str:
    return clock.local(moment, hall.timezone).strftime(fmt)


def _closed_on(hall: Hall, day: dt.date) -> bool:
    return day.isoformat() in (hall.closed_dates or [])


# --- slots ------------------------------------------------------------------------------


def zone_windows(zone: Zone) -> float:
    """The zone's share of the planned windows: a window serving k zones counts 1/k in each;
    tidal windows are closed until opened, so they are not planned for bookings."""
    total = 0.0
    for window in Window.objects.filter(zones=zone, tidal=False).prefetch_related("zones"):
        total += 1.0 / max(1, len(window.zones.all()))
    return total


def plan_capacity(hall: Hall, zone: Zone) -> int:
    r = rules(hall)
    return calling.slot_capacity(
        zone_windows(zone),
        int(r["appointment_slot_minutes"]) * 60,
        queue_queries.mean_service_seconds(zone.pk),
        float(r["appointment_share"]),
    )


def plan_day(hall: Hall, day: dt.date) -> int:
    """Create the day's slots of every zone (existing ones are kept); returns how many were new."""
    if _closed_on(hall, day):
        return 0
    week = hours.parse(hall.opening_hours)
    intervals = DEFAULT_DAY if week is None else week[day.weekday()]
    if not intervals:
        return 0
    length = dt.timedelta(minutes=int(rules(hall)["appointment_slot_minutes"]))
    tz = ZoneInfo(hall.timezone)
    new = []
    planned = set(Slot.objects.filter(hall=hall, day=day).values_list("zone_id", flat=True).distinct())
    for zone in hall.zones.all():
        if zone.pk in planned:  # a zone's day is planned once; managers edit it afterwards
            continue
        capacity = plan_capacity(hall, zone)
        if capacity <= 0:
            continue
        for start_t, end_t in intervals:
            start = dt.datetime.combine(day, start_t, tzinfo=tz)
            end = dt.datetime.combine(day, end_t, tzinfo=tz)
            while start + length <= end:
                new.append(
                    Slot(
                        hall=hall,
                        zone=zone,
                        day=day,
                        start=start.astimezone(dt.UTC),
                        end=(start + length).astimezone(dt.UTC),
                        capacity=capacity,
                    )
                )
                start += length
    if not new:
        return 0
    before = Slot.objects.filter(hall=hall, day=day).count()
    Slot.objects.bulk_create(new, ignore_conflicts=True)
    return Slot.objects.filter(hall=hall, day=day).count() - before


def bookable_days(hall: Hall, now: dt.datetime | None = None) -> list[dt.date]:
    today = clock.service_day(now or clock.now(), hall.timezone)
    ahead = int(rules(hall)["appointment_days_ahead"])
    return [today + dt.timedelta(days=i) for i in range(ahead + 1)]


def plan_ahead(now: dt.datetime) -> int:
    created = 0
    for hall in Hall.objects.all():
        for day in bookable_days(hall, now):
            created += plan_day(hall, day)
    return created


def slots_for(hall: Hall, day: dt.date, zone: Zone | None = None) -> list[Slot]:
    plan_day(hall, day)
    found = Slot.objects.filter(hall=hall, day=day).select_related("zone")
    if zone is not None:
        found = found.filter(zone=zone)
    return list(found.order_by("start", "zone__position"))


def set_capacity(slot: Slot, capacity: int) -> Slot:
    """A manager's change: never below the seats already booked."""
    if capacity < 0 or capacity > 10_000:
        raise Unprocessable("capacity must be 0–10000")
    with transaction.atomic(durable=True):
        changed = Slot.objects.filter(pk=slot.pk, booked__lte=capacity).update(capacity=capacity, edited=True)
        if not changed:
            raise Conflict(f"该时段已有{Slot.objects.get(pk=slot.pk).booked}人预约，容量不能低于已约人数")
    return Slot.objects.select_related("zone", "hall").get(pk=slot.pk)


# --- no-show policy ---------------------------------------------------------------------


def booking_ban(hall: Hall, subject: str, now: dt.datetime | None = None) -> str | None:
    """Why this subject may not book now (the no-show policy), or None."""
    now = now or clock.now()
    subject = pseudonymize(subject)
    if not subject:
        return None
    r = rules(hall)
    horizon = now - dt.timedelta(days=int(r["no_show_days"]) + int(r["no_show_ban_days"]))
    missed = list(
        Booking.objects.filter(subject=subject, status=Status.MISSED, slot__start__gte=horizon)
        .order_by("slot__start")
        .values_list("slot__start", flat=True)
    )
    until = calling.no_show_ban(hall.policy, missed, now)
    if until is None:
        return None
    days = "、".join(local_text(m, hall, "%m月%d日") for m in missed[-int(r["no_show_limit"]) :])
    return (
        f"您在{r['no_show_days']}天内有{r['no_show_limit']}次预约未到（{days}），"
        f"{local_text(until, hall, '%Y年%m月%d日')}前暂停在线预约；仍可到大厅现场取号或远程取号办理。"
    )


# --- bookings ---------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def normalize_code(text: str) -> str:
    """A booking code as typed or scanned: the bare code, or a link with `code=` in it."""
    raw = (text or "").strip()
    if "code=" in raw:
        raw = raw.split("code=", 1)[1].split("&", 1)[0]
    elif "/" in raw:
        raw = raw.rstrip("/").rsplit("/", 1)[-1]
    return raw.upper().replace(" ", "")


def get_booking(code: str) -> Booking:
    code = normalize_code(code)
    found = (
        Booking.objects.select_related("hall", "zone", "slot", "ticket").filter(code=code).first()
        if CODE.match(code)
        else None
    )
    if found is None:
        raise NotFound("没有这个预约码 (no such booking)")
    return found


def _slot_of(hall: Hall, slot_id: int, zone: Zone) -> Slot:
    slot = Slot.objects.select_related("zone").filter(pk=slot_id, hall=hall).first()
    if slot is None:
        raise NotFound(f"hall {hall.code} has no slot {slot_id}")
    if slot.zone_id != zone.pk:
        raise Unprocessable(f"该时段属于{slot.zone.name}，不办理此事项 (slot is for another zone)")
    return slot


def _check_bookable(hall: Hall, slot: Slot, now: dt.datetime) -> None:
    if slot.start <= now:
        raise Conflict("该时段已开始或已过去，请选择之后的时段 (slot has started)")
    if slot.day not in bookable_days(hall, now):
        raise Conflict(f"只能预约{rules(hall)['appointment_days_ahead']}天内的时段 (too far ahead)")
    if _closed_on(hall, slot.day):
        raise Conflict(f"{hall.name}{slot.day:%m月%d日}闭厅，不能预约 (hall closed that day)")


def _take_seat(slot: Slot) -> None:
    if not Slot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(booked=F("booked") + 1):
        raise Conflict(f"{local_text(slot.start, slot.hall)}时段已约满，请选择其他时段 (slot is full)")


def _free_seat(slot_id: int) -> None:
    Slot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


def book(
    hall: Hall,
    *,
    matter_code: str,
    slot_id: int,
    subject: str,
    phone: str = "",
    extras: dict[str, Any] | None = None,
) -> Booking:
    """Book a seat; raises with a reason people can read when it can't be done."""
    subject = pseudonymize(subject)
    if not subject:
        raise Unprocessable("请填写身份证号或统一身份认证号 (subject is required to book)")
    phone = details.clean_phone(phone)
    zone = resolve_zone(hall, matter_code, None)
    slot = _slot_of(hall, slot_id, zone)
    now = clock.now()
    _check_bookable(hall, slot, now)
    reason = booking_ban(hall, subject, now)
    if reason:
        raise Conflict(reason)
    if Booking.objects.filter(
        subject=subject, hall=hall, matter_code=matter_code, slot__day=slot.day, status=Status.BOOKED
    ).exists():
        raise Conflict("您当天已预约过此事项，如需改时间请改约 (already booked this matter that day)")
    slot.hall = hall
    try:
        with transaction.atomic(durable=True):
            _take_seat(slot)
            booking = Booking.objects.create(
                code=new_code(),
                hall=hall,
                zone=zone,
                slot=slot,
                matter_code=matter_code,
                subject=subject,
                phone=phone,
                phone_masked=mask_phone(phone) if phone else "",
                created_at=now,
                changed_at=now,
                extras=extras or {},
            )
    except IntegrityError:
        raise Conflict("您已预约该时段 (already booked this slot)")
    return Booking.objects.select_related("hall", "zone", "slot").get(pk=booking.pk)


def cancel(code: str, reason: str = "本人取消") -> Booking:
    booking = get_booking(code)
    with transaction.atomic(durable=True):
        changed = Booking.objects.filter(pk=booking.pk, status=Status.BOOKED).update(
            status=Status.CANCELLED, changed_at=clock.now(), reason=reason
        )
        if not changed:
            raise Conflict(f"预约{booking.code}当前状态为{booking.get_status_display()}，不能取消")
        _free_seat(booking.slot_id)
    return get_booking(booking.code)


def reschedule(code: str, slot_id: int) -> Booking:
    booking = get_booking(code)
    if booking.status != Status.BOOKED:
        raise Conflict(f"预约{booking.code}当前状态为{booking.get_status_display()}，不能改约")
    if booking.reschedules >= MAX_RESCHEDULES:
        raise Conflict(f"每个预约最多改约{MAX_RESCHEDULES}次 (reschedule limit reached)")
    hall = booking.hall
    target = _slot_of(hall, slot_id, booking.zone)
    if target.pk == booking.slot_id:
        return booking
    now = clock.now()
    _check_bookable(hall, target, now)
    target.hall = hall
    with transaction.atomic(durable=True):
        moved = Booking.objects.filter(pk=booking.pk, status=Status.BOOKED, slot_id=booking.slot_id).update(
            slot=target, changed_at=now, reschedules=F("reschedules") + 1
        )
        if not moved:
            raise Conflict("预约刚刚发生变化，请刷新后重试 (booking changed meanwhile)")
        _take_seat(target)
        _free_seat(booking.slot_id)
    return get_booking(booking.code)


def check_in(hall: Hall, code: str, actor: Any = None) -> tuple[Ticket, bool]:
    """Turn a booking into a waiting `appointment` ticket; the same ticket on every repeat."""
    booking = get_booking(code)
    if booking.hall_id != hall.pk:
        raise Conflict(f"此预约在{booking.hall.name}办理，请到该大厅签到 (booked for another hall)")
    if booking.status == Status.CHECKED_IN and booking.ticket is not None:
        return booking.ticket, False
    if booking.status != Status.BOOKED:
        raise Conflict(f"预约{booking.code}{booking.get_status_display()}，{booking.reason or '不能签到'}")
    now = clock.now()
    opens, closes = calling.checkin_window(hall.policy, booking.slot.start)
    window_text = f"{local_text(opens, hall, '%H:%M')}–{local_text(closes, hall, '%H:%M')}"
    if now < opens:
        raise Conflict(f"还未到签到时间：请于{local_text(opens, hall)}后签到（签到时间 {window_text}）")
    if now >= closes:
        raise Conflict(f"已超过签到时间（{window_text}），预约失效，请现场取号办理")
    if _closed_on(hall, clock.service_day(now, hall.timezone)):
        raise Conflict(f"{hall.name}今日闭厅，预约已取消，请改约其他日期")
    priority = calling.appointment_priority(hall.policy, booking.slot.start, now)
    if booking.extras.get("green"):
        priority = 1
    ticket, created = issue_ticket(
        hall,
        booking.matter_code,
        zone_code=booking.zone.code,
        channel=Channel.APPOINTMENT,
        priority=priority,
        subject=booking.subject,
        idempotency_key=f"booking-{booking.code}",
        actor=actor,
    )
    with transaction.atomic(durable=True):
        Booking.objects.filter(pk=booking.pk, status=Status.BOOKED).update(
            status=Status.CHECKED_IN,
            ticket=ticket,
            checked_in_at=now,
            changed_at=now,
            checked_in_by=actor if getattr(actor, "pk", None) else None,
        )
        details.attach(ticket, booking.extras, booking.phone, booking)
    return ticket, created


def mark_missed(now: dt.datetime) -> int:
    """Bookings whose check-in window has closed without a check-in become `missed`."""
    count = 0
    candidates = Booking.objects.filter(status=Status.BOOKED, slot__start__lt=now).select_related(
        "hall", "slot"
    )
    for booking in candidates:
        _, closes = calling.checkin_window(booking.hall.policy, booking.slot.start)
        if closes <= now:
            count += Booking.objects.filter(pk=booking.pk, status=Status.BOOKED).update(
                status=Status.MISSED, changed_at=now, reason="超过签到时间未签到，记为预约未到"
            )
    return count


def cancel_closed_days(now: dt.datetime) -> int:
    """Bookings on a day their hall is now closed (holiday, emergency closure) are cancelled, and
    their holders told; nothing silently vanishes."""
    count = 0
    for hall in Hall.objects.exclude(closed_dates=[]):
        closed = [d for d in hall.closed_dates or [] if isinstance(d, str)]
        days = []
        for text in closed:
            try:
                days.append(dt.date.fromisoformat(text))
            except ValueError:
                continue
        affected = Booking.objects.filter(hall=hall, status=Status.BOOKED, slot__day__in=days).select_related(
            "slot"
        )
        for booking in affected:
            reason = f"{hall.name}{booking.slot.day:%m月%d日}闭厅（节假日或临时闭厅），预约已取消"
            with transaction.atomic(durable=True):
                changed = Booking.objects.filter(pk=booking.pk, status=Status.BOOKED).update(
                    status=Status.CANCELLED, changed_at=now, reason=reason
                )
                if not changed:
                    continue
                _free_seat(booking.slot_id)
                notices.queue(
                    "closed_day",
                    hall,
                    booking.phone,
                    f"【政务服务】您预约的{local_text(booking.slot.start, hall)}（预约码{booking.code}）因{reason[len(hall.name) :]}，"
                    "请改约其他日期。",
                    f"closed-booking-{booking.code}",
                    booking=booking,
                )
                count += 1
    return count


# --- remote tickets ---------------------------------------------------------------------


def take_remote_ticket(
    hall: Hall,
    *,
    matter_code: str,
    zone_code: str | None = None,
    subject: str,
    phone: str = "",
    extras: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> tuple[Ticket, bool]:
    """A ticket taken from the phone or web for any hall, within the per-subject limits.

    The per-hall limit is checked and then the ticket issued, in two transactions (the core's
    `issue_ticket` is durable). Two simultaneous requests of one person would both pass the
    check, so the ticket's idempotency key is derived from (hall, subject, day, how many remote
    tickets the subject already has there today): requests that saw the same count ask for the
    same key, and the core's unique (hall, key) constraint collapses them into one ticket. The
    client's own `Idempotency-Key` is kept on the ticket's details for resends."""
    if idempotency_key and (found := _by_request_key(hall, idempotency_key)):
        return found, False
    subject = pseudonymize(subject)
    if not subject:
        raise Unprocessable("远程取号须实名：请填写身份证号或统一身份认证号 (subject is required)")
    phone = details.clean_phone(phone)
    now = clock.now()
    if not hall_queries.is_open(hall, now):
        raise Conflict(
            f"{hall.name}当前不在开放时间，可在开放时间远程取号或预约其他时段 (the hall is closed now)"
        )
    day = clock.service_day(now, hall.timezone)
    mine = Ticket.objects.filter(hall=hall, subject=subject, channel=Channel.REMOTE)
    taken_today = mine.filter(service_day=day).count()
    limit = int(rules(hall)["remote_open_per_hall"] or 0)
    held = mine.filter(status__in=OPEN_STATUSES).count()
    if limit and held >= limit:
        raise Conflict(
            f"您在{hall.name}已有{held}张未办结的远程取号，办结或取消后才能再取 (open remote ticket limit)"
        )
    extras = extras or {}
    ticket, created = issue_ticket(
        hall,
        matter_code,
        zone_code=zone_code,
        channel=Channel.REMOTE,
        priority=1 if extras.get("green") else 0,
        subject=subject,
        idempotency_key=remote_key(subject, day, taken_today),
    )
    details.attach(ticket, extras, phone, request_key=idempotency_key or "")
    return ticket, created


def remote_key(subject: str, day: dt.date, taken_today: int) -> str:
    """The idempotency key of a subject's next remote ticket at a hall (keys are per hall)."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    return f"remote-{day:%Y%m%d}-{digest}-{taken_today}"


def _by_request_key(hall: Hall, key: str) -> Ticket | None:
    """The ticket a client's own Idempotency-Key was first sent with (also the tickets issued
    before keys were derived, which carry the client's key themselves)."""
    tickets = Ticket.objects.select_related("hall", "zone").filter(hall=hall)
    return tickets.filter(detail__request_key=key).first() or tickets.filter(idempotency_key=key).first()
