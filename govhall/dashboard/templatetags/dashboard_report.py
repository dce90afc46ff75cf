"""Formatting for the reports: seconds as minutes, shares as percentages, table cells."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()
SECONDS = ("_seconds",)
LIMITS = {"by_matter": 20}


@register.filter
def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


@register.filter
def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


@register.filter
def cell(row: dict[str, Any], key: str) -> str:
    """A table cell as shown: waits and handling in minutes, shares in percent."""
    value = row.get(key)
    if value is None:
        return "—"
    if key.endswith("_seconds"):
        return minutes(value)
    if key.startswith("share"):
        return percent(value)
    return str(value)


@register.filter
def cellclass(key: str) -> str:
    return "" if key in ("date", "weekday", "hall", "zone", "name", "matter", "channel", "bucket", "hour",
                         "window", "staff", "level") else "num"  # fmt: skip


@register.filter
def limit(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return rows[: LIMITS[key]] if key in LIMITS else rows


@register.filter
def shown_label(label: str) -> str:
    """Exports carry seconds; the page shows minutes."""
    return label.replace("(秒)", "(分钟)")
