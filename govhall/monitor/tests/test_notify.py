"""Notifications through the outbox to a real local HTTP receiver: signed, retried, deduplicable."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail

from govhall.monitor import live, outbox, services, tasks
from govhall.monitor.models import Alert, Outbox, Recipient
from govhall.monitor.notifiers import NOTIFIERS, sign
from govhall.monitor.tests.helpers import MONDAY_9AM, build, hall_doc, put_ticket

pytestmark = pytest.mark.django_db
SECRET = "s3cret"
LATE = MONDAY_9AM + dt.timedelta(minutes=16)


class Receiver:
    """A webhook endpoint on 127.0.0.1 that answers `fail` times 500 first, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail = 0
        self.answer: dict[str, Any] = {"errcode": 0}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = 500 if receiver.fail > 0 else 200
                receiver.fail -= 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps(receiver.answer).encode())

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> set[str]:
        """What a deduplicating receiver keeps: one per idempotency key."""
        return {r["headers"]["Idempotency-Key"] for r in self.requests}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


def department_head(hall: Any, channel: str, address: str, **fields: Any) -> Recipient:
    return Recipient.objects.create(
        hall=hall, name="部门负责人张三", channel=channel, address=address, secret=SECRET, **fields
    )


def one_overtime(receiver_url: str, channel: str = Recipient.Channel.WEBHOOK, **fields: Any) -> Alert:
    city = build(hall_doc())
    department_head(city, channel, receiver_url, **fields)
    put_ticket(city, "A", "t-li", MONDAY_9AM)
    assert live.evaluate(LATE) == 1
    return Alert.objects.get()


def test_alert_and_outbox_row_are_written_together_and_sent_signed_once(receiver: Receiver) -> None:
    alert = one_overtime(receiver.url)
    row = Outbox.objects.get()
    assert (row.alert, row.state, row.level) == (alert, "pending", 0)
    assert tasks.deliver(LATE) == 1
    assert outbox.deliver_due(LATE + dt.timedelta(minutes=5)) == 0
    (request,) = receiver.requests
    headers = request["headers"]
    assert headers["X-Govhall-Signature"] == "sha256=" + sign(
        SECRET, headers["X-Govhall-Timestamp"], request["body"]
    )
    assert headers["Idempotency-Key"] == row.key
    payload = json.loads(request["body"])
    assert payload["alert"]["kind"] == "overtime" and payload["alert"]["ticket_id"] == "t-li"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, LATE)


def test_failed_sends_are_retried_with_exponential_backoff(receiver: Receiver) -> None:
    one_overtime(receiver.url)
    receiver.fail = 2
    assert outbox.deliver_due(LATE) == 0  # attempt 1 fails: next in 15 s
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=10)) == 0  # not due yet: nothing sent
    assert len(receiver.requests) == 1
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=15)) == 0  # attempt 2 fails: next in 30 s
    row = Outbox.objects.get()
    assert (row.attempts, row.next_attempt_at) == (2, LATE + dt.timedelta(seconds=45))
    assert "HTTP 500" in row.last_error
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=45)) == 1
    assert len(receiver.requests) == 3 and receiver.delivered() == {row.key}


def test_a_worker_killed_after_sending_leads_to_a_resend_with_the_same_key(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_overtime(receiver.url)
    real = NOTIFIERS[Recipient.Channel.WEBHOOK]

    class DiesAfterSending:
        def send(self, *args: Any) -> None:
            real.send(*args)
            raise SystemExit("killed")  # the process dies before marking the row sent

    monkeypatch.setitem(NOTIFIERS, Recipient.Channel.WEBHOOK, DiesAfterSending())
    with pytest.raises(SystemExit):
        outbox.deliver_due(LATE)
    monkeypatch.setitem(NOTIFIERS, Recipient.Channel.WEBHOOK, real)
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=30)) == 0  # the dead worker's claim still holds
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=61)) == 1  # claim expired: sent again
    assert len(receiver.requests) == 2
    assert len(receiver.delivered()) == 1  # one delivery for a receiver that dedupes by key
    assert Outbox.objects.get().state == "sent"


