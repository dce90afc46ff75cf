"""Periodic queue work for the worker."""

from __future__ import annotations

import datetime as dt

from govhall import clock
from govhall.halls import hours
from govhall.halls.models import Hall
from govhall.queueing.models import Status, Ticket
from govhall.queueing.services import close_day
from govhall.realtime import services as realtime
from govhall.worker import Task

WORKER_TASKS = [
    Task("end of day", 30, "govhall.queueing.tasks:end_of_day"),
    Task("prune events", 600, "govhall.queueing.tasks:prune_events"),
]


def end_of_day(now: dt.datetime) -> int:
    """Cancel, with a reason, the tickets still waiting after their hall closed."""
    cancelled = 0
    waiting_halls = set(Ticket.objects.filter(status=Status.WAITING).values_list("hall_id", flat=True))
    for hall in Hall.objects.filter(pk__in=waiting_halls):
        local = clock.local(now, hall.timezone)
        closing = hours.closing_time(hall.opening_hours, hall.closed_dates, local.date())
        # a hall open round the clock never closes: its queue runs on across midnight
        stale = (
            not hours.round_the_clock(hall.opening_hours)
            and Ticket.objects.filter(hall=hall, status=Status.WAITING, service_day__lt=local.date()).exists()
        )
        past_closing = closing is not None and local.time() >= closing
        if stale or past_closing:
            cancelled += (
                close_day(hall)
                if past_closing
                else close_day(
                    hall, "前一服务日未叫号，自动取消 (left from an earlier day)", before_day=local.date()
                )
            )
    return cancelled


def prune_events(now: dt.datetime) -> int:
    return realtime.prune()
