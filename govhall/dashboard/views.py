"""Pages: the big screen (/dashboard, /dashboard/{hall}) and the reports under /manage/reports/."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.accounts.models import Role
from govhall.dashboard import figures, reports
from govhall.dashboard.models import CITY, Report
from govhall.halls.models import Hall
from govhall.realtime import services as realtime
from govhall.web.manage import Scope, manage_view

# --- the big screen ------------------------------------------------------------------


@never_cache
def city(request: HttpRequest) -> HttpResponse:
    halls = list(Hall.objects.order_by("level", "code"))
    seqs = {h.code: realtime.last_seq(h) for h in halls}  # before the figures: later events come live
    data = figures.city()
    return render(request, "dashboard/city.html", {"data": data, "boot": {"view": "city", "since": seqs}})


@never_cache
def hall(request: HttpRequest, hall: str) -> HttpResponse:
    found = Hall.objects.filter(code=hall).first()
    if found is None:
        raise Http404("no such hall")
    since = realtime.last_seq(found)
    data = figures.hall(found)
    return render(
        request,
        "dashboard/hall.html",
        {
            "hall": found,
            "data": data,
            "boot": {"view": "hall", "hall": found.code, "since": {found.code: since}},
        },
    )


# --- reports -----------------------------------------------------------------------------


def _scope(request: HttpRequest) -> Scope:
    return request.manage_scope  # type: ignore[attr-defined,no-any-return]


def _visible(scope: Scope) -> Any:
    found = Report.objects.select_related("hall").defer("data", "pdf")
    return found if scope.hall_id is None else found.filter(hall_id=scope.hall_id)


def _report(request: HttpRequest, pk: int) -> Report:
    found = Report.objects.select_related("hall").filter(pk=pk).first()
    scope = _scope(request)
    if found is None or not (scope.is_city or found.hall_id == scope.hall_id):
        raise Http404("no such report")
    return found


@manage_view(Role.MANAGER)
def report_list(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    today = clock.service_day(clock.now(), reports.SCHEDULE_TZ)
    periods = {
        kind: [
            {"value": start.isoformat(), "label": _period_label(kind, start, end)}
            for start, end in reports.recent_periods(kind, today, 12)
        ]
        for kind in (Report.Kind.WEEK, Report.Kind.MONTH)
    }
    chosen = request.GET.get("kind", "")
    found = _visible(scope)
    if chosen in Report.Kind.values:
        found = found.filter(kind=chosen)
    return render(
        request,
        "dashboard/report_list.html",
        {
            "reports": list(found[:200]),
            "periods": periods,
            "halls": list(scope.halls()),
            "is_city": scope.is_city,
            "kind": chosen,
        },
    )


def _period_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == Report.Kind.MONTH:
        return f"{start.year}年{start.month}月"
    year, week, _ = start.isocalendar()
    return f"{year}年第{week}周（{start:%m.%d}–{end:%m.%d}）"


@require_POST
@manage_view(Role.MANAGER)
def report_generate(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    kind, _, day_text = request.POST.get("period", "").partition(":")
    target = request.POST.get("scope", "")
    back = reverse("reports:list")
    try:
        day = dt.date.fromisoformat(day_text)
    except ValueError:
        day = None
    if kind not in Report.Kind.values or day is None:
        messages.error(request, "请选择报表周期")
        return redirect(back)
    if target == CITY:
        if not scope.is_city:
            messages.error(request, "全市报表仅市级管理员可生成")
            return redirect(back)
        hall = None
    else:
        hall = Hall.objects.filter(code=target).first()
        if hall is None or not scope.allows(hall):
            messages.error(request, "请选择您负责的中心")
            return redirect(back)
    try:
        report = reports.generate_now(kind, hall, day, by=request.user.get_username())
    except reports.ReportError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if report.state == Report.State.FAILED:
        messages.error(request, f"生成失败：{report.error}")
        return redirect(back)
    if report.error:
        messages.warning(request, f"报表已生成，但PDF未能生成：{report.error}")
    else:
        messages.success(request, f"已生成：{report.data.get('title', '')}")
    return redirect("reports:detail", pk=report.pk)


@manage_view(Role.MANAGER)
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if report.state != Report.State.DONE:
        return render(request, "dashboard/report_pending.html", {"report": report})
    return render(request, "dashboard/report_detail.html", {"report": report, "data": report.data})


@manage_view(Role.MANAGER)
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    if report.state != Report.State.DONE:
        raise Http404("report not generated yet")
    if not report.pdf:
        from govhall.dashboard import pdf

        try:
            report.pdf = pdf.render(report)
        except Exception as exc:
            return render(
                request, "dashboard/report_pending.html", {"report": report, "error": str(exc)}, status=503
            )
        Report.objects.filter(pk=report.pk).update(pdf=report.pdf)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename(report)}.pdf"'
    return response


def _filename(report: Report) -> str:
    return f"report-{report.scope}-{report.kind}-{report.period_start.isoformat()}"


def _cell(value: Any) -> Any:
    return "" if value is None else value


@manage_view(Role.MANAGER)
def report_csv(request: HttpRequest, pk: int, table: str) -> HttpResponse:
    report = _report(request, pk)
    found = next((t for t in report.data.get("tables", []) if t["key"] == table), None)
    if found is None:
        raise Http404("no such table")
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM correctly
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([label for _, label in found["columns"]])
    for row in found["rows"]:
        writer.writerow([_cell(row.get(key)) for key, _ in found["columns"]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(report)}-{table}.csv"'
    return response


@manage_view(Role.MANAGER)
def report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = _report(request, pk)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "概要"
    sheet.append([report.data.get("title", "")])
    sheet["A1"].font = Font(bold=True, size=14)
    for key, label in SUMMARY_LABELS:
        sheet.append([label, _cell(report.data.get("summary", {}).get(key))])
    sheet.column_dimensions["A"].width = 24
    for table in report.data.get("tables", []):
        ws = book.create_sheet(table["title"][:31])
        ws.append([label for _, label in table["columns"]])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in table["rows"]:
            ws.append([_cell(row.get(key)) for key, _ in table["columns"]])
        for i, (_, label) in enumerate(table["columns"], start=1):
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = max(10, len(label) * 2 + 2)
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(report)}.xlsx"'
    return response


SUMMARY_LABELS = [
    ("tickets", "取号总量"),
    ("served", "办结"),
    ("no_show", "过号"),
    ("cancelled", "取消"),
    ("open", "未结束"),
    ("mean_wait_seconds", "平均等候(秒)"),
    ("p50_wait_seconds", "中位等候(秒)"),
    ("p90_wait_seconds", "P90等候(秒)"),
    ("share_over_15min", "等候超15分钟占比"),
    ("mean_handling_seconds", "平均办理(秒)"),
    ("open_days", "开厅天数"),
    ("tickets_per_open_day", "日均取号"),
    ("peak_day", "最忙一天"),
    ("peak_day_tickets", "最忙一天取号"),
    ("overtime_alerts", "超时未叫号预警"),
    ("yellow_alerts", "黄色预警"),
    ("red_alerts", "红色预警"),
    ("tidal_openings", "潮汐窗口开启"),
    ("ratings", "评价人次"),
    ("good_rating_rate", "好评率"),
    ("windows_used", "在岗窗口数"),
]
