"""The manage pages: Django admin in Chinese, logging in through /accounts/login/."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse


class GovhallAdminSite(admin.AdminSite):
    site_header = "govhall 智慧政务大厅 · 管理"
    site_title = "govhall 管理"
    index_title = "管理首页"

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:  # type: ignore[override]
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            return inner(request, *args, **kwargs)  # type: ignore[no-any-return]

        return guarded

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return redirect_to_login(request.GET.get("next") or "/manage/", settings.LOGIN_URL)
