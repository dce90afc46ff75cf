"""Named actors for appointments: the city hall with two zones, its staff and manager, citizens."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from govhall.accounts.services import create_token
from govhall.catalog.services import upsert_matters
from govhall.halls.models import Hall
from govhall.testing import build_hall, matter
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

HUKOU = "330000-GA-0001"
MEDICAL = "330000-YB-0107"
HOURS = {"mon-fri": ["08:30-12:00", "13:30-17:00"]}
# Monday 2 March 2026, 08:00 in Shanghai: before opening, the day's slots all ahead.
MONDAY_8AM = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
ID_LI = "330102198001011234"
PHONE_LI = "13812345678"


class Api:
    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            f"/api/v1{path}", data=data, content_type="application/json", headers={**self.headers, **headers}
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}", data=json.dumps(body), content_type="application/json", headers=self.headers
        )

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/v1{path}", headers=self.headers)


def build_city(policy: dict[str, Any] | None = None) -> Hall:
    upsert_matters(
        [
            matter(HUKOU, "出生登记（新生儿落户）", materials=["居民身份证", "出生医学证明", "户口簿"]),
            matter(MEDICAL, "基本医疗保险参保人员历年账户家庭共济备案", materials=["居民身份证"]),
        ]
    )
    build_hall("town", zones=("A",), opening_hours=HOURS, matters={"A": [HUKOU]})
    return build_hall(
        "city",
        zones=("A", "B"),
        windows={"1": ["A"], "2": ["A", "B"], "3": ["B"]},
        matters={"A": [HUKOU], "B": [MEDICAL]},
        opening_hours=HOURS,
        policy=policy,
    )


@pytest.fixture
def city() -> Hall:
    return build_city()


@pytest.fixture
def citizen_li(city: Hall) -> Api:
    return Api()


@pytest.fixture
def clerk_wang(city: Hall) -> Api:
    return Api(create_token("clerk_wang", hall_code="city", role="staff"))


@pytest.fixture
def manager_zhao(city: Hall) -> Api:
    return Api(create_token("manager_zhao", hall_code="city", role="manager"))


def first_slot(api: Api, *, day: str = "2026-03-02", matter: str = HUKOU, after: str = "") -> dict[str, Any]:
    response = api.get(f"/appointments/halls/city/slots?day={day}&matter={matter}")
    assert response.status_code == 200, response.content
    return next(s for s in response.json() if s["remaining"] > 0 and s["start"] >= after)


def book(api: Api, slot: dict[str, Any], *, subject: str = ID_LI, phone: str = PHONE_LI, **extra: Any) -> Any:
    return api.post(
        "/appointments/bookings",
        {"hall": "city", "matter": HUKOU, "slot": slot["id"], "subject": subject, "phone": phone, **extra},
    )
