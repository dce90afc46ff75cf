"""The staff API: hall scope and 4xx reasons as `{"detail": …}`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from govhall.accounts.models import ApiToken
from govhall.halls.models import Hall
from govhall.staff.models import Punch
from govhall.staff.tests.conftest import local

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
NOW = local(dt.date(2026, 11, 16), "08:31")


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.issue(user)}")


def test_errors_are_4xx_json(city: Hall, manager_wang: Any, clerk_li: Any, town_clerk_zhou: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        assert Client().get("/api/v1/staff/profiles").status_code == 401
        li, boss = api(clerk_li), api(manager_wang)
        cases = [
            (
                li.post("/api/v1/staff/halls/nowhere/clock", {"kind": "in"}, content_type="application/json"),
                404,
            ),
            (li.post("/api/v1/staff/halls/city/clock", {"kind": "up"}, content_type="application/json"), 422),
            (
                api(town_clerk_zhou).post(
                    "/api/v1/staff/halls/city/clock", {"kind": "in"}, content_type="application/json"
                ),
                403,
            ),
            (
                li.put(
                    "/api/v1/staff/halls/city/rules",
                    {"attendance": 50, "honours": 50, "ratings": 50, "volume": 0, "speed": 0},
                    content_type="application/json",
                ),
                403,
            ),
            (
                boss.put(
                    "/api/v1/staff/halls/city/rules",
                    {"attendance": 50, "honours": 50, "ratings": 50, "volume": 0, "speed": 0},
                    content_type="application/json",
                ),
                422,
            ),
            (li.get("/api/v1/staff/halls/city/performance?month=2026-13"), 422),
            (li.post("/api/v1/staff/leave/999/approve", {}, content_type="application/json"), 404),
            (li.post("/api/v1/staff/messages/5/read"), 404),
            (
                boss.post(
                    "/api/v1/staff/halls/city/assets/NOPE/maintenance",
                    {"on": "2026-11-01", "description": "x", "state_after": "in_use"},
                    content_type="application/json",
                ),
                404,
            ),
        ]
        for response, status in cases:
            assert response.status_code == status, response.content
            assert "detail" in response.json()
        assert (
            li.post(
                "/api/v1/staff/halls/city/clock", {"kind": "in"}, content_type="application/json"
            ).status_code
            == 201
        )
        again = li.post("/api/v1/staff/halls/city/clock", {"kind": "in"}, content_type="application/json")
        assert again.status_code == 409 and again.json()["detail"] == "今天已签到，请勿重复签到"


def test_leave_rules_assets_import_over_the_api(city: Hall, manager_wang: Any, clerk_li: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        li, boss = api(clerk_li), api(manager_wang)
        asked = li.post(
            "/api/v1/staff/leave",
            {"hall": "city", "kind": "sick", "start": "2026-11-17", "end": "2026-11-17", "reason": "发烧"},
            content_type="application/json",
        )
        assert asked.status_code == 201
        leave_id = asked.json()["id"]
        assert (
            li.post(
                f"/api/v1/staff/leave/{leave_id}/approve", {}, content_type="application/json"
            ).status_code
            == 403
        )
        done = boss.post(
            f"/api/v1/staff/leave/{leave_id}/approve", {"note": "好好休息"}, content_type="application/json"
        )
        assert done.json()["status"] == "approved" and done.json()["decided_by"] == "manager_wang"
        off = boss.get("/api/v1/staff/halls/city/on-duty?date=2026-11-17").json()
        assert [p["username"] for p in off] == ["manager_wang"]
        weights = {
            "attendance": 40,
            "honours": 0,
            "ratings": 20,
            "volume": 20,
            "speed": 20,
            "late_grace_minutes": 10,
            "early_grace_minutes": 0,
        }
        assert (
            boss.put("/api/v1/staff/halls/city/rules", weights, content_type="application/json").json()
            == weights
        )
        made = boss.post(
            "/api/v1/staff/halls/city/assets",
            {"code": "PC-01", "name": "1号窗口电脑", "kind": "pc", "window": "1", "responsible": "clerk_li"},
            content_type="application/json",
        )
        assert made.status_code == 200 and made.json()["window"] == "1"
        assert [a["code"] for a in li.get("/api/v1/staff/halls/city/assets").json()] == ["PC-01"]
        good = SimpleUploadedFile("device.csv", b"employee_no,time,kind\nS001,2026-11-13 08:29,in\n")
        assert boss.post("/api/v1/staff/halls/city/attendance/import", {"file": good}).json() == {
            "created": 1,
            "skipped": 0,
        }
        bad = SimpleUploadedFile("device.csv", b"employee_no,time,kind\nS001,soon,in\n")
        failed = boss.post("/api/v1/staff/halls/city/attendance/import", {"file": bad})
        assert failed.status_code == 422 and "line 2" in failed.json()["detail"]
        assert Punch.objects.count() == 1
        sent = boss.post(
            "/api/v1/staff/halls/city/messages",
            {"subject": "通知", "to": ["clerk_li"]},
            content_type="application/json",
        )
        assert sent.status_code == 201 and sent.json()["recipients"] == 1
        inbox = li.get("/api/v1/staff/messages").json()
        assert [m["subject"] for m in inbox] == ["通知", "请假已批准：2026-11-17～2026-11-17"]
        assert li.post(f"/api/v1/staff/messages/{inbox[0]['id']}/read").json()["read_at"] is not None


def test_every_staff_operation_has_schemas(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    ops = [
        (p, m, op)
        for p, item in schema["paths"].items()
        if p.startswith("/api/v1/staff")
        for m, op in item.items()
    ]
    assert len(ops) >= 20
    for path, method, op in ops:
        assert "200" in op["responses"] or "201" in op["responses"], (path, method)
        assert "403" in op["responses"] and "422" in op["responses"]
        if method in ("post", "put") and "{leave_id}/cancel" not in path and "/read" not in path:
            assert "requestBody" in op, (path, method)
