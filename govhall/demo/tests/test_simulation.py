"""Live demo traffic: tickets move through their states by the real services, nothing breaks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator

import pytest
import time_machine
from django.db import OperationalError
from django.db.models import Count

from govhall.demo import loader, simulation
from govhall.halls.models import Hall, Window
from govhall.queueing.errors import Conflict
from govhall.queueing.models import AT_WINDOW, Status, Ticket, TicketEvent
from govhall.queueing.services import issue_ticket

pytestmark = pytest.mark.django_db

# Tuesday 2026-11-24, 10:00 in Asia/Shanghai
TUESDAY_10 = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def demo_city() -> None:
    loader.load_demo(history_days=0)
    simulation.seed(7)


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(TUESDAY_10, tick=False) as moving:
        yield moving


def run(traveller: time_machine.Coordinates, ticks: int, seconds: float) -> None:
    for _ in range(ticks):
        simulation.tick(dt.datetime.now(tz=dt.UTC))
        traveller.shift(dt.timedelta(seconds=seconds))


def assert_invariants() -> None:
    busy = Ticket.objects.filter(status__in=AT_WINDOW).values("window").annotate(n=Count("id"))
    assert all(row["n"] == 1 and row["window"] is not None for row in busy)
    serials = defaultdict(list)
    for hall, zone, day, serial in Ticket.objects.values_list("hall", "origin_zone", "service_day", "serial"):
        serials[(hall, zone, day)].append(serial)
    for line in serials.values():
        assert sorted(line) == list(range(1, len(line) + 1))
    for ticket in Ticket.objects.exclude(status=Status.WAITING):
        assert ticket.called_at is None or ticket.called_at >= ticket.issued_at
    assert not Ticket.objects.filter(status__in=AT_WINDOW, window__state=Window.State.CLOSED).exists()


@pytest.mark.usefixtures("demo_city")
def test_ticks_move_tickets_through_their_states(traveller: time_machine.Coordinates) -> None:
    run(traveller, 60, 6)  # six minutes of a Tuesday morning

    statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    assert statuses.get(Status.WAITING, 0) > 0
    assert statuses.get(Status.SERVED, 0) > 20
    assert Hall.objects.filter(level="town", tickets__isnull=False).distinct().count() == 5
    actions = set(TicketEvent.objects.values_list("action", flat=True))
    assert {"issue", "call", "start", "finish"} <= actions
    channels = set(Ticket.objects.values_list("channel", flat=True))
    assert channels == {"walk_in", "remote", "appointment"}
    assert Ticket.objects.filter(priority=1).exists()
    assert_invariants()


@pytest.mark.usefixtures("demo_city")
def test_state_lives_in_the_database_so_a_restarted_worker_carries_on(
    traveller: time_machine.Coordinates,
) -> None:
    run(traveller, 25, 6)
    simulation.seed(99)  # a new process: nothing remembered
    run(traveller, 25, 6)
    assert Ticket.objects.filter(status=Status.SERVED).count() > 20
    assert_invariants()


@pytest.mark.usefixtures("demo_city")
def test_a_long_queue_opens_a_tidal_window_and_a_calm_one_closes_it(
    traveller: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre = Hall.objects.get(code="jianglan")
    zone = centre.zones.get(code="E")
    matter = centre.zone_matters.filter(zone=zone).values_list("matter_code", flat=True)[0]
    for _ in range(zone.yellow_waiting or 0):
        issue_ticket(centre, matter, zone_code="E")
    run(traveller, 1, 2)
    tidal = Window.objects.get(hall=centre, code="32")
    assert tidal.state == Window.State.OPEN

    monkeypatch.setattr(simulation, "_arrivals", lambda *args: None)  # the rush is over
    # Ticket fates are seeded by ticket id, and ids depend on what the test database saw before
    # (another test's committed rows move the sequence), so service times differ from run to run:
    # give the queue up to an hour to drain instead of a fixed few minutes.
    for _ in range(600):
        run(traveller, 1, 6)
        tidal.refresh_from_db()
        if tidal.state == Window.State.CLOSED:
            break
    assert tidal.state == Window.State.CLOSED
    assert not Ticket.objects.filter(window=tidal, status__in=AT_WINDOW).exists()
    assert_invariants()


@pytest.mark.usefixtures("demo_city")
def test_closed_halls_get_no_arrivals(traveller: time_machine.Coordinates) -> None:
    traveller.move_to(dt.datetime(2026, 11, 24, 4, 30, tzinfo=dt.UTC))  # 12:30, the towns' lunch break
    run(traveller, 20, 6)
    assert not Ticket.objects.filter(hall__level="town").exists()
    assert Ticket.objects.filter(hall__code="jianglan").exists()  # 24小时不打烊


@pytest.mark.usefixtures("demo_city")
def test_refusals_and_a_busy_database_never_stop_the_worker(
    traveller: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise Conflict("window is busy")

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(simulation, "issue_ticket", refuse)
    monkeypatch.setattr(simulation, "call_next", locked)
    run(traveller, 5, 6)
    assert not Ticket.objects.exists()

    monkeypatch.setattr(simulation, "_tick_hall", lambda *a: 1 / 0)
    run(traveller, 2, 6)  # logged, not raised
