"""Tickets and their audit trail: the people waiting in a hall."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from govhall.halls.models import Hall, Window, Zone


class Status(models.TextChoices):
    WAITING = "waiting", _("等候中")
    CALLED = "called", _("已叫号")
    SERVING = "serving", _("办理中")
    ON_HOLD = "on_hold", _("挂起")
    SERVED = "served", _("已办结")
    NO_SHOW = "no_show", _("过号")
    CANCELLED = "cancelled", _("已取消")


OPEN_STATUSES = (Status.WAITING, Status.CALLED, Status.SERVING, Status.ON_HOLD)
AT_WINDOW = (Status.CALLED, Status.SERVING)


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("现场取号")
    REMOTE = "remote", _("远程取号")
    APPOINTMENT = "appointment", _("预约")


class Ticket(models.Model):
    id = models.CharField(primary_key=True, max_length=64)
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="tickets")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="tickets")
    # The zone that numbered the ticket; a transfer moves `zone` but keeps the number.
    origin_zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    matter_code = models.CharField(max_length=64)
    subject = models.CharField(max_length=64, blank=True, default="")
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.WALK_IN)
    priority = models.PositiveSmallIntegerField(default=0)
    number = models.CharField(max_length=20)
    serial = models.PositiveIntegerField()
    service_day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    issued_at = models.DateTimeField()
    # Place in the queue: issued_at, or the transfer time when a hall doesn't keep places.
    queued_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    last_called_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    # The window code as logged (kept if the window is later removed).
    window_code = models.CharField(max_length=32, blank=True, default="")
    recall_count = models.PositiveSmallIntegerField(default=0)
    idempotency_key = models.CharField(max_length=128, null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "origin_zone", "service_day", "serial"], name="ticket_unique_number"
            ),
            models.UniqueConstraint(
                fields=["hall", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ticket_unique_idempotency_key",
            ),
            # A window has at most one ticket called or being served.
            models.UniqueConstraint(
                fields=["window"],
                condition=Q(status__in=["called", "serving"]),
                name="ticket_one_current_per_window",
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="ticket_status_valid"),
            models.CheckConstraint(
                condition=Q(called_at__isnull=True) | Q(called_at__gte=F("issued_at")),
                name="ticket_called_after_issued",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(finished_at__gte=F("issued_at")),
                name="ticket_finished_after_issued",
            ),
            models.CheckConstraint(condition=Q(serial__gte=1), name="ticket_serial_positive"),
        ]
        indexes = [
            models.Index(fields=["zone", "status", "priority", "queued_at"], name="ticket_queue_idx"),
            models.Index(fields=["hall", "issued_at"], name="ticket_hall_issued_idx"),
            models.Index(fields=["status", "issued_at"], name="ticket_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.status})"

    @property
    def outcome(self) -> str:
        return self.status if self.status in (Status.SERVED, Status.NO_SHOW, Status.CANCELLED) else ""


class TicketEvent(models.Model):
    """The audit trail: every change of a ticket, written in the same transaction."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    at = models.DateTimeField()
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="ticketevent_ticket_idx")]


class DailyCounter(models.Model):
    """The last serial issued per hall, zone and service day; its row lock orders the numbers."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="+")
    service_day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "zone", "service_day"], name="counter_unique_day")
        ]
