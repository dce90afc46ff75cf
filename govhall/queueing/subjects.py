"""Subjects are pseudonymous: an ID or phone number never reaches the ticket tables or logs."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings

PSEUDONYM = re.compile(r"^p-[0-9a-f]{16}$")


def pseudonymize(subject: str | None) -> str:
    """A stable pseudonym (same subject → same id); idempotent, so exported logs re-import unchanged."""
    value = (subject or "").strip()
    if not value or PSEUDONYM.match(value):
        return value
    digest = hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:16]}"


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    return digits[:3] + "****" + digits[-4:] if len(digits) >= 8 else "****"


def mask_id(number: str) -> str:
    text = number.strip()
    return text[:3] + "*" * max(0, len(text) - 7) + text[-4:] if len(text) > 8 else "****"
