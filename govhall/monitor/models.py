"""Alerts, the live monitor's claim row, recipients and the notification outbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from govhall.halls.models import Hall, Zone


class Kind(models.TextChoices):
    OVERTIME = "overtime", "超时未叫号"
    YELLOW = "yellow", "黄色预警"
    RED = "red", "红色预警"
    FLOW = "flow", "客流预警"
    WAIT = "wait", "等候时长预警"


# Kinds raised once per crossing (zone, kind, second) rather than once per ticket.
CROSSING_KINDS = [Kind.YELLOW.value, Kind.RED.value, Kind.FLOW.value, Kind.WAIT.value]


class Alert(models.Model):
    """One raised alert. The constraints make raising idempotent: overtime once per ticket,
    yellow/red once per crossing (zone, kind, second), whichever worker gets there first."""

    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="alerts")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="alerts")
    ticket = models.ForeignKey(
        "queueing.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    # The ticket id as logged: kept (and unique) even if the ticket row goes away.
    ticket_ref = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField("发生时间")
    raised_at = models.DateTimeField("发现时间")
    waiting = models.PositiveIntegerField("等候人数", null=True, blank=True)
    threshold = models.PositiveIntegerField("阈值", null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True, default="")
    # The highest escalation level already notified (0 = the zone's first recipients).
    escalation_level = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "预警"
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_ref"], condition=Q(kind="overtime"), name="alert_one_overtime_per_ticket"
            ),
            models.UniqueConstraint(
                fields=["zone", "kind", "at"],
                condition=Q(kind__in=CROSSING_KINDS),
                name="alert_one_per_crossing",
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="overtime", ticket_ref__gt="") | (~Q(kind="overtime") & Q(ticket_ref="")),
                name="alert_ticket_iff_overtime",
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "at"], name="alert_hall_at_idx"),
            models.Index(fields=["resolved_at", "acknowledged_at"], name="alert_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.hall_id}/{self.zone_id} {self.at:%Y-%m-%d %H:%M:%S}"


class Cursor(models.Model):
    """The live monitor's claim row: a cycle runs only for the worker whose compare-and-swap on
    `version` succeeds, and `upto` is where the last cycle's window ended."""

    name = models.CharField(primary_key=True, max_length=32)
    upto = models.DateTimeField(null=True, blank=True)
    version = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)


class Recipient(models.Model):
    """Who hears of a zone's alerts (the department head), through which notifier, and when.

    Level 0 is told when the alert is raised; level N ≥ 1 when the alert is still unacknowledged
    `delay_minutes` after it was raised (escalation)."""

    class Channel(models.TextChoices):
        WEBHOOK = "webhook", "签名Webhook"
        ROBOT = "robot", "群机器人(钉钉/浙政钉)"
        EMAIL = "email", "邮件"
        SMS = "sms", "短信网关"

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="alert_recipients")
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_recipients"
    )  # null: every zone of the hall
    name = models.CharField("姓名", max_length=100)
    channel = models.CharField("通道", max_length=10, choices=Channel.choices)
    address = models.CharField("地址", max_length=500, help_text="URL, e-mail address or phone number")
    secret = models.CharField("签名密钥", max_length=200, blank=True, default="")
    kinds = models.JSONField("预警类型", default=list, blank=True, help_text="empty: every kind")
    level = models.PositiveSmallIntegerField("升级级别", default=0)
    delay_minutes = models.PositiveIntegerField("未确认多少分钟后通知", default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["hall", "level", "name"]
        verbose_name = verbose_name_plural = "预警接收人"

    def __str__(self) -> str:
        return f"{self.name} ({self.channel})"

    def wants(self, kind: str) -> bool:
        return self.active and (not self.kinds or kind in self.kinds)


class Outbox(models.Model):
    """A notification to send, written in the alert's transaction; delivered by the worker.

    `key` is the idempotency key sent with every attempt, so a receiver dedupes a delivery that
    was sent but not marked sent before a crash. A row is claimed by moving `claimed_until`
    forward with a conditional update (compare-and-swap on `attempts`)."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"

    key = models.CharField(max_length=80, unique=True)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(Recipient, on_delete=models.CASCADE, related_name="deliveries")
    # Set for a dispatch notice (an action taken on the alert), empty for the alert itself.
    action = models.ForeignKey(
        "Action", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    level = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"],
                condition=Q(action__isnull=True),
                name="outbox_once_per_recipient",
            ),
            models.UniqueConstraint(
                fields=["action", "recipient"],
                condition=Q(action__isnull=False),
                name="outbox_once_per_action_recipient",
            ),
            models.CheckConstraint(condition=Q(state__in=["pending", "sent", "failed"]), name="outbox_state"),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx")]


class Action(models.Model):
    """What someone did about an alert: a tidal window opened or closed, staff dispatched.

    Recorded with who and when; the window change itself goes through the queueing services (so
    the queue and the screens see it at once)."""

    class Kind(models.TextChoices):
        TIDAL_OPEN = "tidal_open", "开启潮汐窗口"
        TIDAL_CLOSE = "tidal_close", "关闭潮汐窗口"
        DISPATCH = "dispatch", "调派人员"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField("操作", max_length=12, choices=Kind.choices)
    at = models.DateTimeField("时间")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField("操作人", max_length=150, blank=True, default="")
    window = models.ForeignKey(
        "halls.Window", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_name = models.CharField("窗口", max_length=100, blank=True, default="")
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    people = models.JSONField("人员", default=list, blank=True)
    predicted_wait_seconds = models.PositiveIntegerField("预计等候(秒)", null=True, blank=True)
    note = models.CharField("备注", max_length=500, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "预警处置"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["tidal_open", "tidal_close", "dispatch"]), name="action_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} on alert {self.alert_id}"
