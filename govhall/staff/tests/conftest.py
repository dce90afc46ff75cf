"""Named actors of the staff tests: the city hall (Mon–Fri 08:30–12:00, 13:30–17:00), its manager
wang, clerks li and zhao, the town hall's clerk zhou and manager sun, and the city admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.models import Membership
from govhall.halls.models import Hall
from govhall.staff.models import StaffProfile
from govhall.testing import build_catalog, build_hall
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

PASSWORD = "pw-staff-123"
HOURS = {"mon-fri": ["08:30-12:00", "13:30-17:00"]}
M1, M2 = "330000-GA-0001", "330000-YB-0107"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    """PBKDF2 costs about a second per user on a loaded two-core machine; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def person(username: str, hall: Hall | None, role: str, *, name: str = "", no: str = "") -> Any:
    user = get_user_model().objects.create_user(username=username, password=PASSWORD)
    Membership.objects.create(user=user, role=role, hall=hall)
    if hall is not None and role != "admin":
        StaffProfile.objects.create(user=user, hall=hall, employee_no=no or username, name=name or username)
    return user


@pytest.fixture
def city(db: None) -> Hall:
    build_catalog(M1, M2)
    build_hall("town", zones=("A",), opening_hours=HOURS)
    hall = build_hall(
        "city",
        zones=("A", "B"),
        windows={"1": ["A"], "2": ["A", "B"]},
        matters={"A": [M1], "B": [M2]},
        opening_hours=HOURS,
    )
    hall.closed_dates = ["2026-11-11"]
    hall.save(update_fields=["closed_dates"])
    return hall


@pytest.fixture
def town(city: Hall) -> Hall:
    return Hall.objects.get(code="town")


@pytest.fixture
def manager_wang(city: Hall) -> Any:
    return person("manager_wang", city, "manager", name="王主任", no="M001")


@pytest.fixture
def clerk_li(city: Hall) -> Any:
    return person("clerk_li", city, "staff", name="李窗口", no="S001")


@pytest.fixture
def clerk_zhao(city: Hall) -> Any:
    return person("clerk_zhao", city, "staff", name="赵窗口", no="S002")


@pytest.fixture
def town_clerk_zhou(town: Hall) -> Any:
    return person("clerk_zhou", town, "staff", name="周窗口", no="T001")


@pytest.fixture
def town_manager_sun(town: Hall) -> Any:
    return person("manager_sun", town, "manager", name="孙主任", no="TM01")


@pytest.fixture
def admin_chen(city: Hall) -> Any:
    return person("admin_chen", None, "admin", name="陈管理")


def local(day: dt.date, hhmm: str) -> dt.datetime:
    """A moment in the hall's zone (Asia/Shanghai) as aware UTC."""
    from zoneinfo import ZoneInfo

    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, h, m, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(
        dt.UTC
    )
