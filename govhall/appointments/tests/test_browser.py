"""The citizen's journeys in a real browser: book → check in at the kiosk → called near the slot;
a no-show streak → booking refused with the reason; a remote ticket at a town centre → near-turn
notice → served; closing time → the waiting remote ticket cancelled with its reason."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest

from govhall import clock
from govhall.appointments import services
from govhall.appointments.models import Booking, Slot
from govhall.appointments.tests.conftest import HUKOU, ID_LI, PHONE_LI
from govhall.catalog.services import upsert_matters
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.queueing.logs import log_rows
from govhall.queueing.models import Ticket
from govhall.queueing.subjects import pseudonymize
from govhall.queueing.tasks import end_of_day
from govhall.testing import build_hall, matter, window
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_city() -> Hall:
    """Open round the clock, so the next half-hour slot is always bookable and checkable in now;
    a booking checked in within 30 minutes of its slot counts as near."""
    upsert_matters([matter(HUKOU, "出生登记（新生儿落户）", materials=["居民身份证", "出生医学证明"])])
    hall = build_hall(
        "city",
        zones=("A",),
        windows={"1": ["A"], "2": ["A"]},
        matters={"A": [HUKOU]},
        opening_hours={"mon-sun": ["00:00-23:59"]},
        policy={"appointment_priority_lead_minutes": 30},
    )
    services.plan_ahead(clock.now())  # what the worker does; keeps the first page load light
    return hall


def warm_up(pages: Pages, *paths: str) -> None:
    """First requests to a fresh server compile templates and load views; on a busy machine that
    alone can pass the page timeout, which is not what these tests are about."""
    for path in paths:
        httpx.get(pages.base_url + path, timeout=60)


def test_book_check_in_at_the_kiosk_and_be_called_near_the_slot(pages: Pages) -> None:
    city = open_city()
    warm_up(pages, "/book/city/", "/halls/city/checkin", "/static/appointments/appointments.css")
    page = pages.open("/book/city/", width=420, height=900)
    assert page.title().startswith("预约")
    page.locator("#slot-list input:not([disabled])").first.check()
    page.fill("#subject", ID_LI)
    page.fill("#phone", PHONE_LI)
    page.click("#book-submit")
    page.wait_for_selector("#code")
    code = page.inner_text("#code").strip()
    assert len(code) == 8 and "138****5678" in page.content() and PHONE_LI not in page.content()
    assert page.locator(".booking-qr svg").count() == 1

    early_birds = [queue.issue_ticket(city, HUKOU)[0] for _ in range(2)]
    kiosk = pages.open("/halls/city/checkin")
    kiosk.fill("#code", code.lower())
    kiosk.click("#checkin-submit")
    kiosk.wait_for_selector("#checkin-number")
    number = kiosk.inner_text("#checkin-number").strip()
    assert number == "A003" and kiosk.inner_text("#checkin-position").strip() == "0"

    booking = Booking.objects.get(code=code)
    assert booking.status == "checked_in" and booking.ticket is not None
    called = queue.call_next(window(city, "1"))
    assert called is not None and called.id == booking.ticket.id  # ahead of the two earlier walk-ins
    phone = pages.open(f"/t/{called.id}", width=420, height=900)
    phone.wait_for_selector("#turn:not([hidden])")
    assert "1" in phone.inner_text("#turn-window")
    nxt = queue.call_next(window(city, "2"))
    assert nxt is not None and nxt.id == early_birds[0].id
    pages.assert_no_console_errors()


def test_a_no_show_streak_refuses_booking_with_the_reason(pages: Pages) -> None:
    city = open_city()
    zone = city.zones.get(code="A")
    now = clock.now()
    for days in (3, 2, 1):
        start = now - dt.timedelta(days=days)
        slot = Slot.objects.create(
            hall=city,
            zone=zone,
            day=start.date(),
            start=start,
            end=start + dt.timedelta(minutes=30),
            capacity=4,
            booked=1,
        )
        Booking.objects.create(
            code=f"MISSED2{days}",
            hall=city,
            zone=zone,
            slot=slot,
            matter_code=HUKOU,
            subject=pseudonymize(ID_LI),
            status="missed",
            created_at=start - dt.timedelta(days=1),
            changed_at=start,
        )
    warm_up(pages, "/book/city/")
    page = pages.open("/book/city/", width=420, height=900)
    page.locator("#slot-list input:not([disabled])").first.check()
    page.fill("#subject", ID_LI)
    page.click("#book-submit")
    error = page.wait_for_selector("#book-error")
    assert error is not None
    text = error.inner_text()
    assert "3次预约未到" in text and "暂停在线预约" in text and "现场取号" in text
    assert Booking.objects.filter(status="booked").count() == 0
    pages.assert_no_console_errors()


def town_centre() -> Hall:
    """A town centre (乡镇便民服务中心) with one window, open now whatever the hour of the test run."""
    upsert_matters([matter(HUKOU, "出生登记（新生儿落户）", materials=["居民身份证", "出生医学证明"])])
    return build_hall(
        "town",
        zones=("A",),
        windows={"1": ["A"]},
        matters={"A": [HUKOU]},
        opening_hours={"mon-sun": ["00:00-23:59"]},
    )


def take_remote_on_the_page(pages: Pages, hall: str) -> tuple[object, str]:
    """The citizen's form on /book/{hall}/: remote ticket → redirected to its /t/{id} page."""
    page = pages.open(f"/book/{hall}/", width=420, height=900)
    page.fill("#r-subject", ID_LI)
    page.fill("#r-phone", PHONE_LI)
    page.click("#remote-submit")
    page.wait_for_url("**/t/*")
    ticket_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    return page, ticket_id


