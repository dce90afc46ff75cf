"""Manage pages of insights: window review (撤减模型), staffing heat map, 一事联办 and what-if."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from govhall import clock
from govhall.catalog.models import Bundle, Matter
from govhall.halls.models import Hall
from govhall.insights import bundles, review, staffing, top, whatif
from govhall.insights.common import InsightsError
from govhall.queueing.logs import log_rows
from govhall.ticketlog import LogRow
from govhall.web.manage import Scope, manage_view

WEEKS = (1, 2, 4, 8)
WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]


def _context(request: HttpRequest) -> tuple[Hall, list[LogRow], dict[str, Any]]:
    scope: Scope = request.manage_scope  # type: ignore[attr-defined]
    halls = list(scope.halls())
    if not halls:
        raise Http404("no hall")
    code = request.GET.get("hall") or halls[0].code
    hall = next((h for h in halls if h.code == code), None)
    if hall is None:
        raise Http404("no such hall in your scope")
    try:
        weeks = int(request.GET.get("weeks", "4"))
    except ValueError:
        weeks = 4
    weeks = weeks if weeks in WEEKS else 4
    today = clock.service_day(clock.now(), hall.timezone)
    rows = log_rows(hall=hall.code, since=today - dt.timedelta(weeks=weeks), until=today)
    return (
        hall,
        rows,
        {"halls": halls, "hall": hall, "weeks": weeks, "week_choices": WEEKS, "tickets": len(rows)},
    )


def _names(codes: set[str]) -> dict[str, str]:
    return dict(Matter.objects.filter(code__in=codes).values_list("code", "name"))


@manage_view()
def index(request: HttpRequest) -> HttpResponse:
    """Window review: Binjiang's weekly top-10 lists and a verdict per matter, with the effect."""
    _, rows, ctx = _context(request)
    started = time.perf_counter()
    panels = top.panels(rows) if rows else None
    facts = [
        review.MatterFacts(m.code, m.name, tuple(m.channels), m.max_visits, m.promised_days)
        for m in Matter.objects.filter(code__in={r.matter for r in rows})
    ]
    verdicts = review.recommend(rows, facts)
    effect = None
    plan = review.online_plan(verdicts)
    if rows and plan:
        before = whatif.simulate(rows, whatif.parse_plan({}))["simulated"]
        after = whatif.simulate(rows, whatif.parse_plan({"online": plan}))["simulated"]
        effect = {"before": before, "after": after, "matters": len(plan)}
    names = _names({r.matter for r in rows})
    ctx.update(
        panels=panels,
        names=names,
        verdicts=[v.as_dict() for v in verdicts],
        counts={k: sum(1 for v in verdicts if v.action == k) for k in review.LABELS},
        labels=review.LABELS,
        effect=effect,
        seconds=round(time.perf_counter() - started, 2),
        page="review",
    )
    return render(request, "insights/review.html", ctx)


@manage_view()
def staffing_page(request: HttpRequest) -> HttpResponse:
    """Windows needed per zone, weekday and hour (Erlang C), against the windows that were open."""
    _, rows, ctx = _context(request)
    try:
        target_wait = max(60, min(3600, int(request.GET.get("target_wait", "900"))))
        target_share = max(0.5, min(0.99, float(request.GET.get("target_share", "0.8"))))
    except ValueError:
        target_wait, target_share = 900, 0.8
    plan = staffing.plan(rows, target_wait, target_share) if rows else []
    zones = sorted({p.zone for p in plan})
    charts = []
    for zone in zones:
        cells = [p for p in plan if p.zone == zone]
        hours = sorted({p.hour for p in cells})
        charts.append(
            {
                "zone": zone,
                "hours": hours,
                "needed": [[hours.index(p.hour), p.weekday, p.windows] for p in cells],
                "gap": [
                    [hours.index(p.hour), p.weekday, round(p.observed_windows - p.windows, 1)] for p in cells
                ],
                "short_hours": sum(1 for p in cells if p.observed_windows + 0.5 < p.windows),
                "spare_hours": sum(1 for p in cells if p.observed_windows - 0.5 > p.windows),
            }
        )
    ctx.update(
        charts=charts,
        chart_data=json.dumps({"weekdays": WEEKDAYS, "charts": charts}),
        target_wait=target_wait,
        target_share=target_share,
        page="staffing",
    )
    return render(request, "insights/staffing.html", ctx)


