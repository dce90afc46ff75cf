"""Named actors for the hall-floor pages: the city hall, its window staff, a stranger from another hall."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.services import create_token
from govhall.catalog.models import Matter, Situation
from govhall.catalog.services import upsert_matters
from govhall.halls.models import Hall
from govhall.testing import build_hall, matter
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

PASSWORD = "pw-window-123"
HUKOU = "330000-GA-0001"
MEDICAL = "330000-YB-0107"
FAR_AWAY = "330000-ZZ-9999"


def build_city() -> Hall:
    """The city hall: A 户籍 (户口) and B 医保, window 1 serves A, window 2 serves A and B."""
    upsert_matters(
        [
            matter(
                HUKOU, "出生登记（新生儿落户）", department="公安局", materials=["出生医学证明", "父母户口簿"]
            ),
            matter(
                MEDICAL,
                "基本医疗保险参保人员历年账户家庭共济备案",
                department="医保局",
                materials=["居民身份证"],
            ),
            matter(FAR_AWAY, "远洋渔船船员证书核发", department="农业农村局"),
        ]
    )
    hukou = Matter.objects.get(code=HUKOU)
    Situation.objects.create(
        matter=hukou,
        name="父母一方为本市户籍",
        conditions="新生儿出生一个月内",
        materials=["出生医学证明"],
        position=0,
    )
    build_hall("town", zones=("A",))
    return build_hall(
        "city",
        zones=("A", "B"),
        windows={"1": ["A"], "2": ["A", "B"]},
        matters={"A": [HUKOU], "B": [MEDICAL]},
    )


def staff(username: str, hall: str) -> Any:
    create_token(username, hall_code=hall, role="staff")
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def city() -> Hall:
    return build_city()


@pytest.fixture
def window_clerk_wang(city: Hall) -> Any:
    return staff("clerk_wang", "city")


@pytest.fixture
def town_clerk_zhou(city: Hall) -> Any:
    return staff("clerk_zhou", "town")