def serve_next(hall: Hall) -> Ticket:
    called = queue.call_next(window(hall, "1"))
    assert called is not None
    queue.perform(called.id, "start")
    queue.perform(called.id, "finish")
    return called


def test_remote_ticket_at_a_town_centre_near_turn_notice_then_served(pages: Pages) -> None:
    town = town_centre()
    ahead = [queue.issue_ticket(town, HUKOU)[0] for _ in range(5)]
    warm_up(pages, "/book/town/", "/static/appointments/appointments.css")
    page, ticket_id = take_remote_on_the_page(pages, "town")
    mine = Ticket.objects.get(pk=ticket_id)
    assert mine.channel == "remote" and mine.status == "waiting" and mine.hall_id == town.pk
    assert page.inner_text("#position").strip() == "5"
    assert page.locator("#near").is_hidden()

    for expected in ahead[:2]:  # two served: 3 ahead, the near-turn notice shows live
        assert serve_next(town).id == expected.id
    page.wait_for_selector("#near:not([hidden])")
    assert "还有3位" in page.inner_text("#near-text")
    assert page.inner_text("#position").strip() == "3"

    for expected in ahead[2:]:
        assert serve_next(town).id == expected.id
    called = queue.call_next(window(town, "1"))
    assert called is not None and called.id == ticket_id
    page.wait_for_selector("#turn:not([hidden])")
    assert "轮到您了" in page.inner_text("#turn") and "1" in page.inner_text("#turn-window")
    queue.perform(ticket_id, "start")
    queue.perform(ticket_id, "finish")
    page.wait_for_function("document.getElementById('status').textContent === '已办结'")
    assert Ticket.objects.get(pk=ticket_id).status == "served"
    pages.assert_no_console_errors()


def test_closing_time_cancels_the_remote_ticket_and_the_page_says_why(pages: Pages) -> None:
    town = town_centre()
    walk_in = queue.issue_ticket(town, HUKOU)[0]
    warm_up(pages, "/book/town/")
    page, ticket_id = take_remote_on_the_page(pages, "town")
    assert page.inner_text("#position").strip() == "1"
    # The town centre's real hours: it closes at 17:00; the worker runs a minute after closing.
    Hall.objects.filter(pk=town.pk).update(opening_hours={"mon-sun": ["08:30-17:00"]})
    tz = ZoneInfo(town.timezone)
    today = clock.local(clock.now(), town.timezone).date()
    after_closing = dt.datetime.combine(today, dt.time(17, 1), tzinfo=tz)
    assert end_of_day(after_closing) == 2

    page.wait_for_function("document.getElementById('status').textContent === '已取消'")
    page.reload()
    assert page.inner_text("#status").strip() == "已取消"
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.status == "cancelled" and ticket.reason
    reason = page.inner_text("#ticket-reason")
    assert ticket.reason in reason
    assert page.locator("#waiting-line").is_hidden() and page.locator("#cancel-box").is_hidden()
    rows = {row.ticket_id: row for row in log_rows(hall="town")}
    assert rows[ticket_id].outcome == "cancelled" == rows[walk_in.id].outcome
    assert rows[ticket_id].channel == "remote" and rows[ticket_id].finished_at is not None
    pages.assert_no_console_errors()
