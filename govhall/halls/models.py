"""Halls, zones, windows and service points: where people are served."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Hall(models.Model):
    class Level(models.TextChoices):
        CITY = "city", _("市级中心")
        TOWN = "town", _("镇(街道)便民服务中心")
        VILLAGE = "village", _("村(社区)代办点")

    code = models.SlugField("编码", max_length=64, unique=True, allow_unicode=True)
    name = models.CharField("名称", max_length=200)
    level = models.CharField("层级", max_length=10, choices=Level.choices, default=Level.CITY)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    address = models.CharField("地址", max_length=300, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    timezone = models.CharField("时区", max_length=64, default="Asia/Shanghai")
    opening_hours = models.JSONField("开放时间", default=dict, blank=True)
    closed_dates = models.JSONField("闭厅日期", default=list, blank=True)
    # Per-hall policy: who is next, transfers, limits (see queueing.policy).
    policy = models.JSONField("叫号策略", default=dict, blank=True)
    # Increases with every stored realtime event of the hall; the row lock orders events.
    event_seq = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["level", "code"]
        verbose_name = verbose_name_plural = "大厅"

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="zones")
    code = models.CharField("编码", max_length=32)
    name = models.CharField("名称", max_length=100)
    prefix = models.CharField("号码前缀", max_length=8)
    overtime_minutes = models.PositiveIntegerField("超时提醒(分钟)", default=15)
    yellow_waiting = models.PositiveIntegerField("黄色预警人数", null=True, blank=True)
    red_waiting = models.PositiveIntegerField("红色预警人数", null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["hall", "position", "code"]
        verbose_name = verbose_name_plural = "功能区"
        constraints = [models.UniqueConstraint(fields=["hall", "code"], name="zone_unique_code")]

    def __str__(self) -> str:
        return f"{self.hall.code}/{self.code} {self.name}"


class ZoneMatter(models.Model):
    """A matter handled in a zone; a matter is in at most one zone of a hall.

    The matter is named by code so a hall file may list matters the catalogue doesn't have yet.
    """

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="zone_matters")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="zone_matters")
    matter_code = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "matter_code"], name="zonematter_one_zone")]


class Window(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("开放")
        PAUSED = "paused", _("暂停")
        CLOSED = "closed", _("关闭")

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="windows")
    code = models.CharField("编码", max_length=32)
    name = models.CharField("名称", max_length=100)
    zones = models.ManyToManyField(Zone, related_name="windows", verbose_name="服务功能区")
    tidal = models.BooleanField("潮汐窗口", default=False)
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    # Consecutive priority calls, for the per-hall cap in the calling policy.
    priority_streak = models.PositiveSmallIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["hall", "position", "code"]
        verbose_name = verbose_name_plural = "窗口"
        constraints = [models.UniqueConstraint(fields=["hall", "code"], name="window_unique_code")]

    def __str__(self) -> str:
        return f"{self.hall.code}/{self.name}"


class ServicePoint(models.Model):
    """Bank and post outlets, village points and kiosks that serve matters near people."""

    class Kind(models.TextChoices):
        VILLAGE = "village", _("村(社区)代办点")
        BANK = "bank", _("银行网点")
        POST = "post", _("邮政网点")
        KIOSK = "kiosk", _("自助终端")

    code = models.SlugField("编码", max_length=64, unique=True, allow_unicode=True)
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    hall = models.ForeignKey(Hall, verbose_name="所属中心", on_delete=models.CASCADE, related_name="points")
    address = models.CharField("地址", max_length=300, blank=True)
    lat = models.FloatField("纬度", null=True, blank=True)
    lon = models.FloatField("经度", null=True, blank=True)
    matters = models.JSONField("可办事项", default=list, blank=True)

    class Meta:
        ordering = ["hall", "code"]
        verbose_name = verbose_name_plural = "服务网点"

    def __str__(self) -> str:
        return self.name


def as_dict(hall: Hall) -> dict[str, Any]:
    return {"code": hall.code, "name": hall.name, "level": hall.level, "lat": hall.lat, "lon": hall.lon}
