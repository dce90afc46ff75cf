"""The last seat of a slot is sold once, even when many citizens press "预约" at the same moment."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections

from govhall.appointments import services
from govhall.appointments.models import Booking, Slot
from govhall.appointments.tests.conftest import HUKOU, ID_LI, build_city
from govhall.queueing.errors import QueueError

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def naive_take_seat(slot_id: int) -> None:
    """Read the counter, then write it: what `_take_seat` would be without its conditional UPDATE."""
    slot = Slot.objects.get(pk=slot_id)
    if slot.booked >= slot.capacity:
        raise QueueError("已约满")
    time.sleep(0.02)  # the time between reading and writing that a busy server always has
    Slot.objects.filter(pk=slot_id).update(booked=slot.booked + 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
def test_without_the_conditional_update_seats_are_sold_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the conditional UPDATE closes: more bookings than the counter shows."""
    monkeypatch.setattr(services, "_take_seat", lambda slot: naive_take_seat(slot.pk))
    booked, slot = _race(seats=3, citizens=12)
    assert booked > Slot.objects.get(pk=slot.pk).booked, "the race did not show"


def _race(*, seats: int, citizens: int) -> tuple[int, Slot]:
    import time_machine

    from govhall.appointments.tests.conftest import MONDAY_8AM

    with time_machine.travel(MONDAY_8AM, tick=False):
        city = build_city()
        slot = services.slots_for(city, MONDAY_8AM.date())[0]
        Slot.objects.filter(pk=slot.pk).update(capacity=seats)
        start = threading.Barrier(citizens)

        def citizen(n: int) -> None:
            try:
                start.wait()
                services.book(city, matter_code=HUKOU, slot_id=slot.pk, subject=f"3301021990010100{n:02d}")
            except QueueError:
                pass
            finally:
                connections.close_all()

        threads = [threading.Thread(target=citizen, args=(n,)) for n in range(citizens)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return Booking.objects.filter(slot=slot).count(), slot


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
def test_the_last_seat_is_booked_once_under_threads() -> None:
    import time_machine

    from govhall.appointments.tests.conftest import MONDAY_8AM

    with time_machine.travel(MONDAY_8AM, tick=False):
        city = build_city()
        slot = services.slots_for(city, MONDAY_8AM.date())[0]
        Slot.objects.filter(pk=slot.pk).update(capacity=3)
        outcomes: list[str] = []
        start = threading.Barrier(12)

        def citizen(n: int) -> None:
            try:
                start.wait()
                services.book(city, matter_code=HUKOU, slot_id=slot.pk, subject=f"3301021990010100{n:02d}")
                outcomes.append("ok")
            except QueueError as exc:
                outcomes.append(exc.detail)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=citizen, args=(n,)) for n in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert outcomes.count("ok") == 3
    assert all("约满" in o for o in outcomes if o != "ok")
    assert Slot.objects.get(pk=slot.pk).booked == 3 == Booking.objects.filter(slot=slot).count()


def test_the_database_refuses_an_overbooked_slot() -> None:
    import time_machine
    from django.db import IntegrityError, transaction

    from govhall.appointments.tests.conftest import MONDAY_8AM

    with time_machine.travel(MONDAY_8AM, tick=False):
        city = build_city()
        slot = services.slots_for(city, MONDAY_8AM.date())[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.filter(pk=slot.pk).update(booked=slot.capacity + 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need PostgreSQL")
def test_simultaneous_remote_tickets_of_one_person_end_as_one_open_ticket() -> None:
    """8 presses of "远程取号" at once by one citizen: the per-hall limit (1 open) is checked and
    then issued, so all 8 pass the check; the derived key collapses them into one ticket."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    import time_machine

    from govhall.queueing.models import OPEN_STATUSES, Ticket
    from govhall.queueing.subjects import pseudonymize

    ten_am = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(ten_am, tick=False):
        city = build_city()
        got: list[str] = []
        refused: list[str] = []
        start = threading.Barrier(8)

        def press(n: int) -> None:
            try:
                start.wait()
                ticket, _ = services.take_remote_ticket(
                    city, matter_code=HUKOU, subject=ID_LI, phone="13812345678", idempotency_key=f"phone-{n}"
                )
                got.append(ticket.id)
            except QueueError as exc:
                refused.append(exc.detail)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=press, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        mine = Ticket.objects.filter(hall=city, subject=pseudonymize(ID_LI), channel="remote")
        assert mine.filter(status__in=OPEN_STATUSES).count() == 1 == mine.count()
        assert got and set(got) == {mine.get().id}
        assert len(got) + len(refused) == 8
        assert all("未办结的远程取号" in r or "retry" in r for r in refused)
        # and the limit still holds once the race is over
        with pytest.raises(QueueError, match="未办结的远程取号"):
            services.take_remote_ticket(city, matter_code=HUKOU, subject=ID_LI)
