"""`{% rating_panel ticket %}`: the rating form, the re-rating invitation or the thanks of a ticket."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from govhall import clock
from govhall.ratings.models import TAGS, Level
from govhall.ratings.services import panel_state

register = template.Library()

LEVELS = [(level.value, level.label) for level in sorted(Level, key=lambda x: -x.value)]


def panel_context(ticket_id: str, status: str, *, action: str, rerate_action: str) -> dict[str, Any]:
    state = panel_state(ticket_id, status)
    return {
        **state,
        "ticket_id": ticket_id,
        "levels": LEVELS,
        "tags": list(TAGS.items()),
        "action": action,
        "rerate_action": rerate_action,
    }


@register.inclusion_tag("ratings/_panel.html", takes_context=True)
def rating_panel(context: template.Context, ticket: dict[str, Any]) -> dict[str, Any]:
    ticket_id = str(ticket.get("id", ""))
    data = panel_context(
        ticket_id,
        str(ticket.get("status", "")),
        action=f"/ratings/tickets/{ticket_id}/rate",
        rerate_action=f"/ratings/tickets/{ticket_id}/rerate",
    )
    data["csrf_token"] = context.get("csrf_token")
    data["watch"] = ticket.get("status") in ("called", "serving", "on_hold")
    return data


@register.filter
def percent(value: float | None) -> str:
    """0.9753 → 97.5%; None (nothing rated) → —."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"


@register.filter
def hall_time(moment: dt.datetime | None, tz: str) -> str:
    """A moment in the hall's own time zone: 11-24 15:24."""
    return clock.local(moment, tz).strftime("%m-%d %H:%M") if moment else ""
