"""Pages are Simplified Chinese first: English only through an explicit switch."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

SWITCH_COOKIE = "govhall_lang"
SUPPORTED = {"zh-hans", "en"}


class ChineseFirstLocaleMiddleware:
    """Ignore Accept-Language; honour `?lang=` (remembered in a cookie) or that cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = request.GET.get("lang")
        language = asked if asked in SUPPORTED else request.COOKIES.get(SWITCH_COOKIE, "zh-hans")
        if language not in SUPPORTED:
            language = "zh-hans"
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if asked in SUPPORTED:
            response.set_cookie(SWITCH_COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response
