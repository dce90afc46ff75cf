"""Demand per matter: window tickets in a hall (or the city) plus what citizens chose after a search.

A window visit for a matter that could have been done online is exactly what the booklet should
prevent, so tickets weigh as much as clicks. Clicks carry no hall, so a hall's booklet counts the
city's clicks too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Count

from govhall.guide.models import Click
from govhall.halls.models import Hall
from govhall.queueing.models import Ticket


def ticket_counts(since: dt.datetime, until: dt.datetime, hall: Hall | None) -> Counter[str]:
    found = Ticket.objects.filter(issued_at__gte=since, issued_at__lt=until)
    if hall is not None:
        found = found.filter(hall=hall)
    rows = found.values("matter_code").annotate(n=Count("id")).values_list("matter_code", "n")
    return Counter(dict(rows))


def click_counts(since: dt.datetime, until: dt.datetime) -> Counter[str]:
    """People, not clicks: one person choosing a matter again and again counts once."""
    rows = (
        Click.objects.filter(at__gte=since, at__lt=until)
        .values("matter_code")
        .annotate(n=Count("subject", distinct=True))
        .values_list("matter_code", "n")
    )
    return Counter(dict(rows))


def demand(since: dt.datetime, until: dt.datetime, hall: Hall | None) -> Counter[str]:
    return ticket_counts(since, until, hall) + click_counts(since, until)
