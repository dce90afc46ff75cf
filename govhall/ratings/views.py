"""Pages of 好差评: the phone panel's posts, the window's rating pad, the SMS link, the manage pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from govhall import clock
from govhall.accounts.models import Role
from govhall.halls.models import Hall, Window
from govhall.queueing import ratelimit
from govhall.queueing.errors import QueueError
from govhall.queueing.models import Ticket
from govhall.ratings import queries, services
from govhall.ratings.models import TAGS, Case, Channel, Finding, Level, Step
from govhall.ratings.templatetags.ratings_tags import LEVELS, panel_context
from govhall.web.manage import Scope, manage_view

MAX_SINCE_DAYS = 3660


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _ticket(ticket_id: str) -> Ticket:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404("no such ticket")
    return ticket


def _panel(request: HttpRequest, ticket: Ticket, error: str = "") -> HttpResponse:
    data = panel_context(
        ticket.pk,
        ticket.status,
        action=f"/ratings/tickets/{ticket.pk}/rate",
        rerate_action=f"/ratings/tickets/{ticket.pk}/rerate",
    )
    data["watch"] = ticket.status in ("called", "serving", "on_hold")
    data["error"] = error
    return render(request, "ratings/_panel.html", data)


def _message(request: HttpRequest, title: str, text: str, status: int = 200) -> HttpResponse:
    return render(request, "ratings/message.html", {"title": title, "text": text}, status=status)


@never_cache
def ticket_panel(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """The panel alone: the phone page swaps it in once the ticket is served."""
    return _panel(request, _ticket(ticket_id))


@require_POST
def rate_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    return _submit(request, ticket_id, rerate=False)


@require_POST
def rerate_ticket(request: HttpRequest, ticket_id: str) -> HttpResponse:
    return _submit(request, ticket_id, rerate=True)


def _submit(
    request: HttpRequest, ticket_id: str, *, rerate: bool, channel: str = Channel.PHONE
) -> HttpResponse:
    ticket = _ticket(ticket_id)
    level = request.POST.get("level", "")
    comment = request.POST.get("comment", "")
    try:
        ratelimit.check(request, "rate")
        if rerate:
            services.rerate(ticket.pk, level, comment)
        else:
            services.rate(ticket.pk, level, comment, request.POST.getlist("tags"), channel=channel)
    except QueueError as exc:
        if _is_htmx(request):
            return _panel(request, ticket, exc.detail)
        return _message(request, "评价未提交", exc.detail, exc.status)
    if _is_htmx(request):
        return _panel(request, ticket)
    return HttpResponseRedirect(f"/t/{ticket.pk}#rating-panel")


# --- the window's rating pad ---------------------------------------------------------


def _window(hall: str, window: str) -> tuple[Hall, Window]:
    target = Hall.objects.filter(code=hall).first()
    found = Window.objects.filter(hall=target, code=window).first() if target else None
    if target is None or found is None:
        raise Http404("no such window")
    return target, found


def _pad_context(hall: Hall, window: Window, **extra: Any) -> dict[str, Any]:
    ticket = services.pad_ticket(hall, window.code)
    return {"hall": hall, "window": window, "ticket": ticket, "levels": LEVELS, **extra}


@never_cache
@require_http_methods(["GET", "POST"])
def pad(request: HttpRequest, hall: str, window: str) -> HttpResponse:
    """A public kiosk page by the window: the last ticket finished there, five big buttons."""
    target, found = _window(hall, window)
    extra: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        ticket_id = request.POST.get("ticket", "")
        offered = services.pad_ticket(target, found.code)
        if offered is None or offered.pk != ticket_id:
            extra["error"] = "这张票已评价或已超过评价时间"
            status = 409
        else:
            try:
                rating = services.rate(ticket_id, request.POST.get("level", ""), channel=Channel.PAD)
                extra["thanks"] = rating
            except QueueError as exc:
                extra["error"], status = exc.detail, exc.status
    context = _pad_context(target, found, **extra)
    if _is_htmx(request):
        # htmx swaps only 2xx answers: the reason is in the body either way
        return render(request, "ratings/_pad.html", context)
    return render(request, "ratings/pad.html", context, status=status)


@never_cache
def pad_panel(request: HttpRequest, hall: str, window: str) -> HttpResponse:
    target, found = _window(hall, window)
    return render(request, "ratings/_pad.html", _pad_context(target, found))


# --- the SMS link ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def sms_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        ticket_id, purpose = services.read_token(token)
    except QueueError as exc:
        return _message(request, "评价链接不可用", exc.detail, 410 if exc.status == 409 else 404)
    ticket = Ticket.objects.select_related("hall").filter(pk=ticket_id).first()
    if ticket is None:
        return _message(request, "评价链接不可用", "评价链接无效", 404)
    error, status = "", 200
    if request.method == "POST":
        try:
            if purpose == "rerate":
                services.rerate(ticket.pk, request.POST.get("level", ""), request.POST.get("comment", ""))
            else:
                services.rate(
                    ticket.pk,
                    request.POST.get("level", ""),
                    request.POST.get("comment", ""),
                    request.POST.getlist("tags"),
                    channel=Channel.SMS,
                )
            return HttpResponseRedirect(request.path)
        except QueueError as exc:
            error, status = exc.detail, exc.status
    data = panel_context(ticket.pk, ticket.status, action=request.path, rerate_action=request.path)
    data["error"] = error
    panel = render_to_string("ratings/_panel.html", data, request=request)
    return render(
        request, "ratings/sms.html", {"ticket": ticket, "hall": ticket.hall, "panel": panel}, status=status
    )


# --- manage pages ------------------------------------------------------------------------


def _scope(request: HttpRequest) -> Scope:
    return request.manage_scope  # type: ignore[attr-defined,no-any-return]


def _since(request: HttpRequest) -> dt.date:
    text = request.GET.get("since", "")
    today = clock.now().date()
    if text:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = today - dt.timedelta(days=90)
        if (today - day).days <= MAX_SINCE_DAYS:
            return day
    return today - dt.timedelta(days=90)


@manage_view(Role.STAFF)
def manage_index(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    ratings = queries.scoped_ratings(scope.user_id, scope.role, scope.hall_id)
    cases = queries.scoped_cases(scope.user_id, scope.role, scope.hall_id)
    hall = None
    if scope.is_city and request.GET.get("hall"):
        hall = Hall.objects.filter(code=request.GET["hall"]).first()
    since = _since(request)
    figures = queries.summary(hall, since, ratings=ratings, cases=cases)
    open_cases = cases.exclude(step=Step.CLOSED)
    if hall is not None:
        open_cases = open_cases.filter(hall=hall)
    recent = ratings.select_related("hall").order_by("-rated_at")[:30]
    if hall is not None:
        recent = ratings.filter(hall=hall).select_related("hall").order_by("-rated_at")[:30]
    peak = max([w["total"] for w in figures["weekly"]] or [1])
    settings_hall = hall or (Hall.objects.filter(pk=scope.hall_id).first() if scope.hall_id else None)
    conf = services.settings_of(settings_hall) if settings_hall and scope.at_least(Role.MANAGER) else None
    return render(
        request,
        "ratings/manage_index.html",
        {
            "figures": figures,
            "open_cases": [queries.case_row(c) for c in open_cases.order_by("callback_due")[:200]],
            "recent": recent,
            "halls": scope.halls() if scope.is_city else [],
            "hall": hall,
            "since": since,
            "scope": scope,
            "is_staff_only": scope.role == Role.STAFF,
            "weekly": [{**w, "width": round(120 * w["total"] / peak)} for w in figures["weekly"]],
            "tags": TAGS,
            "settings_hall": settings_hall,
            "conf": conf,
        },
    )


def _case(request: HttpRequest, case_id: int) -> Case:
    scope = _scope(request)
    case = queries.scoped_cases(scope.user_id, scope.role, scope.hall_id).filter(pk=case_id).first()
    if case is None:
        raise Http404("no such case")
    return case


@manage_view(Role.STAFF)
def manage_case(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    scope = _scope(request)
    is_manager = scope.at_least(Role.MANAGER)
    rerate_link = ""
    if case.step == Step.RERATE:
        token = services.link_token(case.rating.ticket_id, "rerate")
        rerate_link = request.build_absolute_uri(f"/r/{token}")
    return render(
        request,
        "ratings/manage_case.html",
        {
            "case": case,
            "row": queries.case_row(case),
            "rating": case.rating,
            "is_manager": is_manager,
            "is_own": case.staff_id == scope.user_id,
            "findings": Finding.choices,
            "rerate_link": rerate_link,
            "tag_labels": [TAGS.get(t, t) for t in case.rating.tags],
            "levels": {level.value: level.label for level in Level},
        },
    )


@require_POST
@manage_view(Role.STAFF)
def manage_case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    case = _case(request, case_id)
    note = request.POST.get("note", "")
    try:
        if action == "verify":
            services.verify(case.pk, request.user, request.POST.get("finding", ""), note)
        elif action == "callback":
            services.call_back(case.pk, request.user, note)
        elif action == "rectify":
            services.rectify(case.pk, request.user, note)
        elif action == "appeal":
            upload = request.FILES.get("evidence")
            services.file_appeal(
                case.pk,
                request.user,
                note,
                file_name=upload.name or "" if upload else "",
                content_type=upload.content_type or "" if upload else "",
                data=upload.read(services.MAX_EVIDENCE_BYTES + 1) if upload else None,
            )
        elif action == "decide":
            services.decide_appeal(case.pk, request.user, request.POST.get("decision") == "upheld", note)
        else:
            raise Http404("no such action")
    except QueueError as exc:
        messages.error(request, exc.detail)
        return HttpResponseRedirect(f"/manage/ratings/cases/{case.pk}")
    messages.success(request, "已保存")
    return HttpResponseRedirect(f"/manage/ratings/cases/{case.pk}")


@manage_view(Role.STAFF)
def manage_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)
    if not case.evidence:
        raise Http404("no evidence")
    response = HttpResponse(
        bytes(case.evidence), content_type=case.evidence_type or "application/octet-stream"
    )
    response["Content-Disposition"] = (
        content_disposition_header(True, case.evidence_name or "evidence") or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@manage_view(Role.MANAGER)
def manage_settings(request: HttpRequest, hall: str) -> HttpResponse:
    scope = _scope(request)
    target = scope.halls().filter(code=hall).first()
    if target is None:
        raise Http404("no such hall")
    try:
        services.update_settings(
            target,
            request.user,
            request.POST.get("default_after_days", ""),
            request.POST.get("workdays", ""),
            request.POST.get("rerate_days", "5"),
        )
        messages.success(request, f"{target.name} 的好差评设置已保存")
    except QueueError as exc:
        messages.error(request, exc.detail)
    return HttpResponseRedirect(f"/manage/ratings/?hall={target.code}")
