"""Notifiers behind one interface: `send(recipient, payload, key)` raises DeliveryError or returns.

Every notifier passes the outbox row's idempotency key along (the `Idempotency-Key` and
`X-Govhall-Delivery` headers, the SMS request id, the e-mail Message-ID): one key per (alert,
recipient), the same on every attempt, so a receiver drops a repeat sent after a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from typing import Any, Protocol

from django.conf import settings

from govhall.monitor.models import Recipient

TIMEOUT_SECONDS = 5.0
KIND_NAMES = {
    "overtime": "超时未叫号",
    "yellow": "黄色预警",
    "red": "红色预警",
    "flow": "客流预警",
    "wait": "等候时长预警",
}


class DeliveryError(Exception):
    """The receiver did not take the message; the outbox retries later."""


class Notifier(Protocol):
    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None: ...


def text_of(payload: dict[str, Any]) -> str:
    """A short Chinese line for phones: 【红色预警】city A区 等候 40 人 (≥40) 2026-03-02T09:10:00+08:00."""
    if "alert" not in payload:  # a citizen notice (govhall.appointments) carries its own text
        return str(payload.get("text", ""))
    alert = payload["alert"]
    what = KIND_NAMES.get(alert["kind"], alert["kind"])
    zone = f"{alert['hall']} {alert.get('zone_name') or alert['zone']}"
    if payload.get("event") == "alert.dispatch":
        action = payload["action"]
        people = "、".join(action["people"])
        source = f"从 {action['from_zone']} 区" if action.get("from_zone") else ""
        return f"【人员调派】{people} 请{source}前往 {zone} 支援 (因{what} {alert['at']}) 调派人: {action['actor']}"
    if alert["kind"] == "overtime":
        detail = f"票号 {alert['ticket_id']} 等候已超时"
    elif alert["kind"] == "flow":
        detail = f"近期到达 {alert['waiting']} 人 (阈值 {alert['threshold']})"
    elif alert["kind"] == "wait":
        detail = f"预计等候 {alert['waiting']} 分钟 (阈值 {alert['threshold']} 分钟)"
    else:
        detail = f"等候 {alert['waiting']} 人 (阈值 {alert['threshold']})"
    escalated = " [升级提醒]" if payload.get("level") else ""
    return f"【{what}】{zone} {detail} {alert['at']}{escalated}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp.body`, hex: what a webhook receiver recomputes to trust us."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _post(url: str, body: bytes, headers: dict[str, str]) -> Any:
    import httpx

    try:
        response = httpx.post(url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}")
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
    return response


class SignedWebhook:
    """POST the JSON payload; `X-Govhall-Signature: sha256=HEX` over `X-Govhall-Timestamp.body`."""

    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Govhall-Delivery": key,
            "X-Govhall-Timestamp": timestamp,
        }
        if recipient.secret:
            headers["X-Govhall-Signature"] = "sha256=" + sign(recipient.secret, timestamp, body)
        _post(recipient.address, body, headers)


class RobotWebhook:
    """A DingTalk / 浙政钉-style group robot: markdown message, `timestamp` + `sign` in the URL."""

    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None:
        url = recipient.address
        if recipient.secret:
            timestamp = str(int(time.time() * 1000))
            digest = hmac.new(
                recipient.secret.encode(), f"{timestamp}\n{recipient.secret}".encode(), hashlib.sha256
            ).digest()
            signature = urllib.parse.quote_plus(base64.b64encode(digest))
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={signature}"
        text = text_of(payload)
        message = {"msgtype": "markdown", "markdown": {"title": text[:20], "text": text}}
        body = json.dumps(message, ensure_ascii=False).encode()
        response = _post(url, body, {"Content-Type": "application/json", "Idempotency-Key": key})
        try:
            answer = response.json()
        except ValueError:
            return
        if isinstance(answer, dict) and answer.get("errcode", 0) != 0:
            raise DeliveryError(f"robot refused: {answer.get('errmsg') or answer}")


class Email:
    """Through Django's e-mail backend; the Message-ID carries the idempotency key."""

    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None:
        from django.core.mail import EmailMessage

        text = text_of(payload)
        message = EmailMessage(
            subject=text[:60],
            # an alert carries its details; a notice of another app (a 差评 step, a booking) is its text
            body=text + "\n\n" + json.dumps(payload.get("alert", payload), ensure_ascii=False, indent=2),
            to=[recipient.address],
            headers={"Message-ID": f"<{key}@govhall>", "Idempotency-Key": key},
        )
        try:
            message.send(fail_silently=False)
        except Exception as exc:  # SMTP and socket errors alike: retry later
            raise DeliveryError(f"mail: {exc}")


class SmsGateway:
    """An SMS gateway adapter: POST `{"phone", "text", "request_id"}` to GOVHALL["SMS_GATEWAY_URL"]."""

    def send(self, recipient: Recipient, payload: dict[str, Any], key: str) -> None:
        url = getattr(settings, "GOVHALL", {}).get("SMS_GATEWAY_URL", "")
        if not url:
            raise DeliveryError("no SMS gateway configured (GOVHALL['SMS_GATEWAY_URL'])")
        body = json.dumps(
            {"phone": recipient.address, "text": text_of(payload), "request_id": key}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Govhall-Timestamp": timestamp,
        }
        secret = recipient.secret or getattr(settings, "GOVHALL", {}).get("SMS_GATEWAY_SECRET", "")
        if secret:
            headers["X-Govhall-Signature"] = "sha256=" + sign(secret, timestamp, body)
        _post(url, body, headers)


NOTIFIERS: dict[str, Notifier] = {
    Recipient.Channel.WEBHOOK: SignedWebhook(),
    Recipient.Channel.ROBOT: RobotWebhook(),
    Recipient.Channel.EMAIL: Email(),
    Recipient.Channel.SMS: SmsGateway(),
}


def notifier_for(recipient: Recipient) -> Notifier:
    try:
        return NOTIFIERS[recipient.channel]
    except KeyError:
        raise DeliveryError(f"unknown channel {recipient.channel!r}")
