"""Remote tickets, near-turn notices, 无证办理 / green channel / proxies and the end of day."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings

from govhall import clock
from govhall.appointments import tasks
from govhall.appointments.models import Booking, Notice, TicketDetail
from govhall.appointments.tests.conftest import HUKOU, ID_LI, MONDAY_8AM, PHONE_LI, Api, book, first_slot
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.queueing import tasks as queue_tasks
from govhall.queueing.models import Ticket
from govhall.testing import window

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
MONDAY_10AM = dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)


def remote(api: Api, *, hall: str = "city", subject: str = ID_LI, phone: str = PHONE_LI, **extra: Any) -> Any:
    return api.post(
        "/appointments/remote-tickets",
        {"hall": hall, "matter": HUKOU, "subject": subject, "phone": phone, **extra},
        **extra.pop("headers", {}),
    )


def test_a_remote_ticket_is_waiting_at_once_with_its_link(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        response = remote(citizen_li)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ticket"]["channel"] == "remote" and body["ticket"]["status"] == "waiting"
    assert body["ticket"]["position"] == 0 and body["link"].endswith(f"/t/{body['ticket']['id']}")
    assert body["phone_masked"] == "138****5678" and PHONE_LI not in response.content.decode()


def test_remote_limits_one_open_per_hall_and_three_a_day(citizen_li: Api, city: Hall) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        first = remote(citizen_li).json()["ticket"]
        second = remote(citizen_li)
        assert second.status_code == 409 and "未办结" in second.json()["detail"]
        queue.perform(first["id"], "cancel")
        assert remote(citizen_li).status_code == 201
        assert remote(citizen_li, hall="town").status_code == 201
        fourth = remote(citizen_li, hall="town", subject=ID_LI)
        assert fourth.status_code == 409
        # another citizen is not limited by Li's tickets
        assert remote(citizen_li, subject="330102199001010002").status_code == 201
    assert Ticket.objects.filter(channel="remote").count() == 4


def test_remote_ticket_idempotency_key_returns_the_same_ticket(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        a = remote(citizen_li, headers={"Idempotency-Key": "phone-42"})
        b = remote(citizen_li, headers={"Idempotency-Key": "phone-42"})
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["ticket"]["id"] == b.json()["ticket"]["id"]


def test_remote_tickets_are_refused_when_the_hall_is_closed(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_10AM + dt.timedelta(hours=8), tick=False):
        closed = remote(citizen_li)
    assert closed.status_code == 409 and "开放时间" in closed.json()["detail"]
    assert not Ticket.objects.exists()


def test_near_turn_notice_once_through_the_sms_gateway(citizen_li: Api, city: Hall, monkeypatch: Any) -> None:
    sent: list[dict[str, Any]] = []

    def gateway(url: str, body: bytes, headers: dict[str, str]) -> None:
        sent.append({"url": url, **json.loads(body), "key": headers["Idempotency-Key"]})

    monkeypatch.setattr("govhall.monitor.notifiers._post", gateway)
    gateway_settings = {**settings.GOVHALL, "SMS_GATEWAY_URL": "http://sms.invalid/send"}
    with (
        time_machine.travel(MONDAY_10AM, tick=False) as traveller,
        override_settings(GOVHALL=gateway_settings),
    ):
        for _ in range(5):
            queue.issue_ticket(city, HUKOU)
        traveller.shift(60)
        ticket = remote(citizen_li).json()["ticket"]
        assert tasks.near_turn(clock.now()) == 0  # 5 ahead
        for code in ("1", "2"):
            called = queue.call_next(window(city, code))
            assert called is not None
            queue.perform(called.id, "start")
            queue.perform(called.id, "finish")
        assert tasks.near_turn(clock.now()) == 1
        assert tasks.near_turn(clock.now()) == 0  # once per ticket
        assert tasks.deliver_notices(clock.now()) == 1
    assert len(sent) == 1 and sent[0]["phone"] == PHONE_LI and "还有3位" in sent[0]["text"]
    assert sent[0]["key"] == f"near-{ticket['id']}"
    assert Notice.objects.get().state == "sent"


def test_a_notice_that_cannot_be_sent_is_kept_and_retried(citizen_li: Api, city: Hall) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        remote(citizen_li)
        assert tasks.near_turn(clock.now()) == 1
        assert tasks.deliver_notices(clock.now()) == 0  # no SMS gateway configured
    notice = Notice.objects.get()
    assert notice.state == "pending" and notice.attempts == 1 and "gateway" in notice.last_error
    assert notice.next_attempt_at > MONDAY_10AM


def test_e_certificate_green_channel_and_proxy_are_stored_masked(citizen_li: Api, clerk_wang: Api) -> None:
    extras = {
        "identity": {
            "kind": "e_certificate",
            "reference": "ZJ-ECERT-330102198001011234",
            "covers": ["居民身份证", "户口簿"],
        },
        "green_kind": "老年人(65岁以上)",
        "proxy": {
            "proxy_name": "李小明",
            "proxy_id": "330102200501012345",
            "principal_name": "李大爷",
            "principal_id": "330102195001011111",
            "relation": "子女",
        },
    }
    with time_machine.travel(MONDAY_10AM, tick=False):
        walk_in = queue.issue_ticket(Hall.objects.get(code="city"), HUKOU)[0]
        response = remote(citizen_li, **extras)
        assert response.status_code == 201, response.content
        ticket = response.json()["ticket"]
        assert ticket["priority"] == 1 and ticket["position"] == 0  # green channel goes ahead of the walk-in
        assert citizen_li.get("/appointments/tickets/t0000000000000000/details").status_code == 404
        detail = clerk_wang.get(f"/appointments/tickets/{ticket['id']}/details")
    assert detail.status_code == 200
    body = detail.json()
    assert body["identity"]["reference_masked"].startswith("ZJ-") and body["identity"][
        "reference_masked"
    ].endswith("1234")
    assert body["materials"] == [
        {"name": "居民身份证", "covered": True},
        {"name": "出生医学证明", "covered": False},
        {"name": "户口簿", "covered": True},
    ]
    assert body["green"]["proof"].startswith("居民身份证或老年人优待证")
    assert body["proxy"] == {
        "proxy_name": "李**",
        "proxy_id": "330***********2345",
        "principal_name": "李**",
        "principal_id": "330***********1111",
        "relation": "子女",
    }
    stored = json.dumps(list(TicketDetail.objects.values()), default=str)
    for raw in ("330102198001011234", "330102200501012345", "330102195001011111", "李小明", "李大爷"):
        assert raw not in stored and raw not in detail.content.decode()
    assert walk_in.status == "waiting"


@pytest.mark.parametrize(
    "extra",
    [
        {"green_kind": "VIP"},
        {"identity": {"kind": "passport", "reference": "X1234567"}},
        {"identity": {"kind": "e_certificate", "reference": "123"}},
        {"proxy": {"proxy_name": "", "proxy_id": "1", "principal_name": "李", "principal_id": "2"}},
    ],
)
def test_bad_extras_are_refused_before_any_ticket(citizen_li: Api, extra: dict[str, Any]) -> None:
    with time_machine.travel(MONDAY_10AM, tick=False):
        response = remote(citizen_li, **extra)
    assert response.status_code == 422 and "detail" in response.json()
    assert not Ticket.objects.exists()


def test_booking_extras_reach_the_ticket_at_check_in(citizen_li: Api, clerk_wang: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        extras = {"identity": {"kind": "data_sharing", "reference": "DS-20260302-778899"}}
        code = book(citizen_li, slot, **extras).json()["code"]
        traveller.move_to(MONDAY_10AM - dt.timedelta(minutes=25))
        ticket = citizen_li.post("/appointments/halls/city/check-in", {"code": code}).json()["ticket"]
        body = clerk_wang.get(f"/appointments/tickets/{ticket['id']}/details").json()
    assert body["booking"] == code and body["identity"]["kind"] == "data_sharing"
    assert {m["name"] for m in body["materials"] if m["covered"]} == {"居民身份证", "户口簿"}


def test_closing_time_cancels_every_waiting_ticket_and_tells_holders_with_a_phone(
    citizen_li: Api, city: Hall
) -> None:
    with time_machine.travel(MONDAY_10AM.replace(hour=16, minute=30), tick=False) as traveller:
        walk_in = queue.issue_ticket(city, HUKOU)[0]
        with_phone = remote(citizen_li).json()["ticket"]
        traveller.move_to(MONDAY_10AM.replace(hour=17, minute=1))
        now = clock.now()
        assert queue_tasks.end_of_day(now) == 2
        changes = tasks.day_changes(now)
        assert changes["closing_notices"] == 1
        assert tasks.day_changes(now)["closing_notices"] == 0
    for ticket_id in (walk_in.id, with_phone["id"]):
        ticket = Ticket.objects.get(pk=ticket_id)
        assert (
            ticket.status == "cancelled" and ticket.reason and ticket.events.filter(action="close").exists()
        )
    notice = Notice.objects.get()
    assert notice.kind == "closing" and notice.ticket_id == with_phone["id"] and "已取消" in notice.text


def test_an_emergency_closure_cancels_todays_queue_and_the_days_bookings_with_a_notice(
    citizen_li: Api, city: Hall
) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        today = book(citizen_li, first_slot(citizen_li, after="2026-03-02T14:00")).json()["code"]
        tomorrow = book(citizen_li, first_slot(citizen_li, day="2026-03-03")).json()["code"]
        traveller.move_to(MONDAY_10AM)
        waiting = remote(citizen_li, subject="330102199001010002").json()["ticket"]
        city.closed_dates = ["2026-03-02"]
        city.save(update_fields=["closed_dates"])
        changes = tasks.day_changes(clock.now())
    assert changes["closed_day_bookings"] == 1 and changes["closure_tickets"] == 1
    assert changes["closing_notices"] == 1
    assert Booking.objects.get(code=today).status == "cancelled"
    assert "闭厅" in Booking.objects.get(code=today).reason
    assert Booking.objects.get(code=tomorrow).status == "booked"
    assert Ticket.objects.get(pk=waiting["id"]).status == "cancelled"
    kinds = sorted(Notice.objects.values_list("kind", flat=True))
    assert kinds == ["closed_day", "closing"]
    with time_machine.travel(MONDAY_10AM, tick=False):
        again = citizen_li.post(
            "/appointments/bookings", {"hall": "city", "matter": HUKOU, "slot": 1, "subject": ID_LI}
        )
    assert again.status_code in (404, 409)


def test_remote_ticket_at_a_town_centre_is_told_near_its_turn_and_served(citizen_li: Api) -> None:
    town = Hall.objects.get(code="town")
    with time_machine.travel(MONDAY_10AM, tick=False) as traveller:
        ahead = [queue.issue_ticket(town, HUKOU)[0] for _ in range(4)]
        traveller.shift(30)
        mine = remote(citizen_li, hall="town")
        assert mine.status_code == 201 and mine.json()["ticket"]["position"] == 4
        ticket_id = mine.json()["ticket"]["id"]
        assert tasks.near_turn(clock.now()) == 0
        for t in ahead:
            called = queue.call_next(window(town, "1"))
            assert called is not None and called.id == t.id
            queue.perform(called.id, "start")
            queue.perform(called.id, "finish")
            tasks.near_turn(clock.now())
        notice = Notice.objects.get(ticket_id=ticket_id)
        assert notice.kind == "near_turn" and "还有3位" in notice.text and "town" in notice.text
        called = queue.call_next(window(town, "1"))
        assert called is not None and called.id == ticket_id
        queue.perform(ticket_id, "start")
        queue.perform(ticket_id, "finish")
    assert Ticket.objects.get(pk=ticket_id).status == "served"
    assert Notice.objects.count() == 1
