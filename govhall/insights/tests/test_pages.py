"""The insights manage pages over the database's own tickets."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from govhall.accounts.models import Membership, Role
from govhall.catalog.models import Bundle, Matter
from govhall.halls.models import Hall
from govhall.insights import bundles, tracegen
from govhall.queueing import logs
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db
START = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=tracegen.TZ)


def login(username: str, role: str | None, hall: str | None = "city") -> Client:
    user = get_user_model().objects.create_user(username, password="pw")
    if role:
        Membership.objects.create(
            user=user, role=role, hall=None if hall is None else Hall.objects.get(code=hall)
        )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def city() -> Any:
    build_hall("city", zones=tuple(tracegen.CITY_ZONES))
    build_hall("town", zones=("A",))
    _, rows = tracegen.generate(14, seed=5, start=START, scale=0.06)
    rows = [r for r in rows if r.hall == "city"]
    path = Path(tempfile.mkdtemp()) / "log.csv"
    tracegen.write(rows, path)
    logs.import_log(path)
    with time_machine.travel(NOW, tick=False):
        yield rows


def test_pages_need_a_manager_of_the_hall(city: Any) -> None:
    assert Client().get("/manage/insights/").status_code == 302
    assert login("staff_li", Role.STAFF).get("/manage/insights/").status_code == 403
    town_manager = login("manager_zhao", Role.MANAGER, "town")
    assert town_manager.get("/manage/insights/?hall=city").status_code == 404
    page = town_manager.get("/manage/insights/").content.decode()
    assert "共 0 张取号记录" in page


def test_each_page_renders_the_hall_figures(city: Any) -> None:
    manager_wang = login("manager_wang", Role.MANAGER)
    review = manager_wang.get("/manage/insights/?weeks=2").content.decode()
    assert f"共 {len(city)} 张取号记录" in review and 'data-action="' in review
    staffing = manager_wang.get("/manage/insights/staffing?weeks=2&target_wait=600").content.decode()
    assert "所需窗口" in staffing and 'id="need-A"' in staffing
    whatif = manager_wang.get(
        "/manage/insights/whatif?weeks=2&run=1&windows_A=1&online_share=0.2"
    ).content.decode()
    assert 'id="whatif-result"' in whatif
    bad = manager_wang.get("/manage/insights/whatif?weeks=2&run=1&online_share=3").content.decode()
    assert "网办分流比例须在0到1之间" in bad and 'id="whatif-result"' not in bad


def test_a_mined_bundle_becomes_one_thing_once(city: Any) -> None:
    mined = bundles.mine(city, min_subjects=3).bundles
    assert mined, "the trace plants bundles"
    codes = list(mined[0].matters)
    Matter.objects.bulk_create([Matter(code=c, name=f"事项{c}") for c in codes], ignore_conflicts=True)
    manager_wang = login("manager_wang", Role.MANAGER)
    page = manager_wang.get("/manage/insights/bundles?weeks=2").content.decode()
    assert ",".join(codes) in page
    for _ in range(2):
        r = manager_wang.post(
            "/manage/insights/bundles/create?hall=city&weeks=2", {"matters": ",".join(codes)}
        )
        assert r.status_code == 302
    bundle = Bundle.objects.get()
    assert sorted(bundle.matters.values_list("code", flat=True)) == sorted(codes)
    assert "已是一件事" in manager_wang.get("/manage/insights/bundles?weeks=2").content.decode()
    r = manager_wang.post("/manage/insights/bundles/create", {"matters": "NOPE,ALSO-NOPE"})
    assert r.status_code == 302 and Bundle.objects.count() == 1
