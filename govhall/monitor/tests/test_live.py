"""The live monitor over the database: the same alerts as replay, once each, with their events."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govhall.monitor import live, services
from govhall.monitor.models import Alert, Cursor
from govhall.monitor.replay import replay_files
from govhall.monitor.tests.helpers import (
    MONDAY_9AM,
    build,
    call,
    contract_alerts,
    drive,
    evaluate_after,
    hall_doc,
    put_ticket,
)
from govhall.queueing import services as queue
from govhall.queueing.errors import Conflict, NotFound
from govhall.queueing.models import Ticket
from govhall.realtime.models import HallEvent
from govhall.testing import SAMPLE_HALLS, build_hall, window
from govhall.ticketlog import LogRow, read_log, write_log

pytestmark = pytest.mark.django_db
SAMPLE_LOG = SAMPLE_HALLS.parent / "sample-log.csv"


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_overtime_is_raised_once_after_the_deadline_with_a_realtime_event() -> None:
    city = build(hall_doc())
    put_ticket(city, "A", "t-li", MONDAY_9AM)
    assert evaluate_after(MONDAY_9AM + minutes(10)) == 0
    assert evaluate_after(MONDAY_9AM + minutes(15)) == 0  # still waiting at the deadline itself: not yet
    assert evaluate_after(MONDAY_9AM + minutes(15) + dt.timedelta(seconds=1)) == 1
    assert evaluate_after(MONDAY_9AM + minutes(16)) == 0
    alert = Alert.objects.get()
    assert (alert.kind, alert.ticket_ref, alert.at) == ("overtime", "t-li", MONDAY_9AM + minutes(15))
    (event,) = HallEvent.objects.filter(hall=city, type="zone.alert")
    assert event.payload["alert"]["at"] == "2026-03-02T09:15:00+08:00"
    assert event.payload["alert"]["ticket_id"] == "t-li"


def test_called_exactly_at_the_deadline_is_not_overtime_called_later_is_even_if_unseen() -> None:
    city = build(hall_doc())
    put_ticket(city, "A", "on-time", MONDAY_9AM)
    put_ticket(city, "A", "late", MONDAY_9AM)
    evaluate_after(MONDAY_9AM + minutes(1))
    call("on-time", MONDAY_9AM + minutes(15))
    call("late", MONDAY_9AM + minutes(15) + dt.timedelta(microseconds=1))
    # the monitor only runs again much later: the late one's wait still ended after its deadline
    assert evaluate_after(MONDAY_9AM + minutes(40)) == 1
    assert Alert.objects.get().ticket_ref == "late"


def test_yellow_and_red_through_the_queue_services() -> None:
    city = build_hall("city", zones=("A",), yellow=2, red=3)
    window_1 = window(city, "1")
    moment = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False) as traveller:
        for _ in range(2):
            queue.issue_ticket(city, "M-1", zone_code="A")
            traveller.shift(1)
        assert evaluate_after(moment + dt.timedelta(seconds=2)) == 1  # 2 waiting: yellow
        queue.issue_ticket(city, "M-1", zone_code="A")  # 3: red
        traveller.shift(1)
        called = queue.call_next(window_1)  # 2: red re-armed, yellow not
        assert called is not None
        traveller.shift(1)
        queue.issue_ticket(city, "M-1", zone_code="A")  # 3: red again
        traveller.shift(5)
        assert live.evaluate(moment + dt.timedelta(seconds=10)) == 2
    assert [(a.kind, a.at - moment, a.waiting) for a in Alert.objects.order_by("at", "kind")] == [
        ("yellow", dt.timedelta(seconds=1), 2),
        ("red", dt.timedelta(seconds=2), 3),
        ("red", dt.timedelta(seconds=4), 3),
    ]
    assert HallEvent.objects.filter(hall=city, type="zone.alert").count() == 3


def test_issued_and_called_in_one_second_never_counts_live() -> None:
    city = build(hall_doc(zones={"A": (15, 2, None)}))
    put_ticket(city, "A", "waiting", MONDAY_9AM)
    put_ticket(city, "A", "flash", MONDAY_9AM + dt.timedelta(seconds=30, microseconds=100))
    call("flash", MONDAY_9AM + dt.timedelta(seconds=30, microseconds=900000))
    assert evaluate_after(MONDAY_9AM + minutes(1)) == 0


def test_the_database_refuses_a_second_alert_for_a_ticket_or_a_crossing() -> None:
    city = build(hall_doc())
    put_ticket(city, "A", "t1", MONDAY_9AM)
    zone = city.zones.get()
    fields = {"hall": city, "zone": zone, "raised_at": MONDAY_9AM, "at": MONDAY_9AM}
    Alert.objects.create(kind="overtime", ticket_id="t1", ticket_ref="t1", **fields)
    Alert.objects.create(kind="yellow", **fields)
    for kind, ref in (("overtime", "t1"), ("yellow", "")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Alert.objects.create(kind=kind, ticket_ref=ref, **fields)


def test_a_cycle_judges_each_second_once_and_skips_when_already_done() -> None:
    build(hall_doc())
    now = MONDAY_9AM + minutes(1)
    live.evaluate(now)
    version = Cursor.objects.get().version
    assert live.evaluate(now) == 0 and Cursor.objects.get().version == version  # nothing new to judge


def test_sample_log_live_gives_the_hand_computed_alerts() -> None:
    from govhall.halls.services import import_halls

    import_halls(SAMPLE_HALLS)
    drive(read_log(SAMPLE_LOG))
    expected = [
        {
            "at": "2026-03-02T08:58:02+08:00",
            "kind": "overtime",
            "hall": "sample-city",
            "zone": "C",
            "ticket_id": "t-0006",
        },
        {
            "at": "2026-03-03T17:10:12+08:00",
            "kind": "overtime",
            "hall": "sample-city",
            "zone": "A",
            "ticket_id": "t-0010",
        },
    ]
    assert contract_alerts() == expected
    assert replay_files(SAMPLE_LOG, SAMPLE_HALLS) == {"alerts": expected}


def test_acknowledge_and_resolve_record_who_and_when_once() -> None:
    from django.contrib.auth.models import User

    city = build(hall_doc())
    put_ticket(city, "A", "t1", MONDAY_9AM)
    evaluate_after(MONDAY_9AM + minutes(20))
    alert = Alert.objects.get()
    manager_wang = User.objects.create(username="manager_wang")
    moment = dt.datetime(2026, 3, 2, 1, 21, tzinfo=dt.UTC)
    with time_machine.travel(moment, tick=False):
        seen = services.acknowledge(alert.pk, manager_wang)
        with pytest.raises(Conflict):
            services.acknowledge(alert.pk, manager_wang)
        done = services.resolve(alert.pk, manager_wang, "opened tidal window 4")
    assert (seen.acknowledged_by, seen.acknowledged_at) == (manager_wang, moment)
    assert (done.resolved_by, done.resolved_at, done.note) == (manager_wang, moment, "opened tidal window 4")
    with pytest.raises(NotFound):
        services.resolve(10**9)
    types = list(HallEvent.objects.filter(hall=city).values_list("type", flat=True))
    assert types == ["zone.alert", "alert.acknowledged", "alert.resolved"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_several_workers_at_once_raise_each_alert_once() -> None:
    city = build(hall_doc(zones={"A": (1, 2, 3)}))
    for i in range(4):
        put_ticket(city, "A", f"t{i}", MONDAY_9AM + dt.timedelta(seconds=i))
    now = MONDAY_9AM + minutes(5)
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def worker() -> None:
        try:
            start.wait()
            results.append(live.evaluate(now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    # overtime for 4 tickets, yellow at +1 s, red at +2 s: six alerts, raised by exactly one worker
    assert sorted(results) == [0, 0, 0, 6]
    assert Alert.objects.count() == 6
    assert HallEvent.objects.filter(hall=city, type="zone.alert").count() == 6


# --- one engine, two clocks: random logs through replay and through the live path --------------

ZONES = ("A", "B")


def random_logs() -> st.SearchStrategy:
    thresholds = st.tuples(
        st.integers(1, 3), st.one_of(st.none(), st.integers(1, 4)), st.one_of(st.none(), st.integers(2, 6))
    )
    ticket = st.tuples(
        st.sampled_from(ZONES),
        st.integers(0, 400),  # issued, seconds after 09:00
        st.one_of(st.none(), st.integers(0, 300)),  # wait, seconds (None: still waiting)
        st.booleans(),  # the wait ends by a call (else by a cancellation)
    )
    flow = st.fixed_dictionaries({"minutes": st.integers(1, 3), "arrivals": st.integers(2, 5)})
    wait = st.fixed_dictionaries({"minutes": st.integers(1, 6), "rate_minutes": st.integers(1, 3)})
    # off unless configured: no policy, hall-wide rules, or a per-zone override (null turns one off)
    policy = st.one_of(
        st.none(),
        st.fixed_dictionaries({"flow": st.one_of(st.none(), flow), "wait": st.one_of(st.none(), wait)}),
        st.fixed_dictionaries(
            {
                "flow": flow,
                "wait": wait,
                "zones": st.fixed_dictionaries({"B": st.fixed_dictionaries({"wait": st.none()})}),
            }
        ),
    )
    return st.tuples(st.tuples(thresholds, thresholds), st.lists(ticket, max_size=18), policy)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_logs())
def test_live_monitor_and_replay_raise_identical_alerts(
    tmp_path_factory: pytest.TempPathFactory, case
) -> None:  # type: ignore[no-untyped-def]
    (rules_a, rules_b), tickets, monitor_policy = case
    Alert.objects.all().delete()
    Ticket.objects.all().delete()
    Cursor.objects.all().delete()
    policy = {"monitor": monitor_policy} if monitor_policy else {}
    doc = hall_doc("prop", zones={"A": rules_a, "B": rules_b}, policy=policy)
    build(doc)
    rows = []
    for i, (zone, issued_s, wait, by_call) in enumerate(tickets):
        issued = MONDAY_9AM + dt.timedelta(seconds=issued_s)
        end = None if wait is None else issued + dt.timedelta(seconds=wait)
        called = end if by_call else None
        finished = None if end is None else (end + dt.timedelta(seconds=30) if by_call else end)
        outcome = "" if end is None else ("served" if by_call else "cancelled")
        rows.append(
            LogRow(
                f"t{i:02d}",
                "prop",
                zone,
                "M-1",
                "",
                "walk_in",
                0,
                issued,
                called,
                finished,
                "1" if called else "",
                outcome,
            )
        )
    rows.sort(key=lambda r: r.issued_at)
    directory = tmp_path_factory.mktemp("case")
    log_path, halls_path = directory / "log.csv", directory / "halls.json"
    with log_path.open("w", encoding="utf-8") as fh:
        write_log(rows, fh)  # type: ignore[arg-type]
    halls_path.write_text(json.dumps({"halls": [doc]}), encoding="utf-8")

    drive(rows)
    assert contract_alerts() == replay_files(log_path, halls_path)["alerts"]


def test_a_backlog_is_raised_over_several_short_cycles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "MAX_ALERTS_PER_CYCLE", 2)
    city = build(hall_doc(zones={"A": (15, None, None)}))
    for i in range(5):
        put_ticket(city, "A", f"t{i}", MONDAY_9AM + dt.timedelta(seconds=i // 2))  # pairs share a second
    now = MONDAY_9AM + dt.timedelta(minutes=30)
    assert [live.evaluate(now + dt.timedelta(seconds=k)) for k in range(4)] == [2, 2, 1, 0]
    assert sorted(Alert.objects.values_list("ticket_ref", flat=True)) == [f"t{i}" for i in range(5)]
