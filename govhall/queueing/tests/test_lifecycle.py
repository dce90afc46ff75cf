"""The ticket life cycle through the services: numbers, who is next, every transition."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from govhall.halls.models import Window
from govhall.queueing import services
from govhall.queueing.errors import Conflict, Unprocessable
from govhall.queueing.models import Status, Ticket, TicketEvent
from govhall.realtime.models import HallEvent
from govhall.testing import build_hall, window

pytestmark = pytest.mark.django_db
MONDAY_9AM = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 in Asia/Shanghai


def issue(hall, zone="A", **kw):  # type: ignore[no-untyped-def]
    ticket, created = services.issue_ticket(hall, "M-1", zone_code=zone, **kw)
    assert created
    return ticket


def test_numbers_run_per_zone_from_001_and_restart_each_service_day() -> None:
    city = build_hall("city")
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        assert [issue(city).number for _ in range(3)] == ["A001", "A002", "A003"]
        assert issue(city, "B").number == "B001"
        traveller.shift(dt.timedelta(days=1))
        assert issue(city).number == "A001"


def test_number_after_999_has_four_digits() -> None:
    city = build_hall("city")
    from govhall.queueing.models import DailyCounter

    first = issue(city)
    DailyCounter.objects.filter(zone=first.zone).update(last=999)
    assert issue(city).number == "A1000"


def test_priority_first_then_longest_waiting_across_the_windows_zones() -> None:
    city = build_hall("city", windows={"1": ["A", "B"]})
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        a1 = issue(city, "A")
        traveller.shift(60)
        b1 = issue(city, "B")
        traveller.shift(60)
        a2 = issue(city, "A", priority=1)
        traveller.shift(60)
        window_1 = window(city, "1")
        order = []
        for _ in range(3):
            ticket = services.call_next(window_1)
            assert ticket is not None
            order.append(ticket.id)
            services.perform(ticket.id, "start")
            services.perform(ticket.id, "finish")
        assert order == [a2.id, a1.id, b1.id]
        assert services.call_next(window_1) is None


def test_zone_weights_and_priority_cap_come_from_the_hall_policy() -> None:
    city = build_hall("city", windows={"1": ["A", "B"]}, policy={"zone_weights": {"B": 3}, "priority_cap": 1})
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        a_old = issue(city, "A")
        traveller.shift(100)
        b_new = issue(city, "B")
        traveller.shift(100)
        p1, p2 = issue(city, "A", priority=1), issue(city, "A", priority=1)
        window_1 = window(city, "1")

        def serve() -> str:
            ticket = services.call_next(window_1)
            assert ticket is not None
            services.perform(ticket.id, "start")
            services.perform(ticket.id, "finish")
            return ticket.id

        # priority, then the cap lets a normal ticket through: B waited 100 s × 3 > A's 200 s
        assert [serve(), serve(), serve(), serve()] == [p1.id, b_new.id, p2.id, a_old.id]


def ticket_in(status: str) -> Ticket:
    """A fresh ticket brought to `status` through the real services."""
    city = build_hall(f"h{Ticket.objects.count()}", zones=("A", "B"))
    ticket = issue(city)
    steps = {
        Status.WAITING: [],
        Status.CALLED: ["call"],
        Status.SERVING: ["call", "start"],
        Status.ON_HOLD: ["call", "start", "hold"],
        Status.SERVED: ["call", "start", "finish"],
        Status.NO_SHOW: ["call", "no-show"],
        Status.CANCELLED: ["cancel"],
    }[Status(status)]
    for step in steps:
        if step == "call":
            assert services.call_next(window(city, "1")) is not None
        else:
            services.perform(ticket.id, step)
    ticket.refresh_from_db()
    assert ticket.status == status
    return ticket


@pytest.mark.parametrize("action", services.ACTIONS)
@pytest.mark.parametrize("status", Status.values)
def test_the_transition_table_is_exactly_the_contracts(action: str, status: str) -> None:
    ticket = ticket_in(status)
    allowed, target, _ = services.TRANSITIONS[action]
    if status in allowed:
        changed = services.perform(ticket.id, action, zone_code="B")
        assert changed.status == target
        event = TicketEvent.objects.filter(ticket=ticket).last()
        assert event is not None and (event.action, event.from_status, event.to_status) == (
            action,
            status,
            target,
        )
    else:
        events = TicketEvent.objects.filter(ticket=ticket).count()
        with pytest.raises(Conflict):
            services.perform(ticket.id, action, zone_code="B")
        ticket.refresh_from_db()
        assert ticket.status == status
        assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_recall_is_limited() -> None:
    ticket = ticket_in(Status.CALLED)
    for count in (1, 2, 3):
        assert services.perform(ticket.id, "recall").recall_count == count
    with pytest.raises(Conflict, match="recalled 3 times"):
        services.perform(ticket.id, "recall")


def test_a_window_is_busy_until_its_ticket_is_done_and_free_while_on_hold() -> None:
    city = build_hall("city", zones=("A",))
    first, second = issue(city), issue(city)
    window_1 = window(city, "1")
    assert services.call_next(window_1).id == first.id  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="still has A001"):
        services.call_next(window_1)
    services.perform(first.id, "start")
    services.perform(first.id, "hold")
    assert services.call_next(window_1).id == second.id  # type: ignore[union-attr]
    with pytest.raises(Conflict, match="busy with A002"):
        services.perform(first.id, "resume")
    services.perform(second.id, "start")
    services.perform(second.id, "finish")
    assert services.perform(first.id, "resume").status == Status.SERVING


def test_transfer_keeps_the_number_and_by_default_the_place() -> None:
    city = build_hall("city", zones=("A", "B"))
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        moved = issue(city, "A")
        traveller.shift(300)
        waiting_b = issue(city, "B")
        services.call_next(window(city, "1"))
        services.perform(moved.id, "start")
        traveller.shift(60)
        transferred = services.perform(moved.id, "transfer", zone_code="B")
        assert (transferred.number, transferred.zone.code, transferred.status) == (
            "A001",
            "B",
            Status.WAITING,
        )
        first_call = transferred.called_at
        again = services.call_next(window(city, "2"))
        assert again is not None and again.id == moved.id and again.called_at == first_call
        assert Ticket.objects.get(pk=waiting_b.pk).status == Status.WAITING


def test_transfer_can_lose_the_place_by_hall_policy() -> None:
    city = build_hall("city", zones=("A", "B"), policy={"transfer_keeps_place": False})
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        moved = issue(city, "A")
        traveller.shift(300)
        waiting_b = issue(city, "B")
        services.call_next(window(city, "1"))
        traveller.shift(60)
        services.perform(moved.id, "transfer", zone_code="B")
        assert services.call_next(window(city, "2")).id == waiting_b.id  # type: ignore[union-attr]


def test_transfer_to_an_unknown_zone_is_refused() -> None:
    ticket = ticket_in(Status.CALLED)
    with pytest.raises(Unprocessable, match="no zone 'Q'"):
        services.perform(ticket.id, "transfer", zone_code="Q")
    ticket.refresh_from_db()
    assert ticket.status == Status.CALLED


def test_closed_or_paused_windows_cannot_call() -> None:
    city = build_hall("city", zones=("A",), tidal=("1",))
    issue(city)
    window_1 = window(city, "1")
    assert window_1.state == Window.State.CLOSED
    with pytest.raises(Conflict, match="closed"):
        services.call_next(window_1)
    services.set_window_state(window_1, "paused")
    with pytest.raises(Conflict, match="paused"):
        services.call_next(window_1)
    services.set_window_state(window_1, "open")
    assert services.call_next(window_1) is not None
    with pytest.raises(Conflict, match="at the counter"):
        services.set_window_state(window_1, "closed")


def test_walk_in_outside_opening_hours_is_refused_but_remote_is_taken() -> None:
    city = build_hall("city", opening_hours={"mon-fri": ["08:30-12:00", "13:30-17:00"]})
    lunch = dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)  # 12:30 local
    with time_machine.travel(lunch, tick=False):
        with pytest.raises(Conflict, match="不在开放时间"):
            services.issue_ticket(city, "M-1", zone_code="A")
        ticket, _ = services.issue_ticket(city, "M-1", zone_code="A", channel="remote")
        assert ticket.status == Status.WAITING and ticket.number == "A001"
        # a refused issue used no number
        assert Ticket.objects.count() == 1


def test_zone_comes_from_the_matter_or_is_refused() -> None:
    city = build_hall("city", matters={"B": ["M-7"]})
    ticket, _ = services.issue_ticket(city, "M-7")
    assert ticket.zone.code == "B"
    with pytest.raises(Unprocessable, match="not handled"):
        services.issue_ticket(city, "M-8")
    with pytest.raises(Unprocessable, match="no zone 'Q'"):
        services.issue_ticket(city, "M-7", zone_code="Q")


def test_idempotency_key_returns_the_same_ticket() -> None:
    city = build_hall("city")
    first, created = services.issue_ticket(city, "M-1", zone_code="A", idempotency_key="k-1")
    again, created_again = services.issue_ticket(city, "M-1", zone_code="A", idempotency_key="k-1")
    assert created and not created_again and first.id == again.id
    assert Ticket.objects.count() == 1


def test_remote_tickets_are_limited_per_subject_and_day() -> None:
    city = build_hall("city")
    for _ in range(3):
        services.issue_ticket(city, "M-1", zone_code="A", channel="remote", subject="330102199001011234")
    with pytest.raises(Conflict, match="最多远程取号3次"):
        services.issue_ticket(city, "M-1", zone_code="A", channel="remote", subject="330102199001011234")


def test_subjects_are_stored_pseudonymous() -> None:
    city = build_hall("city")
    ticket = issue(city, subject="13800138000")
    assert ticket.subject.startswith("p-") and "13800138000" not in ticket.subject
    assert issue(city, subject="13800138000").subject == ticket.subject


def test_every_change_is_audited_and_announced_with_increasing_ids() -> None:
    city = build_hall("city", zones=("A",))
    ticket = issue(city)
    services.call_next(window(city, "1"))
    services.perform(ticket.id, "recall")
    services.perform(ticket.id, "start")
    services.perform(ticket.id, "finish")
    actions = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True))
    assert actions == ["issue", "call", "recall", "start", "finish"]
    events = list(HallEvent.objects.filter(hall=city).order_by("seq").values_list("seq", "type"))
    assert [seq for seq, _ in events] == [1, 2, 3, 4, 5]
    assert [t for _, t in events] == [
        "ticket.issued",
        "ticket.called",
        "ticket.recalled",
        "ticket.started",
        "ticket.finished",
    ]


def test_closing_cancels_waiting_tickets_with_a_reason() -> None:
    city = build_hall("city", zones=("A",))
    waiting = issue(city)
    issue(city)
    Ticket.objects.filter(pk=waiting.pk).update(queued_at=waiting.queued_at - dt.timedelta(seconds=1))
    services.call_next(window(city, "1"))
    assert services.close_day(city) == 1
    statuses = sorted(Ticket.objects.values_list("status", flat=True))
    assert statuses == [Status.CALLED, Status.CANCELLED]
    cancelled = Ticket.objects.get(status=Status.CANCELLED)
    assert cancelled.reason and cancelled.finished_at is not None


def test_end_of_day_cancels_after_closing_but_never_in_a_round_the_clock_hall() -> None:
    from govhall.queueing.tasks import end_of_day

    city = build_hall("city", opening_hours={"mon-fri": ["08:30-12:00", "13:30-17:00"]})
    always = build_hall("always", opening_hours={"mon-sun": ["00:00-23:59"]})
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        issue(city)
        issue(always)
        traveller.shift(dt.timedelta(hours=7, minutes=30))  # 16:30 local: still open
        assert end_of_day(clock_now()) == 0
        traveller.shift(dt.timedelta(minutes=31))  # 17:01 local
        assert end_of_day(clock_now()) == 1
        traveller.shift(dt.timedelta(hours=7))  # past midnight
        assert end_of_day(clock_now()) == 0
    assert Ticket.objects.get(hall=always).status == Status.WAITING
    assert Ticket.objects.get(hall=city).status == Status.CANCELLED


def clock_now() -> dt.datetime:
    from govhall import clock

    return clock.now()
