"""API authentication: bearer tokens for machines, the session for staff pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from govhall.accounts.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user  # type: ignore[assignment]
        return user


staff_auth = [BearerToken(), SessionAuth()]
