"""Models of remotehelp: which matters a point may handle remotely, the video sessions, their
events (history, chat and signalling) and the uploaded materials (kept in the database, never
under the web root)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from govhall.halls.models import Hall, ServicePoint, Window


class RemoteMatter(models.Model):
    """A matter the point may handle with a clerk on video."""

    point = models.ForeignKey(ServicePoint, on_delete=models.CASCADE, related_name="remote_matters")
    matter_code = models.CharField("事项编码", max_length=64)
    enabled = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["point", "matter_code"]
        verbose_name = verbose_name_plural = "远程帮办事项"
        constraints = [models.UniqueConstraint(fields=["point", "matter_code"], name="remotematter_unique")]


class SessionStatus(models.TextChoices):
    WAITING = "waiting", "等候接入"
    OPEN = "open", "视频办理中"
    CLOSED = "closed", "已结束"


class Outcome(models.TextChoices):
    DONE = "done", "已办结"
    REFERRED = "referred", "需到大厅现场办理"
    UNFINISHED = "unfinished", "未办结(材料不全等)"
    CANCELLED = "cancelled", "已取消"


class RemoteSession(models.Model):
    id = models.CharField(primary_key=True, max_length=32)
    ticket_id = models.CharField(max_length=64, unique=True)
    point = models.ForeignKey(ServicePoint, on_delete=models.PROTECT, related_name="remote_sessions")
    hall = models.ForeignKey(Hall, on_delete=models.PROTECT, related_name="remote_sessions")
    matter_code = models.CharField(max_length=64)
    number = models.CharField(max_length=16)
    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=SessionStatus.choices, default=SessionStatus.WAITING)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "远程帮办会话"
        indexes = [models.Index(fields=["point", "created_at"], name="remotesession_point_idx")]


class SessionEvent(models.Model):
    """One thing that happened in a session. `signal` rows carry WebRTC signalling between the two
    sides (they are relayed, not history, and are dropped when the session closes)."""

    class Kind(models.TextChoices):
        CREATED = "created", "取号"
        ACCEPTED = "accepted", "窗口接入"
        MATERIAL = "material", "上传材料"
        CHAT = "chat", "文字消息"
        CLOSED = "closed", "结束"
        SIGNAL = "signal", "信令"

    session = models.ForeignKey(RemoteSession, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    side = models.CharField(max_length=8, blank=True)  # "point" or "window"
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=1000, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["session", "id"], name="sessionevent_session_idx")]


class Material(models.Model):
    session = models.ForeignKey(RemoteSession, on_delete=models.CASCADE, related_name="materials")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["uploaded_at", "id"]
