"""Hypothesis drives random sequences of issues, calls and actions; the invariants must hold after each."""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from govhall.halls.models import Hall
from govhall.queueing import services
from govhall.queueing.errors import Conflict
from govhall.queueing.models import AT_WINDOW, Status, Ticket, TicketEvent
from govhall.testing import build_hall, window


class Queue(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        Ticket.objects.all().delete()
        Hall.objects.all().delete()
        self.hall = build_hall("sm", zones=("A", "B"), windows={"1": ["A"], "2": ["A", "B"], "3": ["B"]})
        self.issued = 0

    @rule(zone=st.sampled_from(["A", "B"]), priority=st.sampled_from([0, 0, 1]))
    def issue(self, zone: str, priority: int) -> None:
        services.issue_ticket(self.hall, "M-1", zone_code=zone, priority=priority)
        self.issued += 1

    @rule(code=st.sampled_from(["1", "2", "3"]))
    def call(self, code: str) -> None:
        w = window(self.hall, code)
        waiting_before = Ticket.objects.filter(status=Status.WAITING, zone__in=w.zones.all()).count()
        try:
            ticket = services.call_next(w)
        except Conflict:
            assert Ticket.objects.filter(window=w, status__in=AT_WINDOW).exists()
            return
        assert (ticket is None) == (waiting_before == 0)

    @rule(action=st.sampled_from(services.ACTIONS), pick=st.integers(0, 50), zone=st.sampled_from(["A", "B"]))
    def act(self, action: str, pick: int, zone: str) -> None:
        ids = list(Ticket.objects.order_by("serial", "zone").values_list("id", flat=True))
        if not ids:
            return
        ticket = Ticket.objects.get(pk=ids[pick % len(ids)])
        allowed = ticket.status in services.TRANSITIONS[action][0]
        try:
            services.perform(ticket.id, action, zone_code=zone)
            assert allowed or False
        except Conflict:
            # refused only when the table says so, or by a documented guard
            assert (not allowed) or action in ("recall", "resume")

    @invariant()
    def no_ticket_lost_or_doubled(self) -> None:
        if not hasattr(self, "hall"):
            return
        assert Ticket.objects.count() == self.issued
        per_zone: dict[str, list[int]] = defaultdict(list)
        for zone, serial in Ticket.objects.values_list("origin_zone__code", "serial"):
            per_zone[zone].append(serial)
        for serials in per_zone.values():
            assert sorted(serials) == list(range(1, len(serials) + 1))
        for code in ("1", "2", "3"):
            assert (
                Ticket.objects.filter(window__code=code, window__hall=self.hall, status__in=AT_WINDOW).count()
                <= 1
            )
        for ticket in Ticket.objects.all():
            assert (ticket.status == Status.WAITING) == (ticket.status == "waiting")
            if ticket.status in (Status.SERVED, Status.NO_SHOW):
                assert ticket.called_at is not None and ticket.finished_at is not None
            last = TicketEvent.objects.filter(ticket=ticket).order_by("-id").first()
            assert last is not None and last.to_status == ticket.status


@pytest.mark.django_db
def test_random_operation_sequences_keep_the_invariants() -> None:
    runner = Queue.TestCase
    runner.settings = settings(
        max_examples=25, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
    runner().runTest()
