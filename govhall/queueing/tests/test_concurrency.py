"""Many issuers and windows at once: no ticket called twice, no number repeated or skipped, none lost."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from govhall.queueing import services
from govhall.queueing.errors import Conflict
from govhall.queueing.models import Status, Ticket, TicketEvent
from govhall.testing import build_hall, window

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

ISSUERS, PER_ISSUER, WINDOWS = 50, 4, 12


def run_threads(targets: list[threading.Thread]) -> None:
    for thread in targets:
        thread.start()
    for thread in targets:
        thread.join(timeout=240)
        assert not thread.is_alive(), "a thread hung"


@contextmanager
def row_locked_elsewhere(ticket: Ticket, mode: str) -> Iterator[None]:
    """Another connection holds `SELECT … FOR {mode}` on the ticket's row until the block ends."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT id FROM {Ticket._meta.db_table} WHERE id = %s FOR {mode}", [ticket.pk]
                )
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert holding.wait(timeout=30)
        yield
    finally:
        release.set()
        other.join(timeout=30)


def test_fifty_issuers_and_twelve_windows() -> None:
    zones = ("A", "B", "C")
    city = build_hall(
        "city", zones=zones, windows={str(i + 1): [zones[i % 3], zones[(i + 1) % 3]] for i in range(WINDOWS)}
    )
    windows = [window(city, str(i + 1)) for i in range(WINDOWS)]
    errors: list[BaseException] = []
    issued: list[str] = []
    served: list[str] = []
    lock = threading.Lock()
    done_issuing = threading.Event()

    def issuer(n: int) -> None:
        try:
            for k in range(PER_ISSUER):
                ticket, _ = services.issue_ticket(
                    city, "M-1", zone_code=zones[(n + k) % 3], idempotency_key=f"{n}-{k}"
                )
                services.issue_ticket(city, "M-1", zone_code=zones[(n + k) % 3], idempotency_key=f"{n}-{k}")
                with lock:
                    issued.append(ticket.id)
                connection.close()  # back to the pool between requests, as a server does
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def counter(w: int) -> None:
        try:
            while True:
                try:
                    ticket = services.call_next(windows[w])
                except Conflict:
                    continue
                if ticket is None:
                    if done_issuing.is_set() and not Ticket.objects.filter(status=Status.WAITING).exists():
                        return
                    continue
                services.perform(ticket.id, "start")
                services.perform(ticket.id, "finish")
                with lock:
                    served.append(ticket.id)
                connection.close()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    issuers = [threading.Thread(target=issuer, args=(n,)) for n in range(ISSUERS)]
    counters = [threading.Thread(target=counter, args=(w,)) for w in range(WINDOWS)]
    for thread in counters:
        thread.start()
    run_threads(issuers)
    done_issuing.set()
    for thread in counters:
        thread.join(timeout=240)
    assert not errors, errors[:3]
    total = ISSUERS * PER_ISSUER
    assert len(issued) == len(set(issued)) == total == Ticket.objects.count()
    # every ticket called exactly once and served once
    assert sorted(served) == sorted(issued)
    calls = Counter(TicketEvent.objects.filter(action="call").values_list("ticket_id", flat=True))
    assert set(calls.values()) == {1} and len(calls) == total
    # numbers per zone run 1..n with no gap or repeat
    serials: dict[str, list[int]] = defaultdict(list)
    for zone, serial in Ticket.objects.values_list("origin_zone__code", "serial"):
        serials[zone].append(serial)
    for zone, values in serials.items():
        assert sorted(values) == list(range(1, len(values) + 1)), zone


def _race(call: object, tickets: int = 6, windows: int = 12) -> Counter[str]:
    """Windows call as fast as they can until nobody waits; returns how often each ticket was called."""
    city = build_hall("race", zones=("A",), windows={str(i + 1): ["A"] for i in range(windows)})
    for _ in range(tickets):
        services.issue_ticket(city, "M-1", zone_code="A")
    calls: Counter[str] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(windows)

    def counter(w: int) -> None:
        try:
            start.wait()
            ticket_id = call(window(city, str(w + 1)))  # type: ignore[operator]
            if ticket_id:
                with lock:
                    calls[ticket_id] += 1
        finally:
            connection.close()

    run_threads([threading.Thread(target=counter, args=(w,)) for w in range(windows)])
    return calls


def naive_call_next(w: object) -> str | None:
    """What a system without a lock or a conditional update does: read the head, then take it."""
    import time

    head = (
        Ticket.objects.filter(status=Status.WAITING)
        .order_by("queued_at")
        .values_list("id", flat=True)
        .first()
    )
    if head is None:
        return None
    time.sleep(0.02)  # the time between reading and writing that a busy server always has
    Ticket.objects.filter(pk=head).update(status=Status.CALLED, window=w)
    return head


def test_without_the_claim_two_windows_call_the_same_ticket() -> None:
    calls = _race(naive_call_next)
    assert max(calls.values()) > 1, "the race did not show: the naive version called each ticket once"


