"""The console's waiting list is the order call-next really calls in, under the hall's policy."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine

from govhall.queueing import queries, services
from govhall.queueing.models import Status, Ticket
from govhall.testing import build_catalog, build_hall, window

pytestmark = pytest.mark.django_db
POLICIES = [
    {},
    {"priority_cap": 2},
    {"zone_weights": {"B": 3.0}},
    {"priority_first": False, "zone_weights": {"A": 0.5}},
]


@pytest.mark.parametrize("seed", range(8))
def test_waiting_list_predicts_the_calls_of_the_window(seed: int) -> None:
    rng = random.Random(seed)
    policy = POLICIES[seed % len(POLICIES)]
    build_catalog("M-1")
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        hall = build_hall("city", zones=("A", "B"), windows={"1": ["A", "B"]}, policy=policy)
        for _ in range(rng.randint(6, 14)):
            traveller.shift(dt.timedelta(seconds=rng.randint(1, 90)))
            services.issue_ticket(hall, "M-1", zone_code=rng.choice("AB"), priority=rng.choice((0, 0, 1)))
        traveller.shift(dt.timedelta(minutes=5))
        counter = window(hall, "1")
        total, predicted = queries.waiting_for_window(counter, limit=50)
        assert total == Ticket.objects.filter(status=Status.WAITING).count() == len(predicted)
        _, first_three = queries.waiting_for_window(counter, limit=3)
        assert [t.number for t in first_three] == [t.number for t in predicted[:3]]
        called = []
        while (ticket := services.call_next(window(hall, "1"))) is not None:
            called.append(ticket.number)
            services.perform(ticket.id, "no-show")
    assert [t.number for t in predicted] == called


def test_held_tickets_and_todays_figures_of_a_window() -> None:
    build_catalog("M-1")
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        hall = build_hall("city", zones=("A",))
        first, _ = services.issue_ticket(hall, "M-1", zone_code="A")
        second, _ = services.issue_ticket(hall, "M-1", zone_code="A")
        counter = window(hall, "1")
        for ticket, minutes in ((first, 4), (second, 8)):
            services.call_next(counter)
            assert queries.current_at_window(counter) == ticket
            services.perform(ticket.id, "start")
            traveller.shift(dt.timedelta(minutes=minutes))
            services.perform(ticket.id, "finish")
        third, _ = services.issue_ticket(hall, "M-1", zone_code="A")
        services.call_next(counter)
        services.perform(third.id, "start")
        services.perform(third.id, "hold")
        assert queries.current_at_window(counter) is None
        assert queries.held_at_window(counter) == [third]
        figures = queries.window_day_figures(hall, counter, dt.date(2026, 3, 2))
    assert figures == {"served": 2, "mean_handling_minutes": 6.0}
