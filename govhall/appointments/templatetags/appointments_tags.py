"""`{% ticket_end ticket %}`: on the citizen's /t/{id} page, why a ticket ended without being
served (closing time, emergency closure, …), so a cancellation never goes unexplained."""

from __future__ import annotations

from typing import Any

from django import template

from govhall.queueing.models import Ticket

register = template.Library()

EXPLAINED = ("cancelled", "no_show")


@register.inclusion_tag("appointments/ticket_end.html")
def ticket_end(ticket: dict[str, Any]) -> dict[str, Any]:
    reason = ""
    if ticket.get("status") in EXPLAINED:
        reason = Ticket.objects.filter(pk=ticket.get("id")).values_list("reason", flat=True).first() or ""
    return {"reason": reason}
