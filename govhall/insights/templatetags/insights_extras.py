"""Template helpers of the insights pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key` — a dict lookup by a variable key."""
    return mapping.get(key) if hasattr(mapping, "get") else None
