"""Certificate types are edited in the admin (/manage/reminders/certificatetype/)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from govhall.accounts.models import RANK, Role
from govhall.accounts.services import role_of
from govhall.reminders.models import CertificateType

FIELDS = ("holder", "type", "number", "expiry", "matter", "channel_hint", "optout")


class CertificateTypeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = CertificateType
        exclude: list[str] = []

    def clean_steps(self) -> Any:
        steps = self.cleaned_data["steps"]
        if (
            not isinstance(steps, list)
            or not steps
            or not all(isinstance(s, int) and 0 < s <= 366 for s in steps)
        ):
            raise forms.ValidationError("提醒节点应为 1–366 之间的整数列表，例如 [60, 15]")
        return sorted(set(steps), reverse=True)

    def clean_template(self) -> Any:
        template = self.cleaned_data["template"]
        try:
            template.format(**{name: "" for name in FIELDS})
        except (KeyError, ValueError, IndexError) as exc:
            raise forms.ValidationError(
                f"模板有误：{exc}；可用占位符：{', '.join('{' + f + '}' for f in FIELDS)}"
            )
        return template


@admin.register(CertificateType)
class CertificateTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = CertificateTypeForm
    list_display = ("name", "code", "renewal_matter_name", "online", "steps", "active")

    # City-scope managers and admins edit the rules, as they run the reminders (no model perms needed).
    def _city_manager(self, request: HttpRequest) -> bool:
        role, hall_id = role_of(request.user)
        return role is not None and hall_id is None and RANK[Role(role)] >= RANK[Role.MANAGER]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._city_manager(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._city_manager(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._city_manager(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._city_manager(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # records point at their type; switch a type off with 启用 instead
