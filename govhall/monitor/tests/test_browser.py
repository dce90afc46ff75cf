"""An alert appears on the manage page by itself and is acknowledged with one click (real chromium)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall import clock
from govhall.accounts.services import create_token
from govhall.monitor import live
from govhall.monitor.models import Alert
from govhall.monitor.tests.helpers import build, hall_doc, put_ticket
from govhall.web.tests.browser import Pages, asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-manager-123"


def manager(username: str, hall: str) -> Any:
    create_token(username, hall_code=hall, role="manager")
    user = get_user_model().objects.get(username=username)
    user.set_password(PASSWORD)
    user.save()
    return user


def open_slowly(opened: Pages, path: str) -> Any:
    """`opened.open` with patient timeouts: the test machine is shared and its first answers are slow."""
    context = opened.browser.new_context(base_url=opened.base_url, viewport={"width": 1440, "height": 900})
    opened.contexts.append(context)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
    page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    page.on("response", lambda r: r.status >= 400 and opened.errors.append(f"HTTP {r.status} {r.url}"))
    page.set_default_timeout(30000)
    page.goto(path)
    return page


def test_alert_appears_live_and_is_acknowledged(pages: Pages) -> None:  # noqa: F811
    city = build(hall_doc("city", zones={"A": (15, None, None)}))
    manager_wang = manager("manager_wang", "city")
    page = open_slowly(pages, "/manage/monitor/")
    page.fill("input[name=username]", "manager_wang")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_selector("text=当前没有未处置的预警")
    assert page.title().startswith("实时监控")

    # a citizen has waited past 15 minutes: the worker's cycle raises the alert
    put_ticket(city, "A", "t-zhang", clock.now() - dt.timedelta(minutes=15, seconds=30))
    assert live.evaluate(clock.now()) == 1
    alert = Alert.objects.get()
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    row.wait_for(timeout=12000)  # the list refreshes itself every 5 s
    assert "超时未叫号" in row.inner_text() and "t-zhang" in row.inner_text()

    row.locator("button", has_text="确认").click()
    page.wait_for_selector(".messages >> text=已确认预警")
    acknowledged = page.locator(f"tr[data-alert='{alert.pk}']")
    assert "manager_wang" in acknowledged.inner_text()
    assert acknowledged.locator("button", has_text="确认").count() == 0
    alert.refresh_from_db()
    assert alert.acknowledged_by == manager_wang and alert.acknowledged_at is not None

    acknowledged.locator("a", has_text="处置建议").click()
    page.wait_for_selector("h2 >> text=处置建议")
    page.locator("button", has_text="处置完毕").click()
    page.wait_for_selector(".messages >> text=已处置完毕")
    assert Alert.objects.get().resolved_by == manager_wang
    pages.assert_no_console_errors()
