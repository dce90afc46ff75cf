"""Booking journeys against the API: slots, book, cancel, reschedule, check in, no-show policy."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from govhall.appointments import services, tasks
from govhall.appointments.models import Booking, Slot
from govhall.appointments.tests.conftest import HUKOU, ID_LI, MONDAY_8AM, PHONE_LI, Api, book, first_slot
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.queueing.models import Ticket, TicketEvent
from govhall.testing import window

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def at(hhmm: str, day: int = 2) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_slots_follow_opening_hours_and_capacity_comes_from_the_windows(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        response = citizen_li.get(f"/appointments/halls/city/slots?day=2026-03-02&matter={HUKOU}")
    assert response.status_code == 200
    slots = response.json()
    # 08:30–12:00 and 13:30–17:00 in 30-minute slots; none over the lunch break
    assert [s["start"][11:16] for s in slots][:2] == ["08:30", "09:00"]
    assert len(slots) == 14 and not any("12:00" <= s["start"][11:16] < "13:30" for s in slots)
    # zone A: window 1 (A only) + half of window 2 (A and B) = 1.5 windows × 1800 s ÷ 300 s × 0.5
    assert {s["capacity"] for s in slots} == {4}
    assert {s["zone"] for s in slots} == {"A"}


def test_no_slots_on_a_closed_day_or_a_weekend(citizen_li: Api, city: Hall) -> None:
    city.closed_dates = ["2026-03-03"]
    city.save(update_fields=["closed_dates"])
    with time_machine.travel(MONDAY_8AM, tick=False):
        assert citizen_li.get("/appointments/halls/city/slots?day=2026-03-03").json() == []
        assert citizen_li.get("/appointments/halls/city/slots?day=2026-03-07").json() == []


def test_book_shows_only_the_masked_phone_and_takes_a_seat(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        response = book(citizen_li, slot)
        assert response.status_code == 201, response.content
        booking = response.json()
        assert booking["status"] == "booked" and len(booking["code"]) == 8
        assert booking["phone_masked"] == "138****5678"
        assert PHONE_LI not in response.content.decode() and ID_LI not in response.content.decode()
        assert booking["checkin_opens"].endswith("09:30:00+08:00")
        assert booking["checkin_closes"].endswith("10:15:00+08:00")
        assert Slot.objects.get(pk=slot["id"]).booked == 1
        again = citizen_li.get(f"/appointments/bookings/{booking['code'].lower()}")
        assert again.status_code == 200 and again.json()["code"] == booking["code"]
    assert Booking.objects.get().subject.startswith("p-")


def test_the_last_seat_goes_once_and_a_cancel_frees_it(citizen_li: Api, manager_zhao: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = first_slot(citizen_li)
        assert manager_zhao.patch(f"/appointments/slots/{slot['id']}", {"capacity": 1}).status_code == 200
        first = book(citizen_li, slot, subject="330102199001010001")
        assert first.status_code == 201
        full = book(citizen_li, slot, subject="330102199001010002")
        assert full.status_code == 409 and "约满" in full.json()["detail"]
        assert citizen_li.post(f"/appointments/bookings/{first.json()['code']}/cancel").status_code == 200
        assert book(citizen_li, slot, subject="330102199001010002").status_code == 201
        again = citizen_li.post(f"/appointments/bookings/{first.json()['code']}/cancel")
        assert again.status_code == 409
    assert Slot.objects.get(pk=slot["id"]).booked == 1


def test_managers_edit_capacity_but_never_below_the_seats_booked(
    citizen_li: Api, manager_zhao: Api, clerk_wang: Api
) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = first_slot(citizen_li)
        book(citizen_li, slot)
        book(citizen_li, slot, subject="330102199001010002")
        assert clerk_wang.patch(f"/appointments/slots/{slot['id']}", {"capacity": 9}).status_code == 403
        assert citizen_li.patch(f"/appointments/slots/{slot['id']}", {"capacity": 9}).status_code == 401
        low = manager_zhao.patch(f"/appointments/slots/{slot['id']}", {"capacity": 1})
        assert low.status_code == 409 and "2人预约" in low.json()["detail"]
        ok = manager_zhao.patch(f"/appointments/slots/{slot['id']}", {"capacity": 9})
        assert ok.status_code == 200 and ok.json()["remaining"] == 7
    assert Slot.objects.get(pk=slot["id"]).edited


def test_reschedule_moves_the_seat(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = first_slot(citizen_li)
        later = first_slot(citizen_li, after="2026-03-02T14:00")
        code = book(citizen_li, slot).json()["code"]
        moved = citizen_li.post(f"/appointments/bookings/{code}/reschedule", {"slot": later["id"]})
        assert moved.status_code == 200, moved.content
        assert moved.json()["slot"]["id"] == later["id"] and moved.json()["reschedules"] == 1
        medical = citizen_li.get("/appointments/halls/city/slots?day=2026-03-02&zone=B").json()[0]
        wrong_zone = citizen_li.post(f"/appointments/bookings/{code}/reschedule", {"slot": medical["id"]})
        assert wrong_zone.status_code == 422
    assert Slot.objects.get(pk=slot["id"]).booked == 0
    assert Slot.objects.get(pk=later["id"]).booked == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"slot": 999999}, 404),
        ({"phone": "12345"}, 422),
        ({"subject": ""}, 422),
        ({"matter": "NOPE"}, 422),
        ({"slot": "x"}, 422),
    ],
)
def test_bad_bookings_are_refused_with_a_reason_and_change_nothing(
    citizen_li: Api, body: dict[str, object], status: int
) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False):
        slot = first_slot(citizen_li)
        payload = {"hall": "city", "matter": HUKOU, "slot": slot["id"], "subject": ID_LI, **body}
        response = citizen_li.post("/appointments/bookings", payload)
    assert response.status_code == status and "detail" in response.json()
    assert not Booking.objects.exists() and Slot.objects.get(pk=slot["id"]).booked == 0


def test_past_slots_and_bad_days_are_refused(citizen_li: Api) -> None:
    with time_machine.travel(at("11:00"), tick=False):
        slots = citizen_li.get(f"/appointments/halls/city/slots?day=2026-03-02&matter={HUKOU}").json()
        past = book(citizen_li, slots[0])
        assert past.status_code == 409 and "已开始" in past.json()["detail"]
        assert citizen_li.get("/appointments/halls/city/slots?day=tomorrow").status_code == 422
        far = citizen_li.get("/appointments/halls/city/slots?day=2026-03-20").json()
        assert book(citizen_li, far[0]).status_code == 409
        assert citizen_li.get("/appointments/bookings/NOSUCH00").status_code == 404


def test_check_in_window_and_the_same_ticket_twice(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        code = book(citizen_li, slot).json()["code"]
        traveller.move_to(at("09:20"))
        early = citizen_li.post("/appointments/halls/city/check-in", {"code": code})
        assert early.status_code == 409 and "09:30" in early.json()["detail"]
        traveller.move_to(at("09:55"))
        wrong_hall = citizen_li.post("/appointments/halls/town/check-in", {"code": code})
        assert wrong_hall.status_code == 409
        first = citizen_li.post(
            "/appointments/halls/city/check-in", {"code": f"https://x/halls/city/checkin?code={code}"}
        )
        assert first.status_code == 201, first.content
        ticket = first.json()["ticket"]
        assert (
            ticket["channel"] == "appointment" and ticket["status"] == "waiting" and ticket["priority"] == 1
        )
        assert first.json()["link"].endswith(f"/t/{ticket['id']}")
        second = citizen_li.post("/appointments/halls/city/check-in", {"code": code})
        assert second.status_code == 200 and second.json()["ticket"]["id"] == ticket["id"]
        assert second.json()["booking"]["status"] == "checked_in"
        assert citizen_li.post(f"/appointments/bookings/{code}/cancel").status_code == 409


def test_staff_check_in_records_who(citizen_li: Api, clerk_wang: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        code = book(citizen_li, first_slot(citizen_li)).json()["code"]
        traveller.move_to(at("08:35"))
        bad = Api("not-a-token").post("/appointments/halls/city/check-in", {"code": code})
        assert bad.status_code == 401
        assert clerk_wang.post("/appointments/halls/city/check-in", {"code": code}).status_code == 201
    assert Booking.objects.get(code=code).checked_in_by.username == "clerk_wang"  # type: ignore[union-attr]


def test_checked_in_booking_is_called_near_its_slot_before_earlier_walk_ins(
    citizen_li: Api, city: Hall
) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        code = book(citizen_li, slot).json()["code"]
        traveller.move_to(at("09:40"))
        walk_ins = [queue.issue_ticket(city, HUKOU)[0] for _ in range(3)]
        traveller.move_to(at("09:55"))
        ticket = citizen_li.post("/appointments/halls/city/check-in", {"code": code}).json()["ticket"]
        called = queue.call_next(window(city, "1"))
        assert called is not None and called.id == ticket["id"]
        after = queue.call_next(window(city, "2"))
        assert after is not None and after.id == walk_ins[0].id


def test_an_early_check_in_queues_with_everybody(citizen_li: Api, city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        code = book(citizen_li, slot).json()["code"]
        traveller.move_to(at("09:35"))
        walk_in = queue.issue_ticket(city, HUKOU)[0]
        ticket = citizen_li.post("/appointments/halls/city/check-in", {"code": code}).json()["ticket"]
        assert ticket["priority"] == 0 and ticket["position"] == 1
        called = queue.call_next(window(city, "1"))
        assert called is not None and called.id == walk_in.id


def test_an_early_check_in_joins_the_priority_line_when_its_slot_comes(citizen_li: Api, city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        slot = first_slot(citizen_li, after="2026-03-02T10:00")
        code = book(citizen_li, slot).json()["code"]
        traveller.move_to(at("09:35"))
        ticket = citizen_li.post("/appointments/halls/city/check-in", {"code": code}).json()["ticket"]
        traveller.move_to(at("09:45"))
        walk_in = queue.issue_ticket(city, HUKOU)[0]
        assert tasks.promote_early_checkins(at("09:45")) == 0  # the slot (10:00) is not near yet
        traveller.move_to(at("09:51"))
        assert tasks.promote_early_checkins(at("09:51")) == 1  # 10 minutes' lead: it is now
        assert tasks.promote_early_checkins(at("09:52")) == 0  # once
        promoted = Ticket.objects.get(pk=ticket["id"])
        assert promoted.priority == 1 and promoted.status == "waiting"
        assert TicketEvent.objects.filter(ticket=promoted, action="promote").count() == 1
        called = queue.call_next(window(city, "1"))
        assert called is not None and called.id == promoted.id and called.id != walk_in.id


def test_a_missed_check_in_marks_the_booking_missed(citizen_li: Api) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        code = book(citizen_li, first_slot(citizen_li)).json()["code"]
        traveller.move_to(at("08:45"))
        assert tasks.day_changes(at("08:44"))["missed"] == 0
        traveller.move_to(at("08:46"))
        late = citizen_li.post("/appointments/halls/city/check-in", {"code": code})
        assert late.status_code == 409 and "超过签到时间" in late.json()["detail"]
        assert tasks.day_changes(at("08:46"))["missed"] == 1
    assert Booking.objects.get(code=code).status == "missed"


def test_a_no_show_streak_refuses_booking_with_the_reason(citizen_li: Api, city: Hall) -> None:
    with time_machine.travel(MONDAY_8AM, tick=False) as traveller:
        for day in (2, 3, 4):
            traveller.move_to(at("08:00", day))
            slot = first_slot(citizen_li, day=f"2026-03-0{day}")
            assert book(citizen_li, slot).status_code == 201
            traveller.move_to(at("09:00", day))
            services.mark_missed(at("09:00", day))
        traveller.move_to(at("10:00", 4))
        slot = first_slot(citizen_li, day="2026-03-05")
        refused = book(citizen_li, slot)
        assert refused.status_code == 409
        reason = refused.json()["detail"]
        assert "3次预约未到" in reason and "2026年04月03日前暂停在线预约" in reason
        assert "03月02日、03月03日、03月04日" in reason
        eligibility = citizen_li.post("/appointments/eligibility", {"hall": "city", "subject": ID_LI}).json()
        assert eligibility == {"allowed": False, "reason": reason}
        # somebody else still books; and a walk-in ticket is still possible for Li
        assert book(citizen_li, slot, subject="330102199001010002").status_code == 201
        traveller.move_to(at("10:00", 4) + dt.timedelta(days=31))
        assert services.booking_ban(city, ID_LI) is None
