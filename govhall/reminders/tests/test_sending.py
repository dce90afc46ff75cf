"""Sending through the SMS adapter to a local fake gateway: once each, quiet hours, retries, opt-outs."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from govhall.catalog.services import upsert_matters
from govhall.queueing.services import issue_ticket
from govhall.reminders import queries, services
from govhall.reminders.fakegateway import FakeGateway
from govhall.reminders.models import CertificateRecord, CertificateType, Delivery, OptOut, Reminder
from govhall.reminders.tests.conftest import MORNING, csv_of, holder_rows
from govhall.testing import build_hall, matter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def at_morning() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def load(count: int, *, type_name: str = "居民身份证", start: int = 0) -> None:
    """Holders with one reminder each, due now: expiry 10–14 days after MORNING (only the last step)."""
    rows = holder_rows(count, first_expiry=dt.date(2026, 3, 12), type_name=type_name, start=start)
    services.import_records("r.csv", csv_of(rows), now=MORNING)


def test_each_due_reminder_is_sent_once_with_the_right_text(gateway: FakeGateway) -> None:
    load(4)
    load(1, type_name="机动车驾驶证", start=100)
    report = services.send_due(MORNING)
    assert (report.sent, report.delivered, report.failed) == (5, 5, 0)
    assert services.send_due(MORNING + dt.timedelta(minutes=5)).sent == 0  # nothing twice
    assert sorted(gateway.posts_per_id().values()) == [1] * 5
    by_phone = {m["phone"]: m["text"] for m in gateway.handset.values()}
    id_card = by_phone["13800000000"]  # the clear phone exists only on the wire
    assert "测试0000您好" in id_card and "居民身份证有效期满换领" in id_card
    assert "请携带原证件到就近公安户政窗口或政务服务中心办理" in id_card  # not online: the hall
    assert "330***********0000" in id_card and "330100199001010000" not in id_card
    assert "/r/td/" in id_card
    driving = next(t for t in by_phone.values() if "机动车驾驶证" in t)
    assert "可在浙里办/网上办理，无需跑腿" in driving
    assert set(Reminder.objects.values_list("state", flat=True)) == {Reminder.State.DELIVERED}
    assert Delivery.objects.filter(outcome=Delivery.Outcome.DELIVERED).count() == 5


def test_no_gateway_spends_no_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVHALL_SMS_GATEWAY_URL", raising=False)
    load(1)
    report = services.send_due(MORNING)
    assert report.sent == 0 and "未配置短信网关" in report.errors[0]
    assert Reminder.objects.get().attempts == 0


def test_quiet_hours_defer_to_eight_in_the_morning(gateway: FakeGateway) -> None:
    load(2)
    night = dt.datetime(2026, 3, 2, 14, 30, tzinfo=dt.UTC)  # 22:30 in Shanghai
    report = services.send_due(night)
    assert (report.sent, report.deferred) == (0, 2)
    assert gateway.requests == []
    eight = dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)  # 08:00 the next day
    assert set(Reminder.objects.values_list("next_attempt_at", flat=True)) == {eight}
    assert services.send_due(eight - dt.timedelta(seconds=1)).sent == 0
    assert services.send_due(eight).sent == 2


def test_a_failing_gateway_is_retried_with_backoff_under_the_same_message_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeGateway(fail_first=2).start()
    monkeypatch.setenv("GOVHALL_SMS_GATEWAY_URL", fake.url)
    try:
        load(1)
        row = Reminder.objects.get()
        assert services.send_due(MORNING).failed == 1
        row.refresh_from_db()
        assert (row.state, row.attempts, row.next_attempt_at) == (
            "planned",
            1,
            MORNING + dt.timedelta(seconds=15),
        )
        assert services.send_due(MORNING + dt.timedelta(seconds=10)).failed == 0  # not yet due
        assert services.send_due(MORNING + dt.timedelta(seconds=15)).failed == 1
        row.refresh_from_db()
        assert row.next_attempt_at == MORNING + dt.timedelta(seconds=15 + 30)
        assert services.send_due(MORNING + dt.timedelta(seconds=45)).sent == 1
        assert fake.posts_per_id() == {row.key: 3}
        assert len(fake.handset) == 1
        outcomes = list(Delivery.objects.order_by("attempt").values_list("attempt", "outcome"))
        assert outcomes == [(1, "error"), (2, "error"), (3, "delivered")]
    finally:
        fake.close()


def test_a_gateway_that_keeps_failing_ends_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGateway(fail_first=100).start()
    monkeypatch.setenv("GOVHALL_SMS_GATEWAY_URL", fake.url)
    try:
        load(1)
        moment = MORNING
        for _ in range(services.MAX_ATTEMPTS):
            services.send_due(moment)
            moment += dt.timedelta(hours=2)
        row = Reminder.objects.get()
        assert (row.state, row.attempts) == (Reminder.State.FAILED, services.MAX_ATTEMPTS)
        assert services.send_due(moment).failed == 0
        assert queries.monthly_figures()[0]["failed"] == 1
    finally:
        fake.close()


def test_reply_td_opts_out_and_nothing_more_is_sent(gateway: FakeGateway) -> None:
    load(3)
    client = Client()
    answer = client.post(
        "/api/v1/reminders/gateway/reply",
        json.dumps({"phone": "+86 138 0000 0001", "text": "退订"}),
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer.json() == {"opted_out": True}
    ignored = client.post(
        "/api/v1/reminders/gateway/reply",
        {"phone": "13800000002", "text": "好的谢谢"},
        content_type="application/json",
    )
    assert ignored.json() == {"opted_out": False}
    assert services.send_due(MORNING).sent == 2
    assert "13800000001" not in {m["phone"] for m in gateway.handset.values()}
    assert Reminder.objects.filter(state=Reminder.State.OPTED_OUT).count() == 1
    assert OptOut.objects.get().phone_masked == "138****0001"


def test_the_gateway_webhooks_need_a_signature_when_a_secret_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from govhall.monitor.notifiers import sign

    monkeypatch.setenv("GOVHALL_SMS_GATEWAY_SECRET", "gw-secret")
    load(1)
    body = json.dumps({"phone": "13800000000", "text": "TD"}).encode()
    client = Client()
    unsigned = client.post("/api/v1/reminders/gateway/reply", body, content_type="application/json")
    assert unsigned.status_code in (400, 403) and "detail" in unsigned.json()
    stamp = str(int(time.time()))
    signed = client.post(
        "/api/v1/reminders/gateway/reply",
        body,
        content_type="application/json",
        headers={
            "X-Govhall-Timestamp": stamp,
            "X-Govhall-Signature": "sha256=" + sign("gw-secret", stamp, body),
        },
    )
    assert signed.status_code == 200 and signed.json() == {"opted_out": True}


def test_the_opt_out_link_asks_then_opts_out(gateway: FakeGateway) -> None:
    load(1)
    text = services.render(CertificateRecord.objects.get())
    path = text[text.index("/r/td/") :]
    client = Client()
    page = client.get(path)
    assert page.status_code == 200 and "138****0000" in page.content.decode()
    assert not OptOut.objects.exists()  # a GET (a link preview) changes nothing
    client.post(path)
    assert OptOut.objects.get().source == OptOut.Source.LINK
    assert Reminder.objects.get().state == Reminder.State.OPTED_OUT
    assert client.get(path[:-2] + "00").status_code == 404


def test_delivery_reports_move_sent_to_delivered_or_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGateway(accept_only=True).start()
    monkeypatch.setenv("GOVHALL_SMS_GATEWAY_URL", fake.url)
    try:
        load(2)
        services.send_due(MORNING)
        first, second = Reminder.objects.order_by("id")
        client = Client()
        for row, status in ((first, "delivered"), (second, "failed")):
            answer = client.post(
                "/api/v1/reminders/gateway/report",
                {"request_id": row.key, "status": status, "detail": "用户关机"},
                content_type="application/json",
            )
            assert answer.status_code == 200
        unknown = client.post(
            "/api/v1/reminders/gateway/report",
            {"request_id": "nope", "status": "delivered"},
            content_type="application/json",
        )
        assert unknown.status_code == 404 and "detail" in unknown.json()
        first.refresh_from_db()
        assert first.state == Reminder.State.DELIVERED
    finally:
        fake.close()


def test_monthly_figures_count_renewals_by_the_same_subject(
    gateway: FakeGateway, at_morning: time_machine.Traveller
) -> None:
    load(3)
    ctype = CertificateType.objects.get(code="id-card")
    upsert_matters([matter(ctype.renewal_matter_code, ctype.renewal_matter_name)])
    hall = build_hall("city", zones=("A",), matters={"A": [ctype.renewal_matter_code]})
    at_morning.move_to(MORNING - dt.timedelta(days=3))
    # before the reminder: not a renewal it caused
    issue_ticket(hall, ctype.renewal_matter_code, subject="330100199001010002")
    at_morning.move_to(MORNING)
    services.send_due(MORNING)
    at_morning.move_to(MORNING + dt.timedelta(days=2))
    issue_ticket(hall, ctype.renewal_matter_code, subject="330100199001010000")
    figures = queries.monthly_figures()
    assert figures == [
        {
            "month": "2026-03",
            "type": "居民身份证",
            "sent": 3,
            "delivered": 3,
            "failed": 0,
            "opted_out": 0,
            "reminded": 3,
            "renewed": 1,
            "renewal_rate": 0.333,
        }
    ]
