"""Personal numbers at rest: masked for display, a keyed hash for matching, and the phone sealed.

* Certificate numbers are never stored in clear: only `mask_id(number)` and
  `digest("number", number)` (HMAC-SHA256), which is how a re-import finds the same record.
* Phones are stored masked (display), as a keyed hash (opt-outs match on it) and sealed
  (`seal`/`unseal`): the one reader of the clear phone is the send itself.

The seal is encrypt-then-MAC from the standard library alone (the `cryptography` package is not a
runtime dependency of govhall): a keystream of HMAC-SHA256(enc_key, nonce ‖ counter) blocks XORed
with the text — a PRF in counter mode — then HMAC-SHA256(mac_key, nonce ‖ ciphertext) over it. A
fresh 16-byte random nonce per value. The keys are derived from GOVHALL_REMINDERS_KEY when set,
else from SECRET_KEY, with a label per purpose; rotating that key makes sealed phones unreadable
(re-import the file), which is the intended failure.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets

from django.conf import settings

from govhall.queueing.subjects import mask_id, mask_phone

VERSION = b"r1"
NONCE_BYTES = 16
TAG_BYTES = 16
PHONE = re.compile(r"^1[3-9]\d{9}$")


class SealError(ValueError):
    """The sealed value was altered or sealed under another key."""


def _master() -> bytes:
    return (os.environ.get("GOVHALL_REMINDERS_KEY") or settings.SECRET_KEY).encode()


def _key(label: str) -> bytes:
    return hmac.new(_master(), b"govhall.reminders." + label.encode(), hashlib.sha256).digest()


def digest(purpose: str, value: str) -> str:
    """A keyed hash (hex) of a normalised value: equal values match, nothing reveals the value."""
    return hmac.new(_key("hash." + purpose), value.encode(), hashlib.sha256).hexdigest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = []
    for counter in range((length + 31) // 32):
        blocks.append(hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest())
    return b"".join(blocks)[:length]


def seal(text: str) -> str:
    data = text.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = bytes(a ^ b for a, b in zip(data, _keystream(_key("seal.enc"), nonce, len(data)), strict=True))
    tag = hmac.new(_key("seal.mac"), VERSION + nonce + body, hashlib.sha256).digest()[:TAG_BYTES]
    return base64.urlsafe_b64encode(VERSION + nonce + body + tag).decode()


def unseal(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except ValueError as exc:
        raise SealError("not a sealed value") from exc
    if len(raw) < len(VERSION) + NONCE_BYTES + TAG_BYTES or not raw.startswith(VERSION):
        raise SealError("not a sealed value")
    nonce = raw[len(VERSION) : len(VERSION) + NONCE_BYTES]
    body, tag = raw[len(VERSION) + NONCE_BYTES : -TAG_BYTES], raw[-TAG_BYTES:]
    expected = hmac.new(_key("seal.mac"), VERSION + nonce + body, hashlib.sha256).digest()[:TAG_BYTES]
    if not hmac.compare_digest(tag, expected):
        raise SealError("the sealed value was altered or sealed under another key")
    return bytes(
        a ^ b for a, b in zip(body, _keystream(_key("seal.enc"), nonce, len(body)), strict=True)
    ).decode()


def normalize_phone(raw: str) -> str:
    """Mainland mobile numbers: digits only, an optional +86/86 prefix dropped."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalize_number(raw: str) -> str:
    return re.sub(r"\s", "", raw or "").upper()


def phone_hash(phone: str) -> str:
    return digest("phone", normalize_phone(phone))


def number_hash(type_code: str, number: str) -> str:
    return digest("number", f"{type_code}:{normalize_number(number)}")


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; an enterprise name keeps its first two and last two characters."""
    text = (name or "").strip()
    if len(text) <= 1:
        return text
    if len(text) >= 8:
        return text[:2] + "*" * (len(text) - 4) + text[-2:]
    return text[0] + "*" * (len(text) - 1)


__all__ = [
    "PHONE",
    "SealError",
    "digest",
    "mask_id",
    "mask_name",
    "mask_phone",
    "normalize_number",
    "normalize_phone",
    "number_hash",
    "phone_hash",
    "seal",
    "unseal",
]
