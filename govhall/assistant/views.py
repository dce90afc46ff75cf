"""Manage pages of 政小云: the online staff's inbox and the weekly bot / staff / window shares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie

from govhall.accounts.models import Role
from govhall.assistant import queries, services
from govhall.web.manage import manage_view

OUTCOMES = [("staff", "人工解答"), ("window", "转窗口办理"), ("abandoned", "未解决")]


@manage_view(Role.STAFF)
def manage(request: HttpRequest) -> HttpResponse:
    weeks = queries.weekly_shares(8)
    return render(
        request,
        "assistant/manage.html",
        {"weeks": weeks, "goal": queries.goal(), "open": queries.open_counts()},
    )


@never_cache
@ensure_csrf_cookie
@manage_view(Role.STAFF)
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "assistant/inbox.html",
        {"items": services.inbox_view(request.user), "outcomes": OUTCOMES},
    )
