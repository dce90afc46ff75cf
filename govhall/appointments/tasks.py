"""Periodic work of appointments for the background worker (see govhall.worker)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from govhall import clock
from govhall.appointments import notices, services
from govhall.appointments.models import Booking, TicketDetail
from govhall.halls.models import Hall
from govhall.queueing import policy as calling
from govhall.queueing import queries as queue_queries
from govhall.queueing.models import Status, Ticket
from govhall.queueing.services import close_day, promote
from govhall.worker import Task

WORKER_TASKS: list[Task] = [
    Task("appointment slots", 600, "govhall.appointments.tasks:plan_slots"),
    Task("appointment day changes", 30, "govhall.appointments.tasks:day_changes"),
    Task("near-turn notices", 10, "govhall.appointments.tasks:near_turn"),
    Task("early check-ins promoted at their slot", 15, "govhall.appointments.tasks:promote_early_checkins"),
    Task("citizen notices", 5, "govhall.appointments.tasks:deliver_notices"),
]

PROMOTE_LOOKAHEAD = dt.timedelta(hours=2)  # longer than any hall's priority lead
PROMOTE_BATCH = 500
CLOSURE_REASON = "大厅今日临时闭厅，未叫号自动取消 (hall closed today)"
NOTICE_LOOKBACK = dt.timedelta(days=1)


def plan_slots(now: dt.datetime) -> int:
    return services.plan_ahead(now)


def close_for_closure(now: dt.datetime) -> int:
    """A hall closed today (an emergency closure added to closed_dates) cancels its waiting tickets
    with a reason; the queueing end-of-day only knows closing times."""
    cancelled = 0
    for hall in Hall.objects.exclude(closed_dates=[]):
        today = clock.service_day(now, hall.timezone).isoformat()
        if (
            today in (hall.closed_dates or [])
            and Ticket.objects.filter(hall=hall, status=Status.WAITING).exists()
        ):
            cancelled += close_day(hall, CLOSURE_REASON)
    return cancelled


def closing_notices(now: dt.datetime) -> int:
    """Tell every holder with a phone whose ticket the end of day (or a closure) cancelled."""
    told = 0
    rows = TicketDetail.objects.filter(
        ~Q(phone=""),
        closing_notice_at__isnull=True,
        ticket__status=Status.CANCELLED,
        ticket__finished_at__gte=now - NOTICE_LOOKBACK,
        ticket__events__action="close",
    ).select_related("ticket__hall")
    for detail in rows.distinct():
        ticket = detail.ticket
        if not TicketDetail.objects.filter(pk=detail.pk, closing_notice_at__isnull=True).update(
            closing_notice_at=now
        ):
            continue
        notices.queue(
            "closing",
            ticket.hall,
            detail.phone,
            f"【政务服务】您在{ticket.hall.name}的{ticket.number}号未被叫号已取消：{ticket.reason}。"
            "可预约其他时段或次日再取号，给您带来不便敬请谅解。",
            f"closing-{ticket.id}",
            ticket=ticket,
        )
        told += 1
    return told


def day_changes(now: dt.datetime) -> dict[str, int]:
    return {
        "closed_day_bookings": services.cancel_closed_days(now),
        "closure_tickets": close_for_closure(now),
        "closing_notices": closing_notices(now),
        "missed": services.mark_missed(now),
    }


def promote_early_checkins(now: dt.datetime) -> int:
    """A booking checked in before its slot queued as an ordinary ticket (it must not jump ahead of
    people who came before their own slot); once the slot is near (the hall's
    `appointment_priority_lead_minutes`) the ticket joins the priority line, as a check-in at that
    moment would have."""
    promoted = 0
    rows = (
        Booking.objects.filter(
            status=Booking.Status.CHECKED_IN,
            ticket__status=Status.WAITING,
            ticket__priority=0,
            slot__start__lte=now + PROMOTE_LOOKAHEAD,
        )
        .select_related("hall", "slot")
        .order_by("slot__start")[:PROMOTE_BATCH]
    )
    for booking in rows:
        if not calling.appointment_priority(booking.hall.policy, booking.slot.start, now):
            continue
        if promote(str(booking.ticket_id), f"预约{booking.code}的时段已到"):
            promoted += 1
    return promoted


def near_turn(now: dt.datetime) -> int:
    """ "还有3位": once per waiting ticket with a phone, when few enough are ahead."""
    told = 0
    rows = TicketDetail.objects.filter(
        ~Q(phone=""), near_notice_at__isnull=True, ticket__status=Status.WAITING
    ).select_related("ticket__hall", "ticket__zone")
    for detail in rows:
        ticket = detail.ticket
        ahead = queue_queries.position(ticket)
        threshold = int(calling.settings_of(ticket.hall.policy)["near_turn_ahead"])
        if ahead is None or ahead > threshold:
            continue
        if not TicketDetail.objects.filter(pk=detail.pk, near_notice_at__isnull=True).update(
            near_notice_at=now
        ):
            continue
        where = f"{ticket.hall.name}{ticket.zone.name}"
        notices.queue(
            "near_turn",
            ticket.hall,
            detail.phone,
            f"【政务服务】您的{ticket.number}号前面还有{ahead}位，请尽快到{where}等候叫号。",
            f"near-{ticket.id}",
            ticket=ticket,
        )
        told += 1
    return told


def deliver_notices(now: dt.datetime) -> int:
    return notices.deliver_due(now)