def test_with_the_claim_every_ticket_is_called_once() -> None:
    def safe(w: object) -> str | None:
        ticket = services.call_next(w)  # type: ignore[arg-type]
        return ticket.id if ticket else None

    calls = _race(safe)
    assert set(calls.values()) == {1} and len(calls) == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_head_another_window_is_claiming_is_stepped_over_not_waited_for() -> None:
    city = build_hall("step", zones=("A",), windows={"1": ["A"], "2": ["A"]})
    first, _ = services.issue_ticket(city, "M-1", zone_code="A")
    second, _ = services.issue_ticket(city, "M-1", zone_code="A")
    with row_locked_elsewhere(first, "UPDATE"):  # window 1 mid-claim holds the head's row lock
        called = services.call_next(window(city, "2"))
        assert called is not None and called.pk == second.pk  # at once, without waiting for the lock
    # the head was only locked, never taken: it waits on and is called next
    assert Ticket.objects.get(pk=first.pk).status == Status.WAITING
    again = services.call_next(window(city, "1"))
    assert again is not None and again.pk == first.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_a_head_only_referenced_by_work_in_flight_is_still_called_first() -> None:
    """Storing a row that points at a ticket (an audit row, the worker's wait predictions) takes a
    KEY SHARE lock on it when the foreign key is checked; call-next must neither skip that ticket
    nor wait for the lock."""
    city = build_hall("keyshare", zones=("A",), windows={"1": ["A"]})
    first, _ = services.issue_ticket(city, "M-1", zone_code="A")
    services.issue_ticket(city, "M-1", zone_code="A")
    with row_locked_elsewhere(first, "KEY SHARE"):  # the lock PostgreSQL's foreign-key check takes
        called = services.call_next(window(city, "1"))
        assert called is not None and called.pk == first.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_when_every_candidate_is_being_claimed_call_next_waits_for_the_outcome() -> None:
    """The last waiting ticket, mid-claim at window 1: window 2 learns the outcome (nobody left
    for it), it does not give up with "the queue is changing fast"."""
    city = build_hall("last", zones=("A",), windows={"1": ["A"], "2": ["A"]})
    last, _ = services.issue_ticket(city, "M-1", zone_code="A")
    holding = threading.Event()

    def window_1_claims_it() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=last.pk)
                holding.set()
                time.sleep(0.3)  # a slow moment of a busy server, well past any quick retries
                Ticket.objects.filter(pk=last.pk).update(status=Status.CALLED)
        finally:
            connection.close()

    other = threading.Thread(target=window_1_claims_it)
    other.start()
    try:
        assert holding.wait(timeout=30)
        assert services.call_next(window(city, "2")) is None
    finally:
        other.join(timeout=30)


def test_two_call_nexts_at_one_window_give_one_ticket_and_a_409(monkeypatch: pytest.MonkeyPatch) -> None:
    """A double click: the second call waits for the window's lock while the first holds it; when
    the first commits, the second must be refused (409), not call a second ticket and not fail
    with a 500 on the one-ticket-per-counter index."""
    hall = build_hall("city", zones=("A",), windows={"1": ["A"]})
    for _ in range(3):
        services.issue_ticket(hall, "M-1", zone_code="A")
    connection.close()
    publish = services._publish

    def slow(ticket: Ticket, event_type: str, **extra: object) -> None:
        publish(ticket, event_type, **extra)
        if threading.current_thread().name == "first" and event_type == "ticket.called":
            time.sleep(0.8)  # still inside the first call's transaction, the window row locked

    monkeypatch.setattr(services, "_publish", slow)
    outcome: dict[str, str] = {}

    def press(name: str) -> None:
        try:
            called = services.call_next(window(hall, "1"))
            outcome[name] = called.number if called else "nobody"
        except Conflict as refusal:
            outcome[name] = f"409 {refusal.detail}"
        finally:
            connection.close()

    first = threading.Thread(target=press, args=("first",), name="first")
    second = threading.Thread(target=press, args=("second",), name="second")
    first.start()
    time.sleep(0.3)
    second.start()
    first.join()
    second.join()
    assert outcome["first"] == "A001"
    assert outcome["second"].startswith("409")
    assert list(Ticket.objects.filter(status=Status.CALLED).values_list("number", flat=True)) == ["A001"]
    assert Ticket.objects.filter(status=Status.WAITING).count() == 2


def test_one_subject_at_two_halls_at_once_stays_within_the_daily_remote_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The per-subject limit counts across halls; two remote tickets asked for at the same instant
    at two halls must not both pass a count that neither has committed yet."""
    limit = {"remote_tickets_per_subject_per_day": 1}
    north = build_hall("north", zones=("A",), policy=limit)
    south = build_hall("south", zones=("A",), policy=limit)
    connection.close()
    next_serial = services._next_serial

    def slow(*args: object) -> int:
        serial = next_serial(*args)
        if threading.current_thread().name == "first":
            time.sleep(0.8)  # counted, not yet committed
        return serial

    monkeypatch.setattr(services, "_next_serial", slow)
    outcome: dict[str, str] = {}

    def take(name: str, hall_code: str) -> None:
        try:
            hall = north if hall_code == "north" else south
            ticket, _ = services.issue_ticket(
                hall, "M-1", zone_code="A", channel="remote", subject="330102199001011234"
            )
            outcome[name] = ticket.number
        except Conflict as refusal:
            outcome[name] = f"409 {refusal.detail}"
        finally:
            connection.close()

    first = threading.Thread(target=take, args=("first", "north"), name="first")
    second = threading.Thread(target=take, args=("second", "south"), name="second")
    first.start()
    time.sleep(0.3)
    second.start()
    first.join()
    second.join()
    assert outcome["first"] == "A001" and outcome["second"].startswith("409")
    assert Ticket.objects.filter(channel="remote").count() == 1
