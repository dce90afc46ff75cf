"""好差评: one rating per served ticket, and a follow-up case for every 差评."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from govhall.halls.models import Hall, Window, Zone


class Level(models.IntegerChoices):
    VERY_GOOD = 5, "非常满意"
    GOOD = 4, "满意"
    FAIR = 3, "基本满意"
    BAD = 2, "不满意"
    VERY_BAD = 1, "非常不满意"


GOOD_LEVELS = (Level.VERY_GOOD, Level.GOOD, Level.FAIR)
BAD_LEVELS = (Level.BAD, Level.VERY_BAD)

TAGS = {
    "attitude": "服务态度",
    "efficiency": "办事效率",
    "materials": "材料要求",
    "waiting": "等候时间",
    "guidance": "指引告知",
    "environment": "大厅环境",
    "other": "其他",
}


class Channel(models.TextChoices):
    PHONE = "phone", "手机排队页"
    PAD = "pad", "窗口评价器"
    SMS = "sms", "短信链接"
    AUTO = "auto", "默认好评"


class Rating(models.Model):
    """The citizen's rating of one served ticket; the OneToOne on `ticket` makes it exactly one."""

    ticket = models.OneToOneField("queueing.Ticket", on_delete=models.CASCADE, related_name="rating")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="ratings")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="ratings")
    window = models.ForeignKey(
        Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    window_code = models.CharField("窗口", max_length=32, blank=True, default="")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    matter_code = models.CharField("事项", max_length=64)
    ticket_number = models.CharField("票号", max_length=20)
    service_day = models.DateField("办理日期")
    level = models.PositiveSmallIntegerField("评价", choices=Level.choices)
    comment = models.CharField("意见", max_length=500, blank=True, default="")
    tags = models.JSONField("标签", default=list, blank=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices)
    rated_at = models.DateTimeField("评价时间")
    # The one follow-up rating after rectification; figures use it when present.
    re_level = models.PositiveSmallIntegerField("再评价", choices=Level.choices, null=True, blank=True)
    re_comment = models.CharField("再评价意见", max_length=500, blank=True, default="")
    re_rated_at = models.DateTimeField("再评价时间", null=True, blank=True)
    # An upheld appeal removes the rating from the figures (kept for the record).
    excluded = models.BooleanField("申诉成立不计入", default=False)

    class Meta:
        ordering = ["-rated_at", "-id"]
        verbose_name = verbose_name_plural = "评价"
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="rating_level_range"),
            models.CheckConstraint(
                condition=Q(re_level__isnull=True) | Q(re_level__gte=1, re_level__lte=5),
                name="rating_re_level_range",
            ),
            models.CheckConstraint(
                condition=Q(re_level__isnull=True) | Q(re_rated_at__isnull=False),
                name="rating_re_level_has_time",
            ),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="rating_channel_valid"),
        ]
        indexes = [
            models.Index(fields=["hall", "service_day"], name="rating_hall_day_idx"),
            models.Index(fields=["staff", "service_day"], name="rating_staff_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number} {self.get_level_display()}"

    @property
    def final_level(self) -> int:
        return self.re_level if self.re_level is not None else self.level

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS


class Step(models.TextChoices):
    VERIFY = "verify", "待核实"
    CALLBACK = "callback", "待回访"
    RECTIFY = "rectify", "待整改"
    RERATE = "rerate", "待再评价"
    CLOSED = "closed", "已办结"


class Finding(models.TextChoices):
    TRUE = "true", "属实"
    PARTLY = "partly", "部分属实"
    FALSE = "false", "不属实"


class Appeal(models.TextChoices):
    NONE = "", "无"
    PENDING = "pending", "申诉待审"
    UPHELD = "upheld", "申诉成立"
    REJECTED = "rejected", "申诉驳回"


class CloseReason(models.TextChoices):
    RERATED = "rerated", "已再评价"
    NO_RERATING = "no_rerating", "邀请期满未再评价"
    APPEAL_UPHELD = "appeal_upheld", "申诉成立"


class Case(models.Model):
    """A 差评 case: verify → call back (1 working day) → rectify (15 working days) → re-rating."""

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="case")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="rating_cases")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rating_cases",
    )
    step = models.CharField("当前环节", max_length=10, choices=Step.choices, default=Step.VERIFY)
    opened_at = models.DateTimeField("立案时间")
    callback_due = models.DateTimeField("回访时限")
    rectify_due = models.DateTimeField("整改时限")
    rerate_due = models.DateTimeField("再评价截止", null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    finding = models.CharField("核实结果", max_length=8, choices=Finding.choices, blank=True, default="")
    verify_note = models.CharField("核实情况", max_length=1000, blank=True, default="")
    called_back_at = models.DateTimeField(null=True, blank=True)
    callback_note = models.CharField("回访情况", max_length=1000, blank=True, default="")
    rectified_at = models.DateTimeField(null=True, blank=True)
    rectify_note = models.CharField("整改措施", max_length=1000, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True, default="")
    appeal = models.CharField("申诉", max_length=10, choices=Appeal.choices, blank=True, default="")
    appeal_text = models.CharField("申诉理由", max_length=2000, blank=True, default="")
    appealed_at = models.DateTimeField(null=True, blank=True)
    appealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence_name = models.CharField(max_length=200, blank=True, default="")
    evidence_type = models.CharField(max_length=100, blank=True, default="")
    # Small evidence files (≤ 2 MB) live in the row: no media storage to configure or back up apart.
    evidence = models.BinaryField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField("审核意见", max_length=1000, blank=True, default="")

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = verbose_name_plural = "差评工单"
        constraints = [
            models.CheckConstraint(condition=Q(step__in=Step.values), name="case_step_valid"),
            models.CheckConstraint(
                condition=Q(step="closed", closed_at__isnull=False)
                | (~Q(step="closed") & Q(closed_at__isnull=True)),
                name="case_closed_iff_time",
            ),
            models.CheckConstraint(condition=Q(appeal__in=Appeal.values), name="case_appeal_valid"),
        ]
        indexes = [models.Index(fields=["hall", "step"], name="case_hall_step_idx")]

    def __str__(self) -> str:
        return f"差评工单 {self.pk} ({self.get_step_display()})"


class Notice(models.Model):
    """An escalation of an overdue case step, to one of the hall's monitor recipients.

    Delivered through the monitor's notifiers with its claim/backoff rules; `key` is the
    idempotency key every attempt carries, and the unique (case, step, recipient) makes raising
    an overdue step idempotent whichever worker gets there first."""

    class State(models.TextChoices):
        PENDING = "pending", "待发送"
        SENT = "sent", "已发送"
        FAILED = "failed", "失败"

    key = models.CharField(max_length=80, unique=True)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    step = models.CharField(max_length=10, choices=Step.choices)
    recipient = models.ForeignKey("monitor.Recipient", on_delete=models.CASCADE, related_name="+")
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
                fields=["case", "step", "recipient"], name="notice_once_per_step_recipient"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notice_due_idx")]


class Overdue(models.Model):
    """That a case step went past its deadline (one row per case and step), kept even when no
    recipient is configured, so the manage page and the figures show it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="overdues")
    step = models.CharField(max_length=10, choices=Step.choices)
    due = models.DateTimeField()
    noticed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="overdue_once_per_step")]


class HallSettings(models.Model):
    """Per-hall rating rules: default 基本满意 after N days unrated (off when null), make-up workdays."""

    hall = models.OneToOneField(Hall, on_delete=models.CASCADE, related_name="rating_settings")
    default_after_days = models.PositiveSmallIntegerField(
        "未评价几天后默认基本满意", null=True, blank=True, help_text="留空表示不默认评价"
    )
    workdays = models.JSONField("调休上班日", default=list, blank=True)
    rerate_days = models.PositiveSmallIntegerField("再评价邀请有效工作日", default=5)

    class Meta:
        verbose_name = verbose_name_plural = "好差评设置"
