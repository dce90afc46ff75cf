"""Certificate records, their reminders (one row per record × step), the delivery log and opt-outs.

No clear certificate number is stored anywhere; the clear phone exists only sealed (see crypto.py).
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q

DEFAULT_TEMPLATE = (
    "【政务服务提醒】{holder}您好，您的{type}（{number}）将于{expiry}到期，"
    "请及时办理“{matter}”，{channel_hint}。退订回复TD或点 {optout}"
)


class CertificateType(models.Model):
    """A kind of certificate: which matter renews it, whether that is online, when to remind."""

    code = models.SlugField("编码", max_length=40, unique=True)
    name = models.CharField("证照名称", max_length=60, unique=True)
    renewal_matter_code = models.CharField("换证事项编码", max_length=64)
    renewal_matter_name = models.CharField("换证事项名称", max_length=200)
    online = models.BooleanField("可网上办理", default=False)
    online_hint = models.CharField("网办提示", max_length=100, default="可在浙里办/网上办理，无需跑腿")
    hall_hint = models.CharField("到厅提示", max_length=100, default="请携带原证件到就近政务服务中心办理")
    steps = models.JSONField("提醒节点(到期前天数)", default=list, help_text="e.g. [60, 15]")
    quiet_start = models.TimeField("免打扰开始", default=dt.time(21, 0))
    quiet_end = models.TimeField("免打扰结束", default=dt.time(8, 0))
    timezone = models.CharField("时区", max_length=40, default="Asia/Shanghai")
    template = models.TextField("短信模板", default=DEFAULT_TEMPLATE)
    # For an ID card the number is the holder: its pseudonym links reminders to hall tickets.
    number_is_subject = models.BooleanField("证号即办事人标识", default=False)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "证照类型"

    def __str__(self) -> str:
        return self.name

    @property
    def channel_hint(self) -> str:
        return self.online_hint if self.online else self.hall_hint


class CertificateRecord(models.Model):
    """One certificate of one holder; the same (type, number) re-imported updates this row."""

    type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="records")
    holder_name = models.CharField("持证人", max_length=100)
    number_masked = models.CharField("证号(脱敏)", max_length=40)
    number_hash = models.CharField(max_length=64)
    expires_on = models.DateField("到期日")
    phone_masked = models.CharField("手机(脱敏)", max_length=20)
    phone_hash = models.CharField(max_length=64, db_index=True)
    phone_sealed = models.CharField(max_length=200)
    subject = models.CharField("办事人标识(假名)", max_length=64, blank=True, default="")
    imported_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_on", "id"]
        verbose_name = verbose_name_plural = "证照记录"
        constraints = [
            models.UniqueConstraint(fields=["type", "number_hash"], name="reminders_record_once"),
        ]
        indexes = [models.Index(fields=["subject"], name="reminders_record_subject_idx")]

    def __str__(self) -> str:
        return f"{self.type_id} {self.number_masked}"


class Reminder(models.Model):
    """One SMS to send: a record × a step before one expiry date.

    `key` is the message id sent as the gateway's `request_id` on every attempt (the gateway
    drops a repeat). Claimed with a compare-and-swap on `attempts` before anything is sent."""

    class State(models.TextChoices):
        PLANNED = "planned", "待发送"
        SENT = "sent", "已提交网关"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "失败"
        OPTED_OUT = "opted_out", "已退订"
        CANCELLED = "cancelled", "已取消"

    record = models.ForeignKey(CertificateRecord, on_delete=models.CASCADE, related_name="reminders")
    step_days = models.PositiveSmallIntegerField("到期前天数")
    expires_on = models.DateField("到期日")
    key = models.CharField(max_length=64, unique=True)
    due_at = models.DateTimeField("计划发送")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PLANNED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # failed, opted out or cancelled
    gateway_id = models.CharField(max_length=80, blank=True, default="")
    last_error = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = verbose_name_plural = "提醒"
        constraints = [
            models.UniqueConstraint(
                fields=["record", "expires_on", "step_days"], name="reminders_once_per_step"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["planned", "sent", "delivered", "failed", "opted_out", "cancelled"]),
                name="reminders_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="reminders_due_idx")]

    def __str__(self) -> str:
        return f"{self.key} {self.state}"


class Delivery(models.Model):
    """The delivery log: one row per attempt, written when the attempt is claimed, then completed.

    A row still `sending` is an attempt whose worker died before it learned the answer."""

    class Outcome(models.TextChoices):
        SENDING = "sending", "发送中/中断"
        ACCEPTED = "accepted", "网关已接收"
        DELIVERED = "delivered", "已送达"
        ERROR = "error", "发送失败"
        REPORT_FAILED = "undelivered", "未送达(回执)"

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="deliveries")
    attempt = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.SENDING)
    detail = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "发送记录"
        constraints = [
            models.UniqueConstraint(fields=["reminder", "attempt"], name="reminders_delivery_attempt_once")
        ]


class OptOut(models.Model):
    """A phone that asked for no more reminders (by replying TD/退订, the link, or at a manager's request)."""

    class Source(models.TextChoices):
        REPLY = "reply", "短信回复"
        LINK = "link", "退订链接"
        MANAGE = "manage", "管理员操作"

    phone_hash = models.CharField(max_length=64, unique=True)
    phone_masked = models.CharField("手机(脱敏)", max_length=20)
    source = models.CharField(max_length=10, choices=Source.choices)
    record = models.ForeignKey(
        CertificateRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        verbose_name = verbose_name_plural = "退订"


class GatewayConfig(models.Model):
    """Which SMS gateway the reminders use when settings don't say (one row, pk=1).

    `fake:` is the built-in fake gateway of the demo: nothing leaves the server, every message is
    "delivered" and recorded in the delivery log."""

    url = models.CharField("短信网关地址", max_length=300, blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True)
