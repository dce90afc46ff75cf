"""Public pages."""

from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from govhall.queueing import queries
from govhall.queueing.models import Ticket


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/index.html", {"halls": queries.halls_load()})


def ticket_page(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = Ticket.objects.select_related("hall", "zone").filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("no such ticket")
    return render(request, "web/ticket.html", {"ticket": queries.ticket_view(ticket), "hall": ticket.hall})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("select 1")
    return JsonResponse({"ok": True, "database": connection.vendor})
