"""The demo data: invented, masked, idempotent, and enough for every page."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.test import Client

from govhall.accounts.services import create_token
from govhall.halls.models import Hall
from govhall.staff import attendance, demo, performance
from govhall.staff.models import Asset, LeaveRequest, Punch, StaffProfile
from govhall.testing import build_hall

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)


def test_demo_load_is_idempotent_and_masked() -> None:
    city = build_hall(
        "jianglan",
        zones=("A", "B"),
        windows={str(i): ["A"] for i in range(1, 6)},
        opening_hours={"mon-sun": ["00:00-23:59"]},
    )
    build_hall("jianglan-baita", zones=("A",), opening_hours={"mon-fri": ["08:30-12:00", "13:30-17:00"]})
    Hall.objects.filter(code="jianglan-baita").update(level="town")
    create_token("manager_wang", hall_code="jianglan", role="manager")
    create_token("staff_li", hall_code="jianglan", role="staff")
    with time_machine.travel(NOW, tick=False):
        demo.load(random.Random(1), NOW)
        counts = (
            StaffProfile.objects.count(),
            Punch.objects.count(),
            Asset.objects.count(),
            LeaveRequest.objects.count(),
        )
        demo.load(random.Random(2), NOW)
        assert (
            StaffProfile.objects.count(),
            Punch.objects.count(),
            Asset.objects.count(),
            LeaveRequest.objects.count(),
        ) == counts
        assert counts[0] == 12 + 2 + 3 and counts[1] > 500 and counts[2] > 10 and counts[3] == 6
        for p in StaffProfile.objects.all():
            assert "*" in p.phone_masked and "*" in p.id_number_masked
        rows = performance.ranking_rows(city, 2026, 11)
        # no ratings in the demo's month: four components, the ratings weight spread over them
        assert len(rows) == 14 and all(len(r["components"]) == 4 for r in rows)
        assert StaffProfile.objects.get(user__username="jianglan-s01").employee_no.startswith("G")
        assert len(attendance.on_duty(city, dt.date(2026, 11, 20))) >= 12
        web = Client()
        from django.contrib.auth import get_user_model

        web.force_login(get_user_model().objects.get(username="manager_wang"))
        for path in (
            "/manage/staff/",
            "/manage/staff/performance/",
            "/manage/staff/assets/",
            "/manage/staff/attendance/",
            "/manage/staff/leave/",
            "/manage/staff/messages/",
        ):
            assert web.get(path).status_code == 200
