"""Named actors for 好差评: the city hall, clerk Wang at window 1, manager Li, a town clerk."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.services import create_token
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.queueing.models import Ticket
from govhall.testing import build_catalog, build_hall, window
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

HUKOU = "330000-GA-0001"
MEDICAL = "330000-YB-0107"
PASSWORD = "pw-ratings-123"


def person(username: str, hall: str | None, role: str) -> tuple[Any, str]:
    token = create_token(username, hall_code=hall, role=role)
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user, token


def served(hall: Hall, window_code: str, clerk: Any, matter: str = HUKOU) -> Ticket:
    """A ticket issued, called, started and finished by `clerk` at the window."""
    ticket, _ = queue.issue_ticket(hall, matter)
    called = queue.call_next(window(hall, window_code), actor=clerk)
    assert called is not None and called.pk == ticket.pk
    queue.perform(ticket.pk, "start", clerk)
    return queue.perform(ticket.pk, "finish", clerk)


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    """Logins in these tests need no real password hashing (PBKDF2 costs a second per user here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db: None) -> Hall:
    build_catalog(HUKOU, MEDICAL)
    build_hall("town", zones=("A",), matters={"A": [HUKOU]})
    return build_hall(
        "city",
        zones=("A", "B"),
        windows={"1": ["A"], "2": ["A", "B"]},
        matters={"A": [HUKOU], "B": [MEDICAL]},
    )


@pytest.fixture
def clerk_wang(city: Hall) -> Any:
    return person("clerk_wang", "city", "staff")[0]


@pytest.fixture
def clerk_chen(city: Hall) -> Any:
    return person("clerk_chen", "city", "staff")[0]


@pytest.fixture
def manager_li(city: Hall) -> Any:
    return person("manager_li", "city", "manager")[0]


@pytest.fixture
def town_manager_zhou(city: Hall) -> Any:
    return person("manager_zhou", "town", "manager")[0]


@pytest.fixture
def admin_sun(city: Hall) -> Any:
    return person("admin_sun", None, "admin")[0]
