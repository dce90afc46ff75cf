"""Stored reports (weekly and monthly, per hall and for the city) and the tidal openings they count."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from govhall.halls.models import Hall

CITY = "city"  # the scope of a whole-city report (a hall code otherwise)


class Report(models.Model):
    """One report for one period and scope; generated once, by whoever claims it first.

    A worker claims a report by moving it to `running` with a conditional update (the `version`
    compare-and-swap), so two workers never both generate it; a claim that outlives
    `claimed_until` (a crashed worker) may be taken over."""

    class Kind(models.TextChoices):
        WEEK = "week", "周报"
        MONTH = "month", "月报"

    class State(models.TextChoices):
        PENDING = "pending", "待生成"
        RUNNING = "running", "生成中"
        DONE = "done", "已生成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    scope = models.CharField("范围", max_length=64)  # CITY or the hall's code
    hall = models.ForeignKey(Hall, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    period_start = models.DateField("起始日")
    period_end = models.DateField("截止日")  # inclusive
    state = models.CharField("状态", max_length=8, choices=State.choices, default=State.PENDING)
    version = models.PositiveIntegerField(default=0)
    claimed_until = models.DateTimeField(null=True, blank=True)
    requested_by = models.CharField(max_length=150, blank=True, default="")  # "" = the schedule
    created_at = models.DateTimeField()
    generated_at = models.DateTimeField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_seconds = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-period_start", "kind", "scope"]
        verbose_name = verbose_name_plural = "报表"
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope", "period_start"], name="report_one_per_period"),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="report_period"
            ),
            models.CheckConstraint(condition=Q(scope="city") | Q(hall__isnull=False), name="report_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scope} {self.period_start}"


class TidalOpening(models.Model):
    """A tidal window opened (copied from the hall's `window.changed` events, which are pruned)."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField()  # the event's id in the hall's event log
    window_code = models.CharField(max_length=32)
    window_name = models.CharField(max_length=100, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["hall", "seq"]
        constraints = [models.UniqueConstraint(fields=["hall", "seq"], name="tidal_once_per_event")]
        indexes = [models.Index(fields=["hall", "at"], name="tidal_hall_at_idx")]
