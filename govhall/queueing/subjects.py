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


# Runs of 7+ digits (spaces or dashes inside allowed, an ID's final X): phone, ID, bank card numbers.
NUMBER = re.compile(r"(?<![0-9A-Za-z])\d(?:[ \-]?\d){6,}[Xx]?(?![0-9A-Za-z])")


def mask_text(text: str) -> str:
    """Free text (a question, a chat message) with phone numbers (138****5678), ID numbers
    (330***********123X) and other long numbers masked; names cannot be told apart reliably."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"[ \-]", "", match.group(0))
        if len(digits) == 11 and digits.startswith("1"):
            return mask_phone(digits)
        return mask_id(digits)

    return NUMBER.sub(masked, text)
