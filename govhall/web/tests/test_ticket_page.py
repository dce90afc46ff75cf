"""The citizen's phone page /t/{id}: the near-turn notice and cancelling with the link."""

from __future__ import annotations

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from govhall.halls.models import Hall
from govhall.queueing import services
from govhall.queueing.models import Status, Ticket, TicketEvent
from govhall.testing import window
from govhall.web.tests.conftest import HUKOU
from govhall.web.views import NEAR_TURN, near_turn_text

STATUSES = ["waiting", "called", "serving", "on_hold", "served", "no_show", "cancelled"]


@given(st.sampled_from(STATUSES), st.one_of(st.none(), st.integers(min_value=0, max_value=500)))
def test_near_turn_notice_only_for_a_waiting_ticket_close_to_the_front(
    status: str, ahead: int | None
) -> None:
    text = near_turn_text({"status": status, "position": ahead})
    near = status == "waiting" and ahead is not None and ahead <= NEAR_TURN
    assert bool(text) == near
    if near and ahead:
        assert text == f"还有{ahead}位，请回到大厅"


@pytest.mark.django_db
def test_phone_page_shows_the_near_turn_notice_and_the_cancel_control(city: Hall) -> None:
    tickets = [services.issue_ticket(city, HUKOU)[0] for _ in range(5)]
    far, near = Client().get(f"/t/{tickets[4].id}"), Client().get(f"/t/{tickets[3].id}")
    assert 'id="near" class="near" role="status" hidden' in far.content.decode()
    assert "还有3位，请回到大厅" in near.content.decode()
    for page in (far, near):
        assert 'id="cancel-box" class="cancel-box">' in page.content.decode()


@pytest.mark.django_db
def test_the_link_holder_cancels_a_waiting_ticket(city: Hall) -> None:
    mine, _ = services.issue_ticket(city, HUKOU)
    response = Client().post(f"/t/{mine.id}/cancel")
    assert response.status_code == 302 and response["Location"] == f"/t/{mine.id}?cancelled=1"
    mine.refresh_from_db()
    assert mine.status == Status.CANCELLED and mine.finished_at is not None
    audit = TicketEvent.objects.filter(ticket=mine).last()
    assert audit is not None and (audit.action, audit.actor) == ("cancel", None)
    page = Client().get(response["Location"]).content.decode()
    assert "已为您取消排队" in page and "已取消" in page
    assert 'id="cancel-box" class="cancel-box" hidden' in page


@pytest.mark.django_db
def test_a_called_ticket_cannot_be_cancelled_from_the_phone(city: Hall) -> None:
    mine, _ = services.issue_ticket(city, HUKOU)
    services.call_next(window(city, "1"))
    response = Client().post(f"/t/{mine.id}/cancel")
    assert response.status_code == 409
    assert "不能再取消" in response.content.decode()
    assert Ticket.objects.get(pk=mine.pk).status == Status.CALLED


@pytest.mark.django_db
def test_a_held_ticket_can_be_cancelled_and_a_finished_one_cannot(city: Hall) -> None:
    held, _ = services.issue_ticket(city, HUKOU)
    services.call_next(window(city, "1"))
    services.perform(held.id, "start")
    services.perform(held.id, "hold")
    assert Client().post(f"/t/{held.id}/cancel").status_code == 302
    assert Ticket.objects.get(pk=held.pk).status == Status.CANCELLED
    again = Client().post(f"/t/{held.id}/cancel")
    assert again.status_code == 409  # nothing changes twice
    assert TicketEvent.objects.filter(ticket=held, action="cancel").count() == 1


@pytest.mark.django_db
def test_cancel_needs_post_csrf_and_a_real_ticket(city: Hall) -> None:
    mine, _ = services.issue_ticket(city, HUKOU)
    assert Client().get(f"/t/{mine.id}/cancel").status_code == 405
    assert Client(enforce_csrf_checks=True).post(f"/t/{mine.id}/cancel").status_code == 403
    assert Client().post("/t/t0000000000000000/cancel").status_code == 404
    assert Ticket.objects.get(pk=mine.pk).status == Status.WAITING
