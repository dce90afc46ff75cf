"""政小云 conversations: a citizen talks to the bot, may be handed over to an online staff member,
and may end in a remote ticket or a booking. Message text is stored with personal data masked."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class State(models.TextChoices):
    BOT = "bot", "智能客服"
    WAITING = "waiting", "等待人工"
    STAFF = "staff", "人工服务中"
    CLOSED = "closed", "已结束"


class Outcome(models.TextChoices):
    BOT = "bot", "智能客服解决"
    STAFF = "staff", "人工客服解决"
    WINDOW = "window", "转到窗口(取号/预约)"
    ABANDONED = "abandoned", "未解决离开"


class Sender(models.TextChoices):
    CITIZEN = "citizen", "群众"
    BOT = "bot", "政小云"
    STAFF = "staff", "工作人员"
    SYSTEM = "system", "系统"


class Conversation(models.Model):
    token = models.CharField(max_length=40, unique=True)  # the citizen's secret handle, random
    subject = models.CharField(max_length=64, blank=True)  # salted hash of the browser's session id
    state = models.CharField(max_length=8, choices=State.choices, default=State.BOT)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)  # "" while undecided
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    bot_answered = models.BooleanField(default=False)  # the bot gave at least one answer card
    handed_over_at = models.DateTimeField(null=True, blank=True)
    question = models.CharField(max_length=500, blank=True)  # the question handed over (masked)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    staff_label = models.CharField(max_length=60, blank=True)  # "李** (工号 1023)", masked
    staff_answered = models.BooleanField(default=False)
    ticket_id = models.CharField(max_length=64, blank=True)
    booking_code = models.CharField(max_length=32, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = verbose_name_plural = "政小云会话"
        indexes = [
            models.Index(fields=["state", "handed_over_at"], name="assistant_inbox_idx"),
            models.Index(fields=["state", "updated_at"], name="assistant_idle_idx"),
            models.Index(fields=["started_at"], name="assistant_started_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="staff") | models.Q(claimed_by__isnull=False),
                name="assistant_staff_has_claimer",
            ),
        ]


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(max_length=8, choices=Sender.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_label = models.CharField(max_length=60, blank=True)
    text = models.TextField(blank=True)  # personal data masked before it is stored
    payload = models.JSONField(default=dict, blank=True)  # answer cards, follow-up options
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["conversation", "id"], name="assistant_message_idx")]