@manage_view()
def bundles_page(request: HttpRequest) -> HttpResponse:
    """一事联办: matters the same people do within days of each other, best first."""
    _, rows, ctx = _context(request)
    mining = bundles.mine(rows, min_subjects=3) if rows else None
    found = mining.bundles[:20] if mining else []
    codes = {m for b in found for m in b.matters}
    matters = {m.code: m for m in Matter.objects.filter(code__in=codes)}
    existing = {
        frozenset(b.matters.values_list("code", flat=True)): b
        for b in Bundle.objects.prefetch_related("matters")
    }
    items = []
    for b in found:
        materials = [list(matters[m].materials) if m in matters else [] for m in b.matters]
        separate = sum(len(x) for x in materials)
        merged = len({item for x in materials for item in x})
        items.append(
            {
                **b.as_dict(),
                "names": [matters[m].name if m in matters else m for m in b.matters],
                "codes": ",".join(b.matters),
                "materials_saved": separate - merged,
                "materials_total": separate,
                "bundle": existing.get(frozenset(b.matters)),
            }
        )
    ctx.update(items=items, agents=len(mining.agents) if mining else 0, page="bundles")
    return render(request, "insights/bundles.html", ctx)


@manage_view()
def make_bundle(request: HttpRequest) -> HttpResponse:
    """Turn a mined set into a 一件事 of the catalogue (once: a second click finds it)."""
    if request.method != "POST":
        return redirect("insights:bundles")
    codes = sorted({c for c in request.POST.get("matters", "").split(",") if c})
    matters = list(Matter.objects.filter(code__in=codes))
    back = redirect(f"/manage/insights/bundles?{request.GET.urlencode()}")
    if len(codes) < 2 or len(matters) != len(codes):
        messages.error(request, "无法创建一件事：事项不存在或少于两项")
        return back
    code = "YSLB-" + "-".join(codes)[:55]
    name = "、".join(m.name for m in matters)[:190] + " 一件事"
    try:
        with transaction.atomic():
            bundle, created = Bundle.objects.get_or_create(
                code=code, defaults={"name": name, "description": "由一事联办分析生成"}
            )
            if created:
                bundle.matters.set(matters)
    except IntegrityError:
        created = False
    messages.success(request, f"已创建一件事：{name}" if created else f"一件事已存在：{code}")
    return back


@manage_view()
def whatif_page(request: HttpRequest) -> HttpResponse:
    """Replay the hall's real arrivals under another window plan (SimPy)."""
    hall, rows, ctx = _context(request)
    zones = sorted({r.zone for r in rows})
    result, error, plan_text = None, None, ""
    if request.GET.get("run"):
        spec: dict[str, Any] = {"windows": {}, "online": {}}
        for zone in zones:
            value = request.GET.get(f"windows_{zone}", "").strip()
            if value:
                if not value.isdigit():
                    error = f"{zone}区窗口数必须是整数"
                    break
                spec["windows"][f"{hall.code}/{zone}"] = int(value)
        try:
            share = float(request.GET.get("online_share", "0") or 0)
        except ValueError:
            share = -1
        if not 0 <= share <= 1:
            error = error or "网办分流比例须在0到1之间"
        elif share:
            spec["online"] = {m: share for m in {r.matter for r in rows}}
        if error is None and rows:
            try:
                started = time.perf_counter()
                result = whatif.whatif(rows, whatif.parse_plan(spec))
                result["seconds"] = round(time.perf_counter() - started, 2)
                plan_text = json.dumps(
                    {k: v for k, v in spec.items() if v and k != "online"}, ensure_ascii=False
                )
            except InsightsError as exc:
                error = str(exc)
    ctx.update(zones=zones, result=result, error=error, plan_text=plan_text, page="whatif", query=request.GET)
    return render(request, "insights/whatif.html", ctx)
