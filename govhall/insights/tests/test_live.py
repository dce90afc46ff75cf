"""The learned predictor behind live tickets: trained by the worker, read by the ticket pages."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
import time_machine

from govhall.insights import live, tracegen
from govhall.insights.models import WaitModel, WaitPrediction
from govhall.queueing import logs, queries, services
from govhall.queueing.models import Ticket
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db

START = dt.date(2026, 11, 2)  # a Monday; two weeks of history before "today"
TODAY = dt.datetime(2026, 11, 16, 10, 0, tzinfo=tracegen.TZ)


@pytest.fixture
def city_with_history() -> None:
    build_hall("city", zones=tuple(tracegen.CITY_ZONES))
    _, rows = tracegen.generate(14, seed=3, start=START, scale=0.08)
    rows = [r for r in rows if r.hall == "city"]
    path = Path(tempfile.mkdtemp()) / "history.csv"
    tracegen.write(rows, path)
    logs.import_log(path)


def test_live_tickets_get_the_learned_estimate_while_it_is_fresh(city_with_history: None) -> None:
    with time_machine.travel(TODAY, tick=False):
        hall = Ticket.objects.first().hall  # type: ignore[union-attr]
        assert live.train_if_stale(TODAY) is not None
        assert live.train_if_stale(TODAY) is None  # one model a day
        model = WaitModel.objects.get()
        assert model.learned and model.tickets > 300
        tickets = [services.issue_ticket(hall, "M-1", zone_code="B")[0] for _ in range(6)]
        assert live.refresh(TODAY) == 6
        last = tickets[-1]
        predicted = WaitPrediction.objects.get(ticket_id=last.id).seconds
        view = queries.ticket_view(last)
        assert view["estimated_wait_seconds"] == live.remaining_wait(last.id, last.issued_at) == predicted
        # without the lookup (the issue response) the formula answers
        formula = queries.estimate_wait(last.zone_id, view["position"])
        assert queries.ticket_view(last, learned=False)["estimated_wait_seconds"] == formula
    # a prediction gets older as the ticket waits, and goes stale when the worker stops
    with time_machine.travel(TODAY + dt.timedelta(seconds=60), tick=False):
        expected = predicted - 60 if predicted > 60 else formula
        assert queries.ticket_view(last)["estimated_wait_seconds"] == expected
    with time_machine.travel(TODAY + dt.timedelta(seconds=live.FRESH_SECONDS + 1), tick=False):
        assert live.remaining_wait(last.id, last.issued_at) is None
        assert queries.ticket_view(last)["estimated_wait_seconds"] == formula


def test_called_tickets_lose_their_prediction(city_with_history: None) -> None:
    with time_machine.travel(TODAY, tick=False):
        hall = Ticket.objects.first().hall  # type: ignore[union-attr]
        live.train(TODAY)
        first, _ = services.issue_ticket(hall, "M-1", zone_code="B")
        services.issue_ticket(hall, "M-1", zone_code="B")
        assert live.refresh(TODAY) == 2
        window = hall.windows.filter(zones__code="B").first()
        assert window is not None and services.call_next(window).id == first.id  # type: ignore[union-attr]
        assert live.refresh(TODAY) == 1
        assert not WaitPrediction.objects.filter(ticket_id=first.id).exists()


def test_no_history_means_no_model_and_the_formula() -> None:
    hall = build_hall("town", zones=("A",))
    assert live.train(TODAY) is None
    ticket, _ = services.issue_ticket(hall, "M-1", zone_code="A")
    assert live.refresh(TODAY) == 0
    assert queries.ticket_view(ticket)["estimated_wait_seconds"] == queries.estimate_wait(ticket.zone_id, 0)
