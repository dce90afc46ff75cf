"""Manage pages /manage/reminders/… (city managers) and the public opt-out page /r/td/<token>."""

from __future__ import annotations

import csv
import functools
import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from govhall import clock
from govhall.accounts.models import Role
from govhall.importing import ImportFailed
from govhall.reminders import crypto, queries, services, sms
from govhall.reminders.models import CertificateType, GatewayConfig, OptOut
from govhall.web.manage import View, manage_view

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
TABS = [
    ("reminders:manage", "概览与下一批"),
    ("reminders:import", "导入证照"),
    ("reminders:records", "证照记录"),
    ("reminders:log", "发送记录"),
    ("reminders:optouts", "退订"),
    ("reminders:figures", "月度统计"),
]


def city_manage(view: View) -> View:
    """Certificate records are the whole city's: managers and admins with city scope only."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.manage_scope.is_city:  # type: ignore[attr-defined]
            return render(
                request, "web/manage_forbidden.html", {"needed": "全市范围的大厅负责人"}, status=403
            )
        return view(request, *args, **kwargs)

    return manage_view(Role.MANAGER)(guarded)


def _page(request: HttpRequest, template: str, tab: str, **context: Any) -> HttpResponse:
    return render(request, f"reminders/{template}", {"tabs": TABS, "tab": tab, **context})


@city_manage
def manage(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    services.ensure_default_types()
    return _page(
        request,
        "manage.html",
        "reminders:manage",
        overview=queries.overview(now),
        batch=queries.next_batch(now),
        upcoming=queries.upcoming(now),
        types=CertificateType.objects.all(),
        gateway=sms.gateway_url(),
        saved_gateway=(GatewayConfig.objects.filter(pk=1).values_list("url", flat=True).first() or ""),
    )


@require_POST
@city_manage
def send_now(request: HttpRequest) -> HttpResponse:
    services.plan_reminders()
    report = services.send_due(budget_seconds=20.0)
    text = (
        f"本批：发送 {report.sent} 条（已送达 {report.delivered}），失败 {report.failed}，"
        f"免打扰顺延 {report.deferred}，退订跳过 {report.opted_out}，取消 {report.cancelled}"
    )
    if report.errors:
        messages.error(request, text + f"。首个错误：{report.errors[0]}")
    else:
        messages.success(request, text)
    return redirect("reminders:manage")


@require_POST
@city_manage
def set_gateway(request: HttpRequest) -> HttpResponse:
    url = request.POST.get("url", "").strip()
    if url and url != sms.FAKE and not url.startswith(("http://", "https://")):
        messages.error(request, "网关地址应以 http:// 或 https:// 开头，或填 fake:（演示用假网关）")
        return redirect("reminders:manage")
    GatewayConfig.objects.update_or_create(pk=1, defaults={"url": url, "updated_at": clock.now()})
    messages.success(request, f"短信网关已设置为：{url or '（未设置）'}")
    return redirect("reminders:manage")


@city_manage
def import_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        dry_run = bool(request.POST.get("dry_run"))
        if upload is None:
            context["errors"] = [{"line": "", "field": "", "reason": "请选择要上传的 CSV 或 Excel 文件"}]
        elif upload.size and upload.size > MAX_UPLOAD_BYTES:
            context["errors"] = [{"line": "", "field": "", "reason": "文件超过 20 MB"}]
        else:
            try:
                report = services.import_records(upload.name or "", upload.read(), dry_run=dry_run)
            except ImportFailed as exc:
                context["errors"] = [
                    {"line": e.line or "", "field": e.field or "", "reason": e.reason}
                    for e in exc.errors[:500]
                ]
                context["error_count"] = len(exc.errors)
            else:
                context["report"] = report
                context["dry_run"] = dry_run
        # 200 even with errors: the page is the answer (a 4xx shows as a console error in browsers)
        return render(request, "reminders/import.html", {"tabs": TABS, "tab": "reminders:import", **context})
    return _page(request, "import.html", "reminders:import", types=CertificateType.objects.all())


@city_manage
def template_csv(request: HttpRequest) -> HttpResponse:
    from govhall.reminders.formats import write_csv

    body = write_csv(
        [
            {
                "holder": "张三",
                "type": "居民身份证",
                "number": "330000199001010000",
                "expires_on": "2027-01-31",
                "phone": "13800000000",
                "subject": "",
            }
        ]
    )
    response = HttpResponse(b"\xef\xbb\xbf" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="certificate-records-template.csv"'
    return response


@city_manage
def records_page(request: HttpRequest) -> HttpResponse:
    # POST, so a full number never lands in a URL (access logs, browser history)
    query = request.POST.get("q", "").strip() if request.method == "POST" else ""
    return _page(request, "records.html", "reminders:records", rows=queries.records(query=query), query=query)


@city_manage
def log_page(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("outcome", "")
    return _page(request, "log.html", "reminders:log", rows=queries.delivery_log(state=state), outcome=state)


@city_manage
def log_csv(request: HttpRequest) -> HttpResponse:
    out = io.StringIO()
    columns = [
        "at",
        "finished_at",
        "key",
        "attempt",
        "outcome",
        "holder",
        "type",
        "number",
        "phone",
        "step_days",
        "detail",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in queries.delivery_log(limit=100_000):
        writer.writerow(row)
    response = HttpResponse(("\ufeff" + out.getvalue()).encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="reminder-deliveries.csv"'
    return response


@city_manage
def optouts_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add":
            phone = crypto.normalize_phone(request.POST.get("phone", ""))
            if not crypto.PHONE.match(phone):
                messages.error(request, "不是有效的手机号（以 1 开头的 11 位数字）")
            else:
                closed = services.opt_out(
                    crypto.phone_hash(phone), OptOut.Source.MANAGE, phone_masked=crypto.mask_phone(phone)
                )
                messages.success(request, f"已退订 {crypto.mask_phone(phone)}，取消待发提醒 {closed} 条")
        elif action == "record":
            record = services.CertificateRecord.objects.filter(pk=request.POST.get("record") or 0).first()
            if record is None:
                messages.error(request, "没有这条证照记录")
            else:
                closed = services.opt_out(record.phone_hash, OptOut.Source.MANAGE, record=record)
                messages.success(request, f"已退订 {record.phone_masked}，取消待发提醒 {closed} 条")
        elif action == "remove":
            row = OptOut.objects.filter(pk=request.POST.get("id") or 0).first()
            if row is None:
                messages.error(request, "没有这条退订记录")
            else:
                services.cancel_opt_out(row.phone_hash)
                messages.success(request, f"已恢复 {row.phone_masked} 的提醒（已取消的提醒不会补发）")
        return redirect("reminders:optouts")
    return _page(request, "optouts.html", "reminders:optouts", rows=queries.opt_outs())


@city_manage
def figures_page(request: HttpRequest) -> HttpResponse:
    rows = queries.monthly_figures()
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("sent", "delivered", "failed", "opted_out", "reminded", "renewed")
    }
    return _page(request, "figures.html", "reminders:figures", rows=rows, totals=totals)


def public_optout(request: HttpRequest, token: str) -> HttpResponse:
    """The link in every SMS: shows the masked phone and asks to confirm (a POST, not a GET, so
    link scanners in phones don't unsubscribe people by themselves)."""
    record = services.record_of_token(token)
    if record is None:
        return render(request, "reminders/optout.html", {"invalid": True}, status=404)
    done = OptOut.objects.filter(phone_hash=record.phone_hash).exists()
    if request.method == "POST" and not done:
        services.opt_out(record.phone_hash, OptOut.Source.LINK, record=record)
        done = True
    return render(
        request,
        "reminders/optout.html",
        {"phone": record.phone_masked, "type": record.type.name, "done": done, "token": token},
    )
