"""Manage page 问题转知识 (/manage/guide/questions): unanswered questions grouped, one click makes a
group's phrase a keyword or scenario of a matter, or dismisses it. Plain POST forms (PRG)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from govhall.accounts.models import Role
from govhall.catalog.models import Matter
from govhall.guide import learning
from govhall.guide.models import Decision, Question
from govhall.web.manage import manage_view

SHOWN_GROUPS = 50


def _source(request: HttpRequest) -> str | None:
    value = request.GET.get("source") or request.POST.get("source") or ""
    return value if value in learning.SOURCES else None


def _back(source: str | None) -> HttpResponse:
    url = "/manage/guide/questions"
    return redirect(f"{url}?{urlencode({'source': source})}" if source else url)


@manage_view(Role.MANAGER)
def questions(request: HttpRequest) -> HttpResponse:
    source = _source(request)
    listing = learning.open_groups(limit=SHOWN_GROUPS, source=source)
    return render(
        request,
        "guide/questions.html",
        {
            "listing": listing,
            "source": source or "",
            "sources": Question.Source.choices,
            "matters": Matter.objects.order_by("code").values_list("code", "name"),
            "decisions": learning.recent_decisions(),
            "window_days": learning.WINDOW_DAYS,
        },
    )


@require_POST
@manage_view(Role.MANAGER)
def decide(request: HttpRequest) -> HttpResponse:
    source = _source(request)
    ids = [part for value in request.POST.getlist("ids") for part in value.split(",") if part.strip()]
    action = request.POST.get("action", "")
    code = _matter_code(request.POST.get("matter", ""))
    try:
        outcome = learning.decide(
            ids, action, request.user, matter_code=code, phrase=request.POST.get("phrase", "")
        )
    except learning.LearningError as failure:
        messages.error(request, f"未处理：{failure.detail}")
        return _back(source)
    messages.success(request, _said(outcome))
    return _back(source)


def _matter_code(text: str) -> str:
    """The picker sends a code; a typed exact name (or "code name") is accepted too."""
    value = " ".join(text.split())
    if not value or Matter.objects.filter(code=value).exists():
        return value
    head = value.split(" ", 1)[0]
    if Matter.objects.filter(code=head).exists():
        return head
    by_name = list(Matter.objects.filter(name=value).values_list("code", flat=True)[:2])
    return by_name[0] if len(by_name) == 1 else value


def _said(outcome: learning.Outcome) -> str:
    d = outcome.decision
    if not outcome.fresh:
        return f"这些问题已由 {d.user.get_username()} 处理过（{d.get_action_display()}），未重复操作。"
    if d.action == Decision.Action.IGNORE:
        return f"已忽略 {d.questions} 个问题。"
    name = Matter.objects.filter(code=d.matter_code).values_list("name", flat=True).first() or d.matter_code
    kind = "关键词" if d.action == Decision.Action.KEYWORD else "办事场景"
    done = "已加为" if d.added else "该事项已有此说法，未重复添加；"
    return f"「{d.phrase}」{done}「{name}」的{kind}，{d.questions} 个问题已处理，搜索即时生效。"