def test_a_claimed_row_is_not_taken_by_a_second_worker(receiver: Receiver) -> None:
    one_overtime(receiver.url)
    row = Outbox.objects.get()
    assert outbox.claim(row.pk, 0, LATE)
    assert not outbox.claim(row.pk, 0, LATE)  # the compare-and-swap on attempts fails
    assert outbox.send_one(row.pk, 0, LATE) is None
    assert receiver.requests == []


def test_unacknowledged_alerts_escalate_after_the_delay(receiver: Receiver) -> None:
    city = build(hall_doc())
    department_head(city, Recipient.Channel.WEBHOOK, receiver.url)
    director = department_head(city, Recipient.Channel.WEBHOOK, receiver.url, level=1, delay_minutes=10)
    put_ticket(city, "A", "t-seen", MONDAY_9AM)
    put_ticket(city, "A", "t-ignored", MONDAY_9AM + dt.timedelta(seconds=1))
    live.evaluate(LATE)
    services.acknowledge(Alert.objects.get(ticket_ref="t-seen").pk)
    live.evaluate(LATE + dt.timedelta(minutes=5))
    assert not Outbox.objects.filter(recipient=director).exists()
    live.evaluate(LATE + dt.timedelta(minutes=11))
    (escalated,) = Outbox.objects.filter(recipient=director)
    assert (escalated.alert.ticket_ref, escalated.level, escalated.alert.escalation_level) == (
        "t-ignored",
        1,
        1,
    )
    live.evaluate(LATE + dt.timedelta(minutes=12))
    assert Outbox.objects.filter(recipient=director).count() == 1
    assert outbox.deliver_due(LATE + dt.timedelta(minutes=12)) == 3
    assert len(receiver.delivered()) == 3


def test_robot_webhook_signs_the_url_and_reads_errcode(receiver: Receiver) -> None:
    one_overtime(receiver.url + "?access_token=abc", Recipient.Channel.ROBOT)
    receiver.answer = {"errcode": 310000, "errmsg": "sign not match"}
    assert outbox.deliver_due(LATE) == 0
    assert "sign not match" in Outbox.objects.get().last_error
    receiver.answer = {"errcode": 0}
    assert outbox.deliver_due(LATE + dt.timedelta(seconds=15)) == 1
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(receiver.requests[-1]["path"]).query)
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{query['timestamp'][0]}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"][0] == expected and query["access_token"] == ["abc"]
    message = json.loads(receiver.requests[-1]["body"])
    assert message["msgtype"] == "markdown" and "超时未叫号" in message["markdown"]["text"]


def test_email_carries_the_key_as_message_id(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    one_overtime("head@example.org", Recipient.Channel.EMAIL)
    assert outbox.deliver_due(LATE) == 1
    (message,) = mail.outbox
    assert message.to == ["head@example.org"] and "超时未叫号" in message.subject
    assert message.extra_headers["Message-ID"] == f"<{Outbox.objects.get().key}@govhall>"


def test_sms_gateway_adapter_posts_phone_text_and_request_id(receiver: Receiver, settings: Any) -> None:
    settings.GOVHALL = {**settings.GOVHALL, "SMS_GATEWAY_URL": receiver.url}
    one_overtime("13800000000", Recipient.Channel.SMS)
    assert outbox.deliver_due(LATE) == 1
    body = json.loads(receiver.requests[0]["body"])
    assert body["phone"] == "13800000000" and body["request_id"] == Outbox.objects.get().key
    assert "t-li" in body["text"]


def test_recipients_only_hear_of_their_zone_and_kinds(receiver: Receiver) -> None:
    city = build(hall_doc(zones={"A": (15, 1, None), "B": (15, None, None)}))
    zone_b = city.zones.get(code="B")
    department_head(city, Recipient.Channel.WEBHOOK, receiver.url, zone=zone_b)
    department_head(city, Recipient.Channel.WEBHOOK, receiver.url, kinds=["yellow"])
    put_ticket(city, "A", "t1", MONDAY_9AM)
    live.evaluate(LATE)  # yellow in A and overtime in A
    assert sorted(Outbox.objects.values_list("alert__kind", flat=True)) == ["yellow"]
