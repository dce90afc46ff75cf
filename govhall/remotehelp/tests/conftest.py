"""Named actors for 远程帮办: village point 小村 run by the town centre, the city's online window 9,
assistant Chen at the point, clerk Wang at the window, clerk Zhou of another hall, manager Li."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.services import create_token
from govhall.halls.models import Hall, ServicePoint
from govhall.remotehelp import services
from govhall.testing import build_catalog, build_hall
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

HUKOU = "330000-GA-0001"
MEDICAL = "330000-YB-0107"
OTHER = "330000-ZZ-0001"
PASSWORD = "pw-remote-123"


def person(username: str, hall: str | None, role: str = "staff") -> tuple[Any, str]:
    token = create_token(username, hall_code=hall, role=role)
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user, token


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def city(db: None) -> Hall:
    build_catalog(HUKOU, MEDICAL, OTHER)
    city = build_hall(
        "city", zones=("A", "O"), windows={"1": ["A"], "9": ["O"]}, matters={"O": [HUKOU, MEDICAL]}
    )
    town = build_hall("town", zones=("A",), matters={"A": [HUKOU]})
    town.parent = city
    town.level = Hall.Level.TOWN
    town.save(update_fields=["parent", "level"])
    build_hall("other", zones=("A",))
    return city


@pytest.fixture
def point(city: Hall) -> ServicePoint:
    found = ServicePoint.objects.create(
        code="xiaocun",
        name="小村村代办点",
        kind=ServicePoint.Kind.VILLAGE,
        hall=Hall.objects.get(code="town"),
    )
    services.set_matters(found, [HUKOU, MEDICAL])
    return found


@pytest.fixture
def assistant_chen(city: Hall) -> Any:
    return person("assistant_chen", "town")[0]


@pytest.fixture
def clerk_wang(city: Hall) -> Any:
    return person("clerk_wang", "city")[0]


@pytest.fixture
def clerk_zhou(city: Hall) -> Any:
    return person("clerk_zhou", "other")[0]


@pytest.fixture
def manager_li(city: Hall) -> Any:
    return person("manager_li", "city", "manager")[0]
