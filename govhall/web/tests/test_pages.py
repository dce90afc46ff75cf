"""The hall-floor pages through Django's test client: access, language, content and query counts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from govhall.halls.models import Hall
from govhall.queueing import services
from govhall.testing import window
from govhall.web.tests.conftest import HUKOU, MEDICAL, PASSWORD

pytestmark = pytest.mark.django_db


def title(html: bytes) -> str:
    found = re.search(rb"<title>(.*?)</title>", html, re.S)
    assert found, "every page has a <title>"
    return found.group(1).decode().strip()


def assert_chinese_page(response: Any) -> str:
    assert response.status_code == 200
    assert b'<html lang="zh-Hans">' in response.content
    return title(response.content)


def busy_day(hall: Hall, tickets: int = 12) -> None:
    """Tickets in both zones, two of them at windows."""
    for i in range(tickets):
        services.issue_ticket(hall, HUKOU if i % 2 else MEDICAL)
    services.call_next(window(hall, "1"))
    services.perform(services.call_next(window(hall, "2")).id, "start")  # type: ignore[union-attr]


def test_kiosk_offers_zones_departments_and_search(city: Hall) -> None:
    page = Client().get("/halls/city/kiosk", headers={"Accept-Language": "en"})
    assert "自助取号" in assert_chinese_page(page)
    html = page.content.decode()
    for text in ("A区", "B区", "公安局", "医保局", "长辈模式", "绿色通道", "kiosk-data"):
        assert text in html
    assert HUKOU in html  # the matter → zone map for search results
    assert Client().get("/halls/nowhere/kiosk").status_code == 404


def test_kiosk_elderly_mode_is_a_link(city: Hall) -> None:
    page = Client().get("/halls/city/kiosk?mode=elderly")
    assert b'class="kiosk elderly"' in page.content


def test_kiosk_page_queries_stay_flat(city: Hall, django_assert_max_num_queries: Any) -> None:
    busy_day(city)
    with django_assert_max_num_queries(14):
        assert Client().get("/halls/city/kiosk").status_code == 200
    with django_assert_max_num_queries(9):
        assert Client().get("/halls/city/kiosk/state").status_code == 200


def test_print_page_is_an_80mm_receipt_with_a_qr_code_to_the_phone_page(city: Hall) -> None:
    ticket, _ = services.issue_ticket(city, HUKOU)
    page = Client().get(f"/halls/city/tickets/{ticket.id}/print")
    assert "A001" in assert_chinese_page(page)
    html = page.content.decode()
    assert "@media print" in html and "72mm" in html and "80mm" in html
    assert "<svg" in html and f"http://testserver/t/{ticket.id}" in html
    assert "出生登记" in html
    svg = Client().get(f"/halls/city/tickets/{ticket.id}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg")


def test_print_page_of_another_halls_ticket_is_not_found(city: Hall) -> None:
    ticket, _ = services.issue_ticket(city, HUKOU)
    assert Client().get(f"/halls/town/tickets/{ticket.id}/print").status_code == 404
    assert Client().get("/halls/city/tickets/t-nope/print").status_code == 404


def test_display_shows_windows_calls_and_waiting(city: Hall) -> None:
    busy_day(city)
    page = Client().get("/halls/city/display")
    assert "叫号屏" in assert_chinese_page(page)
    html = page.content.decode()
    assert "1号窗口" in html and "2号窗口" in html
    assert "正在呼叫" in html and "最近叫号" in html and "各区等候" in html
    assert "点击开启语音" in html
    latest = re.search(r'<div id="latest".*?</div>', html, re.S)
    assert latest and re.search(r"[AB]0\d\d", latest.group(0))
    assert "subject" not in html


def test_display_queries_stay_flat(city: Hall, django_assert_max_num_queries: Any) -> None:
    busy_day(city, tickets=30)
    with django_assert_max_num_queries(14):
        assert Client().get("/halls/city/display").status_code == 200


def test_voice_is_spoken_by_the_server_for_valid_calls_only(city: Hall) -> None:
    assert Client().get("/halls/city/voice.wav?number=A001&window=<script>").status_code == 400
    response = Client().get("/halls/city/voice.wav?number=A001&window=3号窗口")
    assert response.status_code in (200, 404)  # 404 where espeak-ng is missing
    if response.status_code == 200:
        assert response["Content-Type"] == "audio/wav"
        assert b"".join(response.streaming_content)[:4] == b"RIFF"  # type: ignore[attr-defined]


def test_console_sends_anonymous_visitors_to_the_login_page(city: Hall) -> None:
    response = Client().get("/halls/city/windows/1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/halls/city/windows/1"
    assert Client().get("/halls/city/windows/1/panel").status_code == 302


def test_console_refuses_staff_of_another_hall(town_clerk_zhou: Any) -> None:
    client = Client()
    assert client.login(username="clerk_zhou", password=PASSWORD)
    page = client.get("/halls/city/windows/1")
    assert page.status_code == 403
    assert b'<html lang="zh-Hans">' in page.content and "无权访问" in title(page.content)
    assert client.get("/halls/city/windows/1/panel").status_code == 403


def test_console_shows_the_current_ticket_with_its_guide(city: Hall, window_clerk_wang: Any) -> None:
    services.issue_ticket(city, HUKOU, priority=1)
    services.issue_ticket(city, HUKOU)
    services.call_next(window(city, "1"))
    client = Client()
    assert client.login(username="clerk_wang", password=PASSWORD)
    page = client.get("/halls/city/windows/1")
    assert "1号窗口" in assert_chinese_page(page)
    html = page.content.decode()
    assert 'id="current-number">A001<' in html
    assert "出生登记（新生儿落户）" in html and "出生医学证明" in html and "父母一方为本市户籍" in html
    assert 'name="csrf-token"' in html
    assert "A002" in html  # the waiting list
    assert client.get("/halls/city/windows/9").status_code == 404
    panel = client.get("/halls/city/windows/1/panel")
    assert panel.status_code == 200 and b"<html" not in panel.content and b"A001" in panel.content


def test_console_lists_held_tickets_and_todays_figures(city: Hall, window_clerk_wang: Any) -> None:
    services.issue_ticket(city, HUKOU)
    services.issue_ticket(city, HUKOU)
    first = services.call_next(window(city, "1"))
    assert first is not None
    services.perform(first.id, "start")
    services.perform(first.id, "finish")
    second = services.call_next(window(city, "1"))
    assert second is not None
    services.perform(second.id, "start")
    services.perform(second.id, "hold")
    client = Client()
    client.login(username="clerk_wang", password=PASSWORD)
    html = client.get("/halls/city/windows/1/panel").content.decode()
    held = re.search(r'<ul class="held-list".*?</ul>', html, re.S)
    assert held and "A002" in held.group(0) and 'data-action="resume"' in held.group(0)
    assert 'id="served-today">1<' in html


def test_console_queries_stay_flat(
    city: Hall, window_clerk_wang: Any, django_assert_max_num_queries: Any
) -> None:
    busy_day(city, tickets=30)
    client = Client()
    client.login(username="clerk_wang", password=PASSWORD)
    with django_assert_max_num_queries(20):
        assert client.get("/halls/city/windows/2").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/halls/city/windows/2/panel").status_code == 200


def test_console_actions_work_through_the_api_with_the_session_and_csrf(
    city: Hall, window_clerk_wang: Any
) -> None:
    services.issue_ticket(city, HUKOU)
    client = Client(enforce_csrf_checks=True)
    client.login(username="clerk_wang", password=PASSWORD)
    client.get("/halls/city/windows/1")
    token = client.cookies["csrftoken"].value
    refused = client.post("/api/v1/halls/city/windows/1/call-next", content_type="application/json")
    assert refused.status_code in (401, 403)
    called = client.post(
        "/api/v1/halls/city/windows/1/call-next",
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert called.status_code == 200 and called.json()["number"] == "A001"


def test_phone_page_is_live_and_chinese(city: Hall, django_assert_max_num_queries: Any) -> None:
    ticket, _ = services.issue_ticket(city, HUKOU)
    with django_assert_max_num_queries(10):
        page = Client().get(f"/t/{ticket.id}", headers={"Accept-Language": "en"})
    assert "A001" in assert_chinese_page(page)
    html = page.content.decode()
    assert "等候中" in html and 'data-since="' in html and "live.js" in html
