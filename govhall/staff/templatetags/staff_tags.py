"""The console's clock-in/out control (govhall/staff/templates/staff/console_attendance.html)."""

from __future__ import annotations

from typing import Any

from django import template

from govhall.staff import attendance

register = template.Library()


@register.inclusion_tag("staff/_clock.html", takes_context=True)
def clock_control(context: Any, hall: Any, console: Any = None) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    window = (console or {}).get("window") if isinstance(console, dict) else None
    code = (window.get("code") if isinstance(window, dict) else getattr(window, "code", "")) or ""
    return {
        "hall": hall,
        "window_code": code,
        "att": attendance.clock_state(user, hall),
        "error": "",
        "csrf_token": context.get("csrf_token", ""),
    }
