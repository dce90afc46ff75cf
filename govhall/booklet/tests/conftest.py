"""Named actors for the booklet: a small catalogue, the city hall and a town hall, 90 days of demand.

Demand (tickets in the last 90 days + people who chose the matter after a search):
city: car 3, medical 2 (clicks), pension 2 (town tickets), company 1; funeral's 5 tickets are older.
town: medical 2 (clicks), pension 2.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from govhall.catalog.models import Bundle, Matter
from govhall.catalog.services import upsert_matters
from govhall.guide.models import Click
from govhall.halls.models import Hall
from govhall.queueing import services as queue
from govhall.testing import build_hall, matter
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

BIRTH = "B-0001"
HUKOU_MOVE = "B-0002"
PENSION = "B-0003"
COMPANY = "B-0004"
CAR = "B-0005"
FUNERAL = "B-0006"
MARRIAGE = "B-0007"
MEDICAL = "B-0008"
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)

CATALOG = [
    matter(
        BIRTH,
        "出生登记",
        channels=["app", "web", "hall"],
        levels=["city", "town"],
        max_visits=0,
        scenarios=["宝宝刚出生，户口怎么上"],
    ),
    matter(HUKOU_MOVE, "户口迁入登记", channels=["hall"], levels=["city", "town"]),
    matter(
        PENSION,
        "城乡居民基本养老保险待遇申领",
        department="人力资源和社会保障局",
        channels=["web", "hall"],
        levels=["city", "town"],
        promised_days=5,
        keywords=["领养老金", "农村养老保险"],
    ),
    matter(
        COMPANY,
        "有限责任公司设立登记",
        department="市场监督管理局",
        audience=["enterprise"],
        channels=["app", "web", "hall"],
        scenarios=["想和朋友合伙开个公司，营业执照去哪里办"],
    ),
    matter(
        CAR,
        "机动车注册登记",
        department="公安局交通警察支队",
        channels=["web", "hall"],
        scenarios=["刚提的新车，上牌要带哪些东西"],
        extra={"online_url": "https://car.example.org/register?from=booklet"},
    ),
    matter(
        FUNERAL,
        "惠民殡葬补助申领",
        department="民政局",
        channels=["app"],
        levels=["city", "town"],
        scenarios=["老人走了，火化费用有没有补贴"],
    ),
    matter(MARRIAGE, "内地居民结婚登记", department="民政局", channels=["hall"]),
    matter(
        MEDICAL,
        "基本医疗保险参保人员历年账户家庭共济备案",
        department="医疗保障局",
        channels=["app", "web", "kiosk", "hall"],
        levels=["city", "town"],
        scenarios=["我的医保卡里有历年余额，能否给老父亲使用"],
    ),
]
BUNDLES = {
    "YJS-BIRTH": (
        "出生一件事",
        [BIRTH, MEDICAL],
        "孩子出生后，出生证明、落户、医保参保一张表申请、一次办好。",
    ),
    "YJS-MARRY": ("结婚生育一件事", [MARRIAGE, BIRTH], "领证结婚时同步办理生育登记。"),
    "YJS-VETERAN": ("军人退役一件事", [HUKOU_MOVE, PENSION, MEDICAL, FUNERAL], "退役回乡一次办完。"),
    "YJS-COMPANY": ("企业开办一件事", [COMPANY, CAR], "新办企业一日办结。"),
}


def _tickets(hall: Hall, code: str, count: int, at: dt.datetime) -> None:
    with time_machine.travel(at, tick=False):
        for _ in range(count):
            queue.issue_ticket(hall, code)


@pytest.fixture
def catalogue(db: None) -> None:
    upsert_matters(CATALOG)
    for code, (name, codes, description) in BUNDLES.items():
        bundle = Bundle.objects.create(code=code, name=name, description=description)
        bundle.matters.set(Matter.objects.filter(code__in=codes))


@pytest.fixture
def city_hall(catalogue: None) -> Hall:
    return build_hall("city", zones=("A",), matters={"A": [m["code"] for m in CATALOG]})


@pytest.fixture
def town_hall(catalogue: None) -> Hall:
    hall = build_hall("town", zones=("A",), matters={"A": [m["code"] for m in CATALOG]})
    Hall.objects.filter(pk=hall.pk).update(level=Hall.Level.TOWN, name="白塔镇便民服务中心")
    hall.refresh_from_db()
    return hall


@pytest.fixture
def demand(city_hall: Hall, town_hall: Hall) -> None:
    recent = NOW - dt.timedelta(days=10)
    _tickets(city_hall, CAR, 3, recent)
    _tickets(city_hall, COMPANY, 1, recent)
    _tickets(city_hall, FUNERAL, 5, NOW - dt.timedelta(days=100))
    _tickets(town_hall, PENSION, 2, recent)
    for subject in ("citizen_li", "citizen_li", "citizen_zhao"):
        Click.objects.create(
            query="医保余额给父母用", key="医保 余额", matter_code=MEDICAL, subject=subject, at=recent
        )


@pytest.fixture
def at_now() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
