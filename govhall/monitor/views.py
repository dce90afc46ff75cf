"""Manage pages of the monitor (/manage/monitor/…): live alerts, one alert with its actions,
history, recipients and escalation. Hall managers see their hall; city administrators every hall."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django import forms
from django.contrib import messages
from django.core.validators import URLValidator, validate_email
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from govhall.accounts.models import Role
from govhall.halls.models import Hall, Zone
from govhall.monitor import actions, queries, services
from govhall.monitor.engine import policy_rules
from govhall.monitor.models import Alert, Kind, Recipient
from govhall.queueing.errors import QueueError
from govhall.web.manage import Scope, manage_view

PHONE = re.compile(r"^\+?\d{7,15}$")
# A contact with only "dispatch" hears of no alert, only of the dispatches that name them.
RECEIVES = [*Kind.choices, ("dispatch", "仅人员调派")]


def _scope(request: HttpRequest) -> Scope:
    return request.manage_scope  # type: ignore[attr-defined, no-any-return]


def _scoped_alert(request: HttpRequest, alert_id: int) -> Alert:
    alert = (
        Alert.objects.select_related("hall", "zone", "acknowledged_by", "resolved_by")
        .filter(pk=alert_id)
        .first()
    )
    if alert is None or not _scope(request).allows(alert.hall):
        raise Http404("no such alert in your halls")
    return alert


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


def mask(address: str, channel: str) -> str:
    """Phone numbers and webhook tokens are not shown in full (PIPL; a URL token is a credential)."""
    if channel == Recipient.Channel.SMS and len(address) >= 7:
        return address[:3] + "*" * (len(address) - 7) + address[-4:]
    if channel in (Recipient.Channel.WEBHOOK, Recipient.Channel.ROBOT):
        base, _, query = address.partition("?")
        return base + ("?…" if query else "")
    if channel == Recipient.Channel.EMAIL and "@" in address:
        name, _, domain = address.partition("@")
        return name[:1] + "***@" + domain
    return address


@manage_view(Role.MANAGER)
def index(request: HttpRequest) -> HttpResponse:
    """Open alerts per hall and zone; the list refreshes itself (htmx) every 5 s."""
    return render(request, "monitor/index.html", _live_context(request))


@manage_view(Role.MANAGER)
def live_list(request: HttpRequest) -> HttpResponse:
    return render(request, "monitor/_live.html", _live_context(request))


def _live_context(request: HttpRequest) -> dict[str, Any]:
    scope = _scope(request)
    rows = queries.alerts(queries.AlertFilter(state="open", limit=300), scope.hall_id)[:300]
    grouped: dict[tuple[str, str], dict[str, list[Alert]]] = defaultdict(lambda: defaultdict(list))
    for alert in rows:
        grouped[(alert.hall.code, alert.hall.name)][f"{alert.zone.code} {alert.zone.name}"].append(alert)
    halls = [
        {"code": code, "name": name, "zones": sorted(zones.items())}
        for (code, name), zones in sorted(grouped.items())
    ]
    return {"halls": halls, "open_count": len(rows), "scope": scope}


@manage_view(Role.MANAGER)
def detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = _scoped_alert(request, alert_id)
    contacts = Recipient.objects.filter(hall=alert.hall, active=True).order_by("level", "name")
    return render(
        request,
        "monitor/detail.html",
        {
            "alert": alert,
            "view": queries.alert_view(alert, with_actions=True),
            "advice": actions.recommend(alert),
            "contacts": [{"id": c.pk, "name": c.name, "how": c.get_channel_display()} for c in contacts],
            "zones": Zone.objects.filter(hall=alert.hall).exclude(pk=alert.zone_id),
        },
    )


def _act(request: HttpRequest, alert_id: int, what: Any, done: str) -> HttpResponse:
    alert = _scoped_alert(request, alert_id)
    try:
        what(alert)
    except QueueError as exc:
        messages.error(request, f"未执行：{exc.detail}")
    else:
        messages.success(request, done)
    return _back(request, reverse("monitor:detail", args=[alert.pk]))


@require_POST
@manage_view(Role.MANAGER)
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(request, alert_id, lambda a: services.acknowledge(a.pk, request.user, note), "已确认预警")


@require_POST
@manage_view(Role.MANAGER)
def resolve(request: HttpRequest, alert_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _act(request, alert_id, lambda a: services.resolve(a.pk, request.user, note), "已处置完毕")


@require_POST
@manage_view(Role.MANAGER)
def tidal(request: HttpRequest, alert_id: int) -> HttpResponse:
    code = request.POST.get("window", "")
    note = request.POST.get("note", "")
    if request.POST.get("action") == "close":
        return _act(
            request, alert_id, lambda a: actions.close_tidal(a.pk, code, request.user, note), "潮汐窗口已关闭"
        )
    return _act(
        request, alert_id, lambda a: actions.open_tidal(a.pk, code, request.user, note), "潮汐窗口已开启"
    )


@require_POST
@manage_view(Role.MANAGER)
def dispatch(request: HttpRequest, alert_id: int) -> HttpResponse:
    people = re.split(r"[,，、\s]+", request.POST.get("people", ""))
    contacts = [int(c) for c in request.POST.getlist("contacts") if c.isdigit()]
    source = request.POST.get("from_zone") or None
    note = request.POST.get("note", "")
    return _act(
        request,
        alert_id,
        lambda a: actions.dispatch(a.pk, people, contacts, source, request.user, note),
        "已调派人员并通知",
    )


@manage_view(Role.MANAGER)
def history(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    params = {k: v for k, v in request.GET.items() if v}
    params.setdefault("state", "all")
    params.setdefault("limit", "200")
    error = ""
    try:
        found = queries.parse_filter(params)
        rows = list(queries.alerts(found, scope.hall_id)[: found.limit])
    except QueueError as exc:
        error, rows = exc.detail, []
    return render(
        request,
        "monitor/history.html",
        {
            "rows": rows,
            "params": params,
            "error": error,
            "halls": scope.halls(),
            "kinds": Kind.choices,
            "states": [
                ("all", "全部"),
                ("open", "未处置"),
                ("unacknowledged", "未确认"),
                ("acknowledged", "已确认未处置"),
                ("resolved", "已处置"),
            ],
        },
    )


class RecipientForm(forms.ModelForm):  # type: ignore[type-arg]
    kinds = forms.MultipleChoiceField(
        label="接收",
        choices=RECEIVES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="不选：全部类型",
    )

    class Meta:
        model = Recipient
        fields = ["hall", "zone", "name", "channel", "address", "secret", "kinds", "level", "delay_minutes"]
        labels = {"hall": "大厅", "zone": "功能区(空：全部)", "level": "级别(0=部门负责人，≥1=升级)"}
        help_texts = {"address": "Webhook/机器人填 http(s) 地址，邮件填邮箱，短信填手机号"}

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hall"].queryset = scope.halls()  # type: ignore[attr-defined]
        self.fields["zone"].queryset = Zone.objects.filter(hall__in=scope.halls()).select_related("hall")  # type: ignore[attr-defined]
        self.fields["secret"].widget = forms.PasswordInput(render_value=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hall, zone = data.get("hall"), data.get("zone")
        if hall and zone and zone.hall_id != hall.pk:
            self.add_error("zone", "该功能区不属于所选大厅")
        channel, address = data.get("channel"), (data.get("address") or "").strip()
        try:
            if channel in (Recipient.Channel.WEBHOOK, Recipient.Channel.ROBOT):
                URLValidator(schemes=["http", "https"])(address)
            elif channel == Recipient.Channel.EMAIL:
                validate_email(address)
            elif channel == Recipient.Channel.SMS and not PHONE.match(address):
                raise forms.ValidationError("手机号码应为 7–15 位数字")
        except forms.ValidationError:
            self.add_error(
                "address", "地址与通道不符：Webhook/机器人填 http(s) 地址，邮件填邮箱，短信填手机号"
            )
        level, delay = data.get("level") or 0, data.get("delay_minutes") or 0
        if level >= 1 and delay < 1:
            self.add_error("delay_minutes", "升级接收人需设置未确认多少分钟后通知(≥1)")
        if level == 0 and delay:
            self.add_error("delay_minutes", "0 级(部门负责人)在预警发生时即通知，延迟应为 0")
        data["address"] = address
        return data


@manage_view(Role.MANAGER)
def recipients(request: HttpRequest) -> HttpResponse:
    scope = _scope(request)
    form = RecipientForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid():
        recipient = form.save()
        messages.success(request, f"已添加接收人 {recipient.name}")
        return HttpResponseRedirect(reverse("monitor:recipients"))
    halls = []
    for hall in scope.halls().prefetch_related("zones"):
        rows = [
            {
                "r": r,
                "address": mask(r.address, r.channel),
                "kinds": "、".join(dict(RECEIVES).get(k, k) for k in r.kinds) or "全部",
            }
            for r in Recipient.objects.filter(hall=hall).select_related("zone").order_by("level", "name")
        ]
        halls.append({"hall": hall, "rows": rows, "rules": _rules_of(hall)})
    return render(request, "monitor/recipients.html", {"form": form, "halls": halls})


def _rules_of(hall: Hall) -> list[dict[str, Any]]:
    out = []
    for zone in hall.zones.all():
        try:
            flow, wait = policy_rules(hall.policy, zone.code)
            problem = ""
        except ValueError as exc:
            flow, wait, problem = None, None, str(exc)
        out.append(
            {
                "zone": zone,
                "flow": f"近 {flow.minutes} 分钟到达 ≥ {flow.arrivals} 人" if flow else "未设置",
                "wait": f"预计等候 ≥ {wait.minutes} 分钟(按近 {wait.rate_minutes} 分钟叫号速度)"
                if wait
                else "未设置",
                "problem": problem,
            }
        )
    return out


@require_POST
@manage_view(Role.MANAGER)
def recipient_change(request: HttpRequest, recipient_id: int) -> HttpResponse:
    recipient = Recipient.objects.select_related("hall").filter(pk=recipient_id).first()
    if recipient is None or not _scope(request).allows(recipient.hall):
        raise Http404("no such recipient in your halls")
    if request.POST.get("op") == "delete":
        if recipient.deliveries.exists():
            messages.error(request, f"{recipient.name} 已有发送记录，不能删除，只能停用")
            return HttpResponseRedirect(reverse("monitor:recipients"))
        recipient.delete()
        messages.success(request, f"已删除接收人 {recipient.name}")
    else:
        recipient.active = not recipient.active
        recipient.save(update_fields=["active"])
        messages.success(request, f"{recipient.name} 已{'启用' if recipient.active else '停用'}")
    return HttpResponseRedirect(reverse("monitor:recipients"))
