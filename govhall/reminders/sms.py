"""Sending a reminder through the SMS gateway adapter of govhall.monitor.notifiers.

The wire format is the monitor's (`POST {"phone", "text", "request_id"}` with `Idempotency-Key`
and an HMAC signature); the reminder subclass only changes where the text comes from (the payload's
`text` rather than an alert) and reads the gateway's answer: `{"message_id", "status":
"accepted"|"delivered"}`. A gateway that keeps the request ids it has taken sends each reminder to
the handset once, however often a crashed worker repeats the POST.

Where the gateway is: env GOVHALL_SMS_GATEWAY_URL, else settings GOVHALL["SMS_GATEWAY_URL"], else
the URL saved on the manage page (GatewayConfig). `fake:` is the in-process fake of the demo.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from govhall.monitor.models import Recipient
from govhall.monitor.notifiers import TIMEOUT_SECONDS, DeliveryError, SmsGateway, sign

FAKE = "fake:"


@dataclass(frozen=True)
class Answer:
    message_id: str
    delivered: bool


def gateway_url() -> str:
    from govhall.reminders.models import GatewayConfig

    configured = os.environ.get("GOVHALL_SMS_GATEWAY_URL") or getattr(settings, "GOVHALL", {}).get(
        "SMS_GATEWAY_URL", ""
    )
    if configured:
        return str(configured)
    row = GatewayConfig.objects.filter(pk=1).first()
    return row.url if row else ""


def gateway_secret() -> str:
    return os.environ.get("GOVHALL_SMS_GATEWAY_SECRET") or str(
        getattr(settings, "GOVHALL", {}).get("SMS_GATEWAY_SECRET", "")
    )


class ReminderSms(SmsGateway):
    """The monitor's SMS adapter with the reminder's own text; `submit` also returns the answer."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: Any = None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _post(self, body: bytes, headers: dict[str, str]) -> Any:
        """One kept-alive client per batch (a new client per message costs more than the send)."""
        import httpx

        if self._client is None:
            self._client = httpx.Client(timeout=TIMEOUT_SECONDS)
        try:
            response = self._client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}")
        if response.status_code >= 300:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None:
        self.submit(recipient, payload, key)

    def submit(self, recipient: Recipient, payload: dict[str, Any], key: str) -> Answer:
        if self.url == FAKE:
            return Answer(f"fake-{key}", True)
        if not self.url:
            raise DeliveryError("未配置短信网关 (GOVHALL_SMS_GATEWAY_URL 或管理页设置)")
        body = json.dumps(
            {"phone": recipient.address, "text": payload["text"], "request_id": key}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Govhall-Timestamp": timestamp,
        }
        secret = recipient.secret or gateway_secret()
        if secret:
            headers["X-Govhall-Signature"] = "sha256=" + sign(secret, timestamp, body)
        response = self._post(body, headers)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        return Answer(str(answer.get("message_id") or "")[:80], answer.get("status") == "delivered")


def recipient(phone: str) -> Recipient:
    """An unsaved recipient for the notifier interface: the clear phone lives only in this object."""
    return Recipient(name="证照到期提醒", channel=Recipient.Channel.SMS, address=phone)
