"""Named actors for 政小云: a small catalogue (出生登记 with two 办事情形, three 身份证 matters that
are near-duplicates, 公积金 online only), the city hall and the town centre, online clerk Li (李梅,
工号 A017), clerk Zhou, and manager Wang."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.services import create_token
from govhall.catalog.models import Matter, Situation
from govhall.catalog.services import upsert_matters
from govhall.guide.services import reset_index
from govhall.halls.models import Hall
from govhall.testing import build_hall, matter
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

BIRTH = "330000-GA-0101"
ID_FIRST, ID_RENEW, ID_LOST = "330000-GA-0201", "330000-GA-0202", "330000-GA-0203"
FUND = "330000-GJJ-0301"
PASSWORD = "pw-assistant-123"


def build_catalogue() -> None:
    upsert_matters(
        [
            matter(
                BIRTH,
                "出生登记（新生儿落户）",
                department="市公安局",
                levels=["city", "town"],
                keywords=["新生儿", "落户", "报户口", "上户口"],
                materials=["出生医学证明", "父母户口簿"],
                promised_days=0,
            ),
            matter(ID_FIRST, "居民身份证首次申领", department="市公安局", materials=["户口簿"]),
            matter(ID_RENEW, "居民身份证换领", department="市公安局", materials=["原身份证"]),
            matter(ID_LOST, "居民身份证补领", department="市公安局", channels=["app", "hall"]),
            matter(
                FUND,
                "住房公积金提取(租赁住房)",
                department="公积金中心",
                channels=["app", "web"],
                keywords=["租房", "公积金", "提取"],
                materials=["居民身份证", "租赁合同"],
                fee=Decimal("0"),
                promised_days=3,
                max_visits=0,
            ),
        ]
    )
    birth = Matter.objects.get(code=BIRTH)
    Situation.objects.create(
        matter=birth,
        name="父母双方为本市户籍",
        conditions="",
        materials=["出生医学证明", "父母户口簿"],
        position=0,
    )
    Situation.objects.create(
        matter=birth,
        name="父母一方为外地户籍",
        conditions="",
        materials=["出生医学证明", "父母户口簿", "结婚证"],
        position=1,
    )
    reset_index()


@pytest.fixture
def town(db: None) -> dict[str, Hall]:
    build_catalogue()
    halls = {
        "city": build_hall("city", zones=("A",), matters={"A": [BIRTH, ID_FIRST, ID_RENEW, ID_LOST]}),
        "qiao": build_hall("qiao", zones=("A",), matters={"A": [BIRTH]}),
    }
    Hall.objects.filter(code="city").update(name="江澜市民中心", level="city")
    Hall.objects.filter(code="qiao").update(name="桥头街道便民服务中心", level="town")
    for hall in halls.values():
        hall.refresh_from_db()
    return halls


def person(username: str, role: str = "staff", hall: str | None = "city", last_name: str = "") -> Any:
    create_token(username, hall_code=hall, role=role)
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.last_name = last_name
    user.save()
    return user


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clerk_li(town: dict[str, Hall]) -> Any:
    from govhall.staff.models import StaffProfile

    user = person("clerk_li")
    StaffProfile.objects.create(user=user, hall=town["city"], employee_no="A017", name="李梅")
    return user


@pytest.fixture
def clerk_zhou(town: dict[str, Hall]) -> Any:
    return person("clerk_zhou", last_name="周")


@pytest.fixture
def manager_wang(town: dict[str, Hall]) -> Any:
    return person("manager_wang", role="manager")
