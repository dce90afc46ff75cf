"""Manage-page downloads for the catalogue."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

from govhall.catalog import formats

EXAMPLE = {
    "code": "330000-XX-0001",
    "name": "示例事项名称",
    "department": "示例局",
    "audience": ["person"],
    "levels": ["city", "town"],
    "channels": ["app", "web", "hall"],
    "max_visits": 0,
    "promised_days": 0,
    "fee": Decimal("0"),
    "materials": ["居民身份证"],
    "keywords": ["关键词一", "关键词二"],
    "scenarios": ["群众用自己的话描述的办事需求"],
    "description": "事项说明。列表字段用 | 分隔。",
    "extra": {},
}


def import_template(request: HttpRequest) -> HttpResponseBase:
    """The catalogue import template (.xlsx): the contract's columns and one example row."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_staff:
        return HttpResponse("仅限管理人员 (managers only)", status=403)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog-template.xlsx"
        formats.write(path, [EXAMPLE])
        data = path.read_bytes()
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="catalog-template.xlsx"'
    return response
