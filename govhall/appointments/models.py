"""Bookable slots and bookings, per-ticket details (无证办理, green channel, proxies, phone) and
the notices sent to citizens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from govhall.halls.models import Hall, Zone
from govhall.queueing.models import Ticket


class Slot(models.Model):
    """A bookable period of one zone; `booked` is the locked counter: it only moves by a
    conditional UPDATE (`booked < capacity`), and the check constraint is the last guard."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="slots")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="slots")
    day = models.DateField("日期")
    start = models.DateTimeField("开始")
    end = models.DateTimeField("结束")
    capacity = models.PositiveIntegerField("可预约数")
    booked = models.PositiveIntegerField("已预约", default=0)
    # A manager set the capacity by hand: re-planning leaves it alone.
    edited = models.BooleanField(default=False)

    class Meta:
        ordering = ["start", "zone"]
        verbose_name = verbose_name_plural = "预约时段"
        constraints = [
            models.UniqueConstraint(fields=["zone", "start"], name="slot_unique_start"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="slot_not_overbooked"),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="slot_ends_after_start"),
        ]
        indexes = [models.Index(fields=["hall", "day"], name="slot_hall_day_idx")]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.start:%Y-%m-%d %H:%M} {self.booked}/{self.capacity}"

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.booked)


class Booking(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "已预约"
        CHECKED_IN = "checked_in", "已签到"
        CANCELLED = "cancelled", "已取消"
        MISSED = "missed", "预约未到"

    code = models.CharField("预约码", max_length=12, unique=True)
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="bookings")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="bookings")
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="bookings")
    matter_code = models.CharField(max_length=64)
    subject = models.CharField(max_length=64)  # pseudonymous
    # The phone is needed to send notices; every view shows `phone_masked`.
    phone = models.CharField(max_length=20, blank=True, default="")
    phone_masked = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    created_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reschedules = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=200, blank=True, default="")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # 无证办理, green channel and proxy, carried to the ticket at check-in (masked, see TicketDetail).
    extras = models.JSONField(default=dict, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "预约"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["booked", "checked_in", "cancelled", "missed"]), name="booking_status"
            ),
            # One live booking per subject and slot.
            models.UniqueConstraint(
                fields=["subject", "slot"], condition=Q(status="booked"), name="booking_once_per_slot"
            ),
        ]
        indexes = [
            models.Index(fields=["subject", "status"], name="booking_subject_idx"),
            models.Index(fields=["status", "slot"], name="booking_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.status})"


class TicketDetail(models.Model):
    """What a ticket carries beyond the queue core: the phone for notices, the booking it came
    from, an e-certificate reference (无证办理), the green-channel kind and a proxy (亲友代办).
    Only masked references are stored, except the phone, which notices need (shown masked)."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="detail")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    phone = models.CharField(max_length=20, blank=True, default="")
    phone_masked = models.CharField(max_length=20, blank=True, default="")
    identity_kind = models.CharField(max_length=20, blank=True, default="")  # e_certificate | data_sharing
    identity_ref_masked = models.CharField(max_length=64, blank=True, default="")
    identity_covers = models.JSONField(default=list, blank=True)
    green_kind = models.CharField(max_length=40, blank=True, default="")
    green_proof = models.CharField(max_length=200, blank=True, default="")
    proxy_name_masked = models.CharField(max_length=40, blank=True, default="")
    proxy_id_masked = models.CharField(max_length=40, blank=True, default="")
    principal_name_masked = models.CharField(max_length=40, blank=True, default="")
    principal_id_masked = models.CharField(max_length=40, blank=True, default="")
    relation = models.CharField(max_length=20, blank=True, default="")
    # The client's own Idempotency-Key of a remote ticket (the ticket's key is derived, see
    # services.take_remote_ticket), so a resend finds its ticket.
    request_key = models.CharField(max_length=128, blank=True, default="", db_index=True)
    near_notice_at = models.DateTimeField(null=True, blank=True)
    closing_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "取号附加信息"


class Notice(models.Model):
    """A message to a citizen's phone, sent through the SMS notifier by the worker (at least once;
    the key makes the gateway drop repeats)."""

    class Kind(models.TextChoices):
        NEAR_TURN = "near_turn", "即将叫号"
        CLOSING = "closing", "下班取消"
        CLOSED_DAY = "closed_day", "闭厅取消"
        BOOKED = "booked", "预约成功"

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    phone = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "群众通知"
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="appt_notice_due_idx")]
