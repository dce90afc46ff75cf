"""The catalogue of government service matters (事项目录)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

AUDIENCES = ("person", "enterprise")
LEVELS = ("city", "town", "village")
CHANNELS = ("app", "web", "kiosk", "hall")
CHANNEL_LABELS = {"app": "掌上办", "web": "网上办", "kiosk": "自助终端", "hall": "窗口办"}


class Department(models.Model):
    name = models.CharField("部门", max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "部门"

    def __str__(self) -> str:
        return self.name


class Matter(models.Model):
    """A matter (事项): the unit people ask for, tickets are taken for and analytics count."""

    code = models.CharField("事项编码", max_length=64, unique=True)
    name = models.CharField("事项名称", max_length=300)
    department = models.ForeignKey(
        Department,
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="matters",
    )
    audience = models.JSONField("服务对象", default=list, blank=True)
    levels = models.JSONField("办理层级", default=list, blank=True)
    channels = models.JSONField("办理渠道", default=list, blank=True)
    max_visits = models.PositiveSmallIntegerField("到现场次数", default=1)
    promised_days = models.PositiveIntegerField("承诺时限(工作日)", default=0)
    fee = models.DecimalField("收费(元)", max_digits=12, decimal_places=2, default=Decimal("0"))
    materials = models.JSONField("申请材料", default=list, blank=True)
    keywords = models.JSONField("关键词", default=list, blank=True)
    scenarios = models.JSONField("办事场景", default=list, blank=True)
    description = models.TextField("说明", blank=True)
    extra = models.JSONField("其他字段", default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "事项"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def lightest_channel(self) -> str:
        """Four-level diversion: app → web → kiosk → hall."""
        return next((c for c in CHANNELS if c in self.channels), "hall")


class Situation(models.Model):
    """办事情形: one case of a matter with its own conditions, materials and steps."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="situations")
    name = models.CharField("情形", max_length=200)
    conditions = models.TextField("适用条件", blank=True)
    materials = models.JSONField("材料", default=list, blank=True)
    steps = models.JSONField("步骤", default=list, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["matter", "position", "id"]
        verbose_name = verbose_name_plural = "办事情形"
        constraints = [models.UniqueConstraint(fields=["matter", "name"], name="situation_unique_name")]

    def __str__(self) -> str:
        return f"{self.matter.name} · {self.name}"


class Bundle(models.Model):
    """一件事: a named set of matters done together with one combined list of materials."""

    code = models.CharField("编码", max_length=64, unique=True)
    name = models.CharField("名称", max_length=200)
    description = models.TextField("说明", blank=True)
    matters = models.ManyToManyField(Matter, related_name="bundles", verbose_name="包含事项")

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "一件事"

    def __str__(self) -> str:
        return self.name

    def combined_materials(self) -> list[str]:
        """Every material once, in first-seen order: the saving a bundle brings."""
        seen: dict[str, None] = {}
        for matter in self.matters.all():
            for item in matter.materials:
                seen.setdefault(item, None)
        return list(seen)
