"""Reminders in a real browser: import a file (first with a mistake), preview the next batch, send, see it sent."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from govhall import clock
from govhall.reminders import services
from govhall.reminders.fakegateway import FakeGateway
from govhall.reminders.models import CertificateType, Reminder
from govhall.reminders.tests.conftest import PASSWORD, csv_of, holder_rows, user
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_import_preview_and_send_in_the_browser(pages: Pages, asgi_server: str, gateway: FakeGateway) -> None:
    httpx.get(
        f"{asgi_server}/accounts/login/", timeout=60
    )  # warm up: the first request may be slow on a busy machine
    user("manager_zhang", "manager")
    services.ensure_default_types()
    # the server runs on the real clock: no quiet hours, so the test passes at any hour
    CertificateType.objects.update(quiet_start=dt.time(0), quiet_end=dt.time(0))
    today = clock.local(clock.now(), "Asia/Shanghai").date()
    rows = holder_rows(4, first_expiry=today + dt.timedelta(days=10))
    bad = [dict(r) for r in rows]
    bad[1]["expires_on"] = "下个月"

    page = pages.open("/manage/reminders/")
    page.set_default_timeout(20000)
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "manager_zhang")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/reminders/")
    assert page.title().startswith("证照到期提醒")
    assert page.get_attribute("html", "lang") == "zh-Hans"

    page.click("nav.reminder-tabs >> text=导入证照")
    page.set_input_files(
        "input[name=file]", files=[{"name": "r.csv", "mimeType": "text/csv", "buffer": csv_of(bad)}]
    )
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-errors")
    assert "expires_on" in (page.text_content("table") or "")
    assert Reminder.objects.count() == 0

    page.set_input_files(
        "input[name=file]", files=[{"name": "r.csv", "mimeType": "text/csv", "buffer": csv_of(rows)}]
    )
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-result")
    assert page.text_content("#created") == "4" and page.text_content("#planned") == "4"

    page.click("text=查看下一批")
    page.wait_for_selector("#batch")
    assert page.text_content("#due-count") == "4"
    batch = page.text_content("#batch") or ""
    assert "138****0002" in batch and "居民身份证有效期满换领" in batch
    assert gateway.requests == []

    page.click("#send-now")
    page.wait_for_selector(".messages li:has-text('发送 4 条')")
    page.wait_for_selector("#batch-empty")
    assert page.text_content("[data-state=delivered]") == "4"

    page.click("nav.reminder-tabs >> text=发送记录")
    page.wait_for_selector("#log")
    assert page.locator("#log [data-outcome=delivered]").count() == 4
    assert len(gateway.handset) == 4

    html = page.content()
    for row in rows:
        assert row["number"] not in html and row["phone"] not in html
    pages.assert_no_console_errors()
