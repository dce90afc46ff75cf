"""Who may do what, where: roles scoped to halls, and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

from govhall.halls.models import Hall


class Role(models.TextChoices):
    STAFF = "staff", "窗口人员"
    MANAGER = "manager", "大厅负责人"
    ADMIN = "admin", "系统管理员"


RANK = {Role.STAFF: 1, Role.MANAGER: 2, Role.ADMIN: 3}


class Membership(models.Model):
    """A user's role; `hall` null means every hall (city administrators)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.STAFF)
    hall = models.ForeignKey(Hall, verbose_name="所属大厅", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        verbose_name = verbose_name_plural = "人员角色"

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.hall or '全市'}"


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = verbose_name_plural = "API 令牌"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: object, label: str = "") -> str:
        token = "gh_" + secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=cls.hash(token), label=label)
        return token
