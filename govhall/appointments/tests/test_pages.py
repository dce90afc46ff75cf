"""The citizen pages, the kiosk check-in page and the manage page, through Django's test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client

from govhall.accounts.services import create_token
from govhall.appointments.models import Booking, Slot
from govhall.appointments.tests.conftest import HUKOU, ID_LI, MONDAY_8AM, PHONE_LI
from govhall.halls.models import Hall
from govhall.queueing.models import Ticket

pytestmark = pytest.mark.django_db
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _slot_ids(html: str) -> list[str]:
    return re.findall(r'name="slot" value="(\d+)">', html)


def test_book_page_books_and_shows_the_code_with_a_qr(city: Hall) -> None:
    client = Client()
    with time_machine.travel(MONDAY_8AM, tick=False):
        page = client.get("/book/city/")
        html = page.content.decode()
        assert page.status_code == 200 and '<html lang="zh-Hans">' in html and "<title>" in html
        assert "出生登记" in html and "08:30–09:00" in html
        slot = _slot_ids(html)[0]
        done = client.post(
            "/book/city/",
            {"matter": HUKOU, "day": "2026-03-02", "slot": slot, "subject": ID_LI, "phone": PHONE_LI},
        )
        assert done.status_code == 302
        booking = Booking.objects.get()
        page = client.get(done["Location"])
    html = page.content.decode()
    assert booking.code in html and "<svg" in html and "138****5678" in html
    assert PHONE_LI not in html and ID_LI not in html


def test_the_slot_fragment_follows_matter_and_day(city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        html = Client().get(f"/book/city/slots?matter={HUKOU}&day=2026-03-07").content.decode()
    assert "没有可预约的时段" in html


def test_a_refused_booking_shows_the_reason_and_keeps_the_form(city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        page = Client().post(
            "/book/city/", {"matter": HUKOU, "day": "2026-03-02", "subject": ID_LI, "slot": "x"}
        )
    assert page.status_code == 200 and "请选择一个预约时段" in page.content.decode()
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = Slot.objects.filter(zone__code="A").first()
        assert slot is not None
        page = Client().post(
            "/book/city/", {"matter": HUKOU, "slot": slot.pk, "subject": ID_LI, "phone": "123"}
        )
    assert page.status_code == 200 and "手机号格式不正确" in page.content.decode()
    assert not Booking.objects.exists()


def test_cancel_and_reschedule_from_the_booking_page(city: Hall) -> None:
    client = Client()
    with time_machine.travel(MONDAY_8AM, tick=False):
        slots = _slot_ids(client.get("/book/city/").content.decode())
        client.post("/book/city/", {"matter": HUKOU, "slot": slots[0], "subject": ID_LI})
        code = Booking.objects.get().code
        moved = client.post(f"/book/b/{code}/reschedule", {"slot": slots[3]}, follow=True)
        assert "已改约" in moved.content.decode() and "10:00" in moved.content.decode()
        cancelled = client.post(f"/book/b/{code}/cancel", follow=True)
        assert "预约已取消" in cancelled.content.decode()
        again = client.post(f"/book/b/{code}/cancel", follow=True)
        assert "不能取消" in again.content.decode()
    assert Booking.objects.get().status == "cancelled"
    assert Client().get("/book/b/NOPE").status_code == 404


def test_kiosk_check_in_page_gives_the_ticket_or_the_reason(city: Hall) -> None:
    client = Client()
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slots = _slot_ids(client.get("/book/city/").content.decode())
        client.post("/book/city/", {"matter": HUKOU, "slot": slots[0], "subject": ID_LI})
        code = Booking.objects.get().code
        page = client.get("/halls/city/checkin")
        traveller.move_to(dt.datetime(2026, 3, 2, 7, 50, tzinfo=SHANGHAI))
        assert page.status_code == 200 and "预约签到" in page.content.decode()
        early = client.post("/halls/city/checkin", {"code": code})
        assert early.status_code == 200 and "还未到签到时间" in early.content.decode()
        traveller.move_to(dt.datetime(2026, 3, 2, 8, 31, tzinfo=SHANGHAI))
        done = client.post("/halls/city/checkin", {"code": code.lower()})
        assert (
            done.status_code == 200
            and "A001" in done.content.decode()
            and "签到成功" in done.content.decode()
        )
        unknown = client.post("/halls/city/checkin", {"code": "ZZZZZZZZ"})
        assert unknown.status_code == 200 and "没有这个预约码" in unknown.content.decode()
    assert Ticket.objects.get().channel == "appointment"


def test_remote_ticket_form_goes_to_the_phone_ticket(city: Hall) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        done = Client().post("/book/city/remote", {"matter": HUKOU, "subject": ID_LI, "phone": PHONE_LI})
        ticket = Ticket.objects.get()
        assert done.status_code == 302 and done["Location"] == f"/t/{ticket.id}"
        refused = Client().post("/book/city/remote", {"matter": HUKOU, "subject": ID_LI}, follow=True)
    assert "远程取号未成功" in refused.content.decode()


def test_manage_page_needs_a_manager_and_edits_capacity(city: Hall) -> None:
    assert Client().get("/manage/appointments/").status_code == 302
    create_token("manager_zhao", hall_code="city", role="manager")
    from django.contrib.auth import get_user_model

    manager = get_user_model().objects.get(username="manager_zhao")
    client = Client()
    client.force_login(manager)
    with time_machine.travel(MONDAY_8AM, tick=False):
        page = client.get("/manage/appointments/?hall=city&day=2026-03-02")
        assert page.status_code == 200 and "可预约数" in page.content.decode()
        slot = Slot.objects.filter(hall=city).first()
        assert slot is not None
        client.post("/manage/appointments/?hall=city&day=2026-03-02", {"slot": slot.pk, "capacity": "9"})
        bad = client.post(
            "/manage/appointments/?hall=city&day=2026-03-02", {"slot": slot.pk, "capacity": "x"}, follow=True
        )
        assert "须为整数" in bad.content.decode()
    assert Slot.objects.get(pk=slot.pk).capacity == 9
    create_token("clerk_wang", hall_code="city", role="staff")
    clerk = get_user_model().objects.get(username="clerk_wang")
    other = Client()
    other.force_login(clerk)
    assert other.get("/manage/appointments/").status_code == 403


def test_the_kiosk_entry_and_ticket_details_templates_render(city: Hall) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("appointments/kiosk_checkin.html", {"hall": city})
    assert 'href="/halls/city/checkin"' in html and "预约签到" in html
    details = {
        "booking": "ABCD2345",
        "identity": {"kind_label": "电子证照", "reference_masked": "ZJ-***1234"},
        "materials": [{"name": "居民身份证", "covered": True}, {"name": "户口簿", "covered": False}],
        "green": None,
        "proxy": {
            "proxy_name": "李*",
            "proxy_id": "330****1",
            "principal_name": "王*",
            "principal_id": "330****2",
            "relation": "子女",
        },
    }
    html = render_to_string("appointments/ticket_details.html", {"ticket_details": details})
    assert "居民身份证：已通过电子证照核验" in html and "户口簿：需现场提交" in html and "亲友代办" in html


def test_a_booking_opened_from_a_conversation_ends_it_at_a_window(city: Hall) -> None:
    from govhall.assistant import services as assistant
    from govhall.assistant.models import Conversation, Outcome

    talk = assistant.start()
    client = Client()
    with time_machine.travel(MONDAY_8AM, tick=False):
        html = client.get(f"/book/city/?matter={HUKOU}&c={talk.token}").content.decode()
        assert f'name="conversation" value="{talk.token}"' in html
        fields = {"matter": HUKOU, "day": "2026-03-02", "subject": ID_LI, "phone": PHONE_LI}
        done = client.post("/book/city/", {**fields, "slot": _slot_ids(html)[0], "conversation": talk.token})
        assert done.status_code == 302
        # an unknown conversation does not stop a booking
        stranger = {**fields, "subject": "330102199203034321", "phone": "13900001111"}
        other = client.post(
            "/book/city/", {**stranger, "slot": _slot_ids(html)[1], "conversation": "nosuchtoken1"}
        )
        assert other.status_code == 302
    talk = Conversation.objects.get(pk=talk.pk)
    assert Booking.objects.count() == 2
    booking = Booking.objects.get(code=talk.booking_code)
    assert talk.outcome == Outcome.WINDOW and booking.hall.code == "city"
    assert talk.messages.filter(payload__kind="booking").count() == 1
