"""Manage pages and the console control through Django's test client."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client

from govhall.halls.models import Hall
from govhall.staff.models import Asset, LeaveRequest, Punch, Receipt, StaffProfile
from govhall.staff.tests.conftest import PASSWORD, local

pytestmark = pytest.mark.django_db
NOW = local(dt.date(2026, 11, 16), "08:40")


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def chinese(response: Any) -> str:
    assert response.status_code == 200, response.content[:500]
    assert b'<html lang="zh-Hans">' in response.content
    found = re.search(rb"<title>(.*?)</title>", response.content, re.S)
    assert found
    return response.content.decode()


def test_every_page_renders_for_a_manager(city: Hall, manager_wang: Any, clerk_li: Any) -> None:
    web = login(manager_wang)
    with time_machine.travel(NOW, tick=False):
        for path in (
            "/manage/staff/",
            "/manage/staff/people/clerk_li/",
            "/manage/staff/attendance/",
            "/manage/staff/leave/",
            "/manage/staff/duty/",
            "/manage/staff/assets/",
            "/manage/staff/performance/",
            "/manage/staff/messages/",
        ):
            html = chinese(web.get(path))
            assert "人员与绩效" in html  # the section is in the manage navigation
        assert Client().get("/manage/staff/").status_code == 302  # anonymous → login


def test_masked_numbers_only(city: Hall, manager_wang: Any, clerk_li: Any) -> None:
    web = login(manager_wang)
    with time_machine.travel(NOW, tick=False):
        response = web.post(
            "/manage/staff/people/clerk_li/",
            {
                "employee_no": "S001",
                "name": "李窗口",
                "phone": "13912345678",
                "id_number": "330102199001011234",
                "skill_level": "2",
                "level_granted_on": "2026-03-01",
                "windows": ["1", "2"],
                "active": "on",
            },
        )
        assert response.status_code == 302
        profile = StaffProfile.objects.get(user=clerk_li)
        assert (profile.phone_masked, profile.id_number_masked) == ("139****5678", "3301**********1234")
        assert [w.code for w in profile.windows.order_by("code")] == ["1", "2"]
        for path in ("/manage/staff/", "/manage/staff/people/clerk_li/"):
            html = chinese(web.get(path))
            assert "13912345678" not in html and "19900101" not in html and "139****5678" in html
        api = web.get("/api/v1/staff/profiles/clerk_li").json()
        assert api["phone"] == "139****5678" and api["skill_label"] == "中级综窗"
        # a level needs its date: refused, nothing changed
        web.post(
            "/manage/staff/people/clerk_li/", {"employee_no": "S001", "name": "李窗口", "skill_level": "3"}
        )
        assert StaffProfile.objects.get(user=clerk_li).skill_level == 2


def test_leave_through_the_pages(city: Hall, manager_wang: Any, clerk_li: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        clerk = login(clerk_li)
        clerk.post(
            "/manage/staff/leave/",
            {"action": "ask", "kind": "annual", "start": "2026-11-18", "end": "2026-11-18", "reason": "探亲"},
        )
        leave = LeaveRequest.objects.get(user=clerk_li)
        assert "探亲" in chinese(clerk.get("/manage/staff/leave/"))
        clerk.post("/manage/staff/leave/", {"action": "approve", "id": leave.pk})  # a clerk can't approve
        assert LeaveRequest.objects.get(pk=leave.pk).status == "pending"
        boss = login(manager_wang)
        assert "李窗口" in chinese(boss.get("/manage/staff/duty/?date=2026-11-18"))
        boss.post("/manage/staff/leave/", {"action": "approve", "id": leave.pk, "note": "同意"})
        assert LeaveRequest.objects.get(pk=leave.pk).status == "approved"
        duty = chinese(boss.get("/manage/staff/duty/?date=2026-11-18"))
        on = duty.split('id="on-duty"')[1].split("</ul>")[0]
        away = duty.split('id="away"')[1].split("</ul>")[0]
        assert "李窗口" not in on and "王主任" in on and "李窗口" in away


def test_console_control_clocks_in_and_out(city: Hall, clerk_li: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        web = Client(enforce_csrf_checks=True)
        assert web.login(username="clerk_li", password=PASSWORD)
        console = web.get("/halls/city/windows/1")
        html = chinese(console)
        assert "今日未签到" in html and 'hx-post="/manage/staff/clock/city/"' in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token
        assert (
            web.post("/manage/staff/clock/city/", {"kind": "in", "window": "1"}).status_code == 403
        )  # no token
        done = web.post(
            "/manage/staff/clock/city/", {"kind": "in", "window": "1", "csrfmiddlewaretoken": token.group(1)}
        )
        assert "已签到（08:40）" in done.content.decode() and "签退" in done.content.decode()
        again = web.post("/manage/staff/clock/city/", {"kind": "in", "csrfmiddlewaretoken": token.group(1)})
        assert "请勿重复签到" in again.content.decode()
        assert Punch.objects.get(user=clerk_li).window_code == "1"


def test_assets_and_messages(city: Hall, manager_wang: Any, clerk_li: Any, clerk_zhao: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        boss = login(manager_wang)
        boss.post(
            "/manage/staff/assets/",
            {
                "code": "KS-01",
                "name": "取号机",
                "kind": "kiosk",
                "zone": "A",
                "responsible": "clerk_li",
                "state": "in_use",
            },
        )
        boss.post(
            "/manage/staff/assets/",
            {
                "action": "maintenance",
                "code": "KS-01",
                "on": "2026-11-15",
                "description": "更换热敏纸模块",
                "state_after": "repair",
            },
        )
        asset = Asset.objects.get(code="KS-01")
        assert asset.state == "repair" and asset.maintenance.count() == 1
        assert "更换热敏纸模块" in chinese(boss.get("/manage/staff/assets/"))
        bad = boss.post("/manage/staff/assets/", {"code": "X", "name": "?", "kind": "toaster"}, follow=True)
        assert "未知的设备类型" in bad.content.decode() and Asset.objects.count() == 1
        boss.post(
            "/manage/staff/messages/",
            {"action": "group", "name": "A区组", "members": ["clerk_li", "clerk_zhao"]},
        )
        group = boss.get("/manage/staff/messages/").context["groups"][0]
        boss.post(
            "/manage/staff/messages/",
            {"action": "send", "group": group.pk, "subject": "周例会", "body": "周五"},
        )
        assert Receipt.objects.filter(message__subject="周例会").count() == 2
        clerk = login(clerk_li)
        inbox = chinese(clerk.get("/manage/staff/messages/"))
        assert "周例会" in inbox and 'class="badge unread">1<' in inbox
        message = Receipt.objects.get(recipient=clerk_li).message
        clerk.post("/manage/staff/messages/", {"action": "read", "id": message.pk})
        assert "1/2" in chinese(boss.get("/manage/staff/messages/"))  # the read receipt


def test_admin_overview_and_a_new_profile(city: Hall, town: Hall, manager_wang: Any, admin_chen: Any) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="clerk_new")
    with time_machine.travel(NOW, tick=False):
        admin = chinese(login(admin_chen).get("/manage/staff/"))
        table = admin.split('id="overview"')[1].split("</table>")[0]
        assert "city政务服务中心" in table and "town政务服务中心" in table
        assert 'id="overview"' not in chinese(login(manager_wang).get("/manage/staff/"))
        boss = login(manager_wang)
        made = boss.post("/manage/staff/", {"username": "clerk_new", "employee_no": "S009", "name": "钱新人"})
        assert made.status_code == 302 and made.url == "/manage/staff/people/clerk_new/"
        assert StaffProfile.objects.get(user__username="clerk_new").hall == city
        again = boss.post(
            "/manage/staff/", {"username": "clerk_new", "employee_no": "S010", "name": "钱新人"}, follow=True
        )
        assert "已有档案" in again.content.decode()
        missing = boss.post(
            "/manage/staff/", {"username": "ghost", "employee_no": "S011", "name": "无名"}, follow=True
        )
        assert "没有用户" in missing.content.decode() and StaffProfile.objects.count() == 2
