"""Pages: the public booklet (/booklet/, /booklet/{hall}/ and their booklet.pdf) and the manage list."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from govhall.accounts.models import Role
from govhall.booklet import build
from govhall.booklet import render as printing
from govhall.halls.models import Hall
from govhall.queueing import ratelimit
from govhall.queueing.errors import TooManyRequests
from govhall.web.manage import Scope, manage_view


def _error(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(
        request, "booklet/error.html", {"reason": reason, "city_url": reverse("booklet:city")}, status=status
    )


def _booklet(request: HttpRequest, hall_code: str | None) -> build.Booklet | HttpResponse:
    try:
        hall = build.find_hall(hall_code)
    except build.BookletError as exc:
        return _error(request, str(exc), 404)
    try:
        options = build.Options.parse(request.GET)
    except build.BookletError as exc:
        return _error(request, str(exc), 400)
    return build.build(hall, options)


def _urls(code: str) -> tuple[str, str]:
    if code == build.CITY:
        return reverse("booklet:city"), reverse("booklet:city-pdf")
    return reverse("booklet:hall", args=[code]), reverse("booklet:hall-pdf", args=[code])


def _page(request: HttpRequest, hall_code: str | None) -> HttpResponse:
    found = _booklet(request, hall_code)
    if isinstance(found, HttpResponse):
        return found
    query = request.GET.urlencode()
    halls = list(Hall.objects.order_by("level", "code"))
    context: dict[str, Any] = {
        **printing.context(found),
        "hall": next((h for h in halls if h.code == found.scope), None),
        "halls": [{"code": h.code, "name": h.name, "url": _urls(h.code)[0]} for h in halls],
        "city_url": reverse("booklet:city"),
        "pdf_url": _urls(found.scope)[1] + (f"?{query}" if query else ""),
        "papers": build.PAPERS,
        "max_top": build.MAX_TOP,
    }
    return render(request, "booklet/page.html", context)


def _pdf(request: HttpRequest, hall_code: str | None) -> HttpResponse:
    found = _booklet(request, hall_code)
    if isinstance(found, HttpResponse):
        return found
    try:
        ratelimit.check(request, "booklet-pdf")
    except TooManyRequests as exc:
        return _error(request, exc.detail, 429)
    try:
        document = printing.cached_pdf(found)
    except printing.PrinterBusy as exc:
        return _error(request, str(exc), 503)
    except Exception as exc:  # no chromium, or it failed: say so instead of a 500
        return _error(request, f"PDF 暂时无法生成：{exc}", 503)
    response = HttpResponse(document, content_type="application/pdf")
    name = f"booklet-{found.scope or 'city'}-{found.options.paper}-{found.day.isoformat()}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def city(request: HttpRequest) -> HttpResponse:
    return _page(request, None)


def hall(request: HttpRequest, hall: str) -> HttpResponse:
    return _page(request, hall)


def city_pdf(request: HttpRequest) -> HttpResponse:
    return _pdf(request, None)


def hall_pdf(request: HttpRequest, hall: str) -> HttpResponse:
    return _pdf(request, hall)


@manage_view(Role.MANAGER)
def manage(request: HttpRequest) -> HttpResponse:
    scope: Scope = request.manage_scope  # type: ignore[attr-defined]
    scopes = [{"code": build.CITY, "name": "全市"}] if scope.is_city else []
    scopes += [{"code": h.code, "name": h.name} for h in scope.halls()]
    for row in scopes:
        row["url"], row["pdf"] = _urls(row["code"])
    return render(
        request,
        "booklet/manage.html",
        {
            "scopes": scopes,
            "days": build.DEFAULT_DAYS,
            "top": build.DEFAULT_TOP,
            "bundles": build.DEFAULT_BUNDLES,
        },
    )
