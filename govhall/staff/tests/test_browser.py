"""A manager sets the weights and reads the month's ranking with breakdowns; an approved leave takes
the clerk off duty that day; the console's clock-in control works over htmx. Real chromium."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from govhall import clock
from govhall.halls.models import Hall
from govhall.staff.models import Honour
from govhall.staff.tests.conftest import PASSWORD, person
from govhall.testing import build_hall
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_page(pages: Pages, path: str) -> Any:
    """Like `pages.open`, with a timeout that survives a loaded two-core machine."""
    context = pages.browser.new_context(
        base_url=pages.base_url, viewport={"width": 1600, "height": 1000}, locale="en-US"
    )
    pages.contexts.append(context)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and pages.errors.append(message.text))
    page.on("pageerror", lambda error: pages.errors.append(f"uncaught: {error}"))
    page.set_default_timeout(20_000)
    page.goto(path)
    return page


def log_in(page: Any, username: str) -> None:
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()


def test_weights_ranking_and_leave_in_the_browser(pages: Pages) -> None:
    hall: Hall = build_hall("city", zones=("A",), windows={"1": ["A"]})
    wang = person("manager_wang", hall, "manager", name="王主任", no="M001")
    li = person("clerk_li", hall, "staff", name="李窗口", no="S001")
    person("clerk_zhao", hall, "staff", name="赵窗口", no="S002")
    today = clock.service_day(clock.now(), hall.timezone)
    Honour.objects.create(user=li, hall=hall, on=today, title="群众表扬信", points=5, entered_by=wang)
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)

    # the clerk clocks in at the console, then asks for a day off
    console = open_page(pages, "/halls/city/windows/1")
    log_in(console, "clerk_li")
    console.wait_for_selector("#clock-control")
    console.locator("#clock-control button", has_text="签到").click()
    console.wait_for_selector("#clock-control >> text=已签到")
    console.goto("/manage/staff/leave/")
    console.fill("#l-start", day.isoformat())
    console.fill("#l-end", day.isoformat())
    console.fill("#l-reason", "孩子家长会")
    console.locator("form button", has_text="提交申请").click()
    console.wait_for_selector("#pending >> text=孩子家长会")

    # the manager: a wrong sum is refused, then the weights are saved and the ranking follows
    boss = open_page(pages, "/manage/staff/performance/")
    log_in(boss, "manager_wang")
    boss.wait_for_selector("#weights")
    for key, value in {"attendance": 30, "honours": 40, "ratings": 10, "volume": 10, "speed": 20}.items():
        boss.fill(f"#w-{key}", str(value))
    boss.locator("#weights button").click()
    boss.wait_for_selector(".messages >> text=合计须为 100")
    boss.fill("#w-speed", "10")
    boss.locator("#weights button").click()
    boss.wait_for_selector(".messages >> text=评分权重已保存")
    assert boss.input_value("#w-honours") == "40"
    # nobody was rated this month: ratings are left out and 40 of the remaining 90 becomes 44.44
    assert "本月没有好差评数据" in boss.content()
    first = boss.locator("#ranking > tbody > tr").first
    assert first.get_attribute("data-user") == "clerk_li" and first.locator(".rank").inner_text() == "1"
    honours = first.locator("tr[data-component=honours] td")
    assert [honours.nth(i).inner_text() for i in range(5)] == ["荣誉表彰", "5分", "1.000", "44.44", "44.44"]
    points = [float(x) for x in first.locator("tr[data-component] td:nth-child(5)").all_inner_texts()]
    assert float(first.locator(".score").inner_text()) == pytest.approx(sum(points), abs=0.02)
    assert len(boss.locator("#ranking > tbody > tr").all()) == 3

    # the manager approves the leave: the clerk is off duty that day
    boss.goto(f"/manage/staff/duty/?date={day.isoformat()}")
    assert "李窗口" in boss.locator("#on-duty").inner_text()
    boss.goto("/manage/staff/leave/")
    boss.locator("#pending tr", has_text="孩子家长会").locator("button", has_text="批准").click()
    boss.wait_for_selector("#decided >> text=已批准")
    boss.goto(f"/manage/staff/duty/?date={day.isoformat()}")
    assert "李窗口" not in boss.locator("#on-duty").inner_text()
    assert "李窗口" in boss.locator("#away").inner_text()
    assert "王主任" in boss.locator("#on-duty").inner_text()
    pages.assert_no_console_errors()
