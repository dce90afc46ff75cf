"""Query budgets of the hottest calls: every round trip here is paid by every ticket in the city."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from govhall.accounts.services import create_token
from govhall.queueing.tests.test_api import Api
from govhall.testing import build_hall

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

# PostgreSQL stores an event in one statement (sequence and row together), SQLite in two.
EXTRA = 0 if connection.vendor == "postgresql" else 1


@pytest.fixture
def staff_li() -> Api:
    build_hall("city", zones=("A", "B"), windows={"1": ["A", "B"]})
    return Api(create_token("staff_li", hall_code="city"))


def test_issue_stays_within_its_query_budget(staff_li: Api, django_assert_max_num_queries: Any) -> None:
    citizen = Api()
    citizen.post("/halls/city/tickets", {"matter": "M-1", "zone": "B"})  # warms the estimate's cache
    # zone with its hall, begin, counter, ticket, audit, event, commit, position
    with django_assert_max_num_queries(8 + EXTRA):
        r = citizen.post("/halls/city/tickets", {"matter": "M-1", "zone": "B"}, **{"Idempotency-Key": "k1"})
    assert r.status_code == 201 and r.json()["position"] == 1
    # a resend finds its ticket through the unique key and uses no number
    again = citizen.post("/halls/city/tickets", {"matter": "M-1", "zone": "B"}, **{"Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    assert citizen.post("/halls/city/tickets", {"matter": "M-1", "zone": "B"}).json()["number"] == "B003"


def test_call_next_and_actions_stay_within_their_budgets(
    staff_li: Api, django_assert_max_num_queries: Any
) -> None:
    for zone in ("A", "B", "A"):
        Api().post("/halls/city/tickets", {"matter": "M-1", "zone": zone})
    # token, window + hall, begin, lock with the current ticket, candidates, claim, audit, event, commit
    with django_assert_max_num_queries(9 + EXTRA):
        called = staff_li.post("/halls/city/windows/1/call-next")
    assert called.status_code == 200 and called.json()["number"] == "A001"
    # token, begin, lock the ticket, update, audit, event, commit
    for action in ("start", "finish"):
        with django_assert_max_num_queries(7 + EXTRA):
            r = staff_li.post(f"/tickets/{called.json()['id']}/{action}")
        assert r.status_code == 200
