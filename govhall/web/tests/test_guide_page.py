"""The public guide page `/` (智能导办, issue 7): a citizen asks in plain words, sees the matter, the
lightest channel and the nearest halls with their live wait, and takes a remote ticket."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from django.test import Client

from govhall.catalog.services import upsert_matters
from govhall.guide.models import Click
from govhall.guide.services import subject_hash
from govhall.halls.models import Hall
from govhall.queueing import services
from govhall.queueing.models import Ticket
from govhall.testing import build_hall, matter
from govhall.web.tests.browser import Pages
from govhall.web.tests.test_a11y import AXE, axe_violations

BIRTH = "330000-GA-0101"
ID_FIRST, ID_RENEW, ID_LOST = "330000-GA-0201", "330000-GA-0202", "330000-GA-0203"
PENSION = "330000-RS-0301"


def stored_clicks(count: int, seconds: float = 10.0) -> list[tuple[str, str]]:
    """The stored clicks once there are `count` of them (the page posts feedback without waiting for
    the answer, so the row may land a moment after the page has moved on)."""
    deadline = time.monotonic() + seconds
    while Click.objects.count() < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(Click.objects.values_list("matter_code", "subject"))


def assert_accessible(page: Any) -> None:
    """No serious or critical axe-core violation in the page's current state (results shown)."""
    if AXE.exists():
        assert axe_violations(page) == []


HOME = {"latitude": 29.8712, "longitude": 121.5518}  # a street corner in the invented 江澜市


def build_town() -> dict[str, Hall]:
    """Three halls that handle 出生登记: a town centre a few hundred metres from HOME, a district
    centre a few kilometres away and the city centre further out (the busiest)."""
    upsert_matters(
        [
            matter(
                BIRTH,
                "出生登记（新生儿落户）",
                department="市公安局",
                levels=["city", "district", "town"],
                keywords=["新生儿", "落户", "报户口"],
                materials=["出生医学证明", "父母户口簿"],
            ),
            matter(ID_FIRST, "居民身份证首次申领", department="市公安局", channels=["hall"]),
            matter(ID_RENEW, "居民身份证换领", department="市公安局", channels=["hall"]),
            matter(ID_LOST, "居民身份证补领", department="市公安局", channels=["app", "hall"]),
            matter(
                PENSION, "城乡居民基本养老保险待遇领取", department="市人力社保局", channels=["app", "web"]
            ),
        ]
    )
    halls = {
        "city": build_hall("city", zones=("A",), matters={"A": [BIRTH, ID_FIRST, ID_RENEW, ID_LOST]}),
        "east": build_hall("east", zones=("A",), matters={"A": [BIRTH, ID_FIRST, ID_RENEW, ID_LOST]}),
        "qiao": build_hall("qiao", zones=("A",), matters={"A": [BIRTH]}),
    }
    places = {
        "city": ("江澜市民中心", "city", 29.9300, 121.6200),
        "east": ("东湖区政务服务中心", "district", 29.8900, 121.5800),
        "qiao": ("桥头街道便民服务中心", "town", 29.8740, 121.5540),
    }
    for code, (name, level, lat, lon) in places.items():
        Hall.objects.filter(code=code).update(name=name, level=level, lat=lat, lon=lon)
        halls[code].refresh_from_db()
    for _ in range(4):
        services.issue_ticket(halls["city"], BIRTH)
    services.issue_ticket(halls["qiao"], BIRTH)
    return halls


@pytest.mark.django_db
def test_the_guide_page_has_a_labelled_search_box_and_keeps_a_shared_question() -> None:
    build_town()
    page = Client().get("/", {"q": "<b>孩子</b>刚出生"}).content.decode()
    assert '<label for="q"' in page and 'id="q"' in page
    assert "用大白话说说您要办什么事，比如：孩子刚出生怎么上户口" in page
    assert 'value="&lt;b&gt;孩子&lt;/b&gt;刚出生"' in page  # the shared question, escaped
    assert 'aria-live="polite"' in page and "web/guide.js" in page
    assert "江澜市民中心" in page and "4 人" in page  # the live loads below the box


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_citizen_goes_from_a_plain_question_to_a_remote_ticket_at_the_nearest_hall(pages: Pages) -> None:
    build_town()
    phone = pages.open(
        "/",
        width=390,
        height=844,
        is_mobile=True,
        has_touch=True,
        geolocation=HOME,
        permissions=["geolocation"],
    )
    phone.fill("#q", "孩子刚出生怎么上户口")
    phone.press("#q", "Enter")
    phone.wait_for_selector("#results .guide-card", timeout=30000)  # the first search builds the index

    best = phone.locator("#results .guide-card").first
    assert best.get_attribute("data-code") == BIRTH
    assert "出生登记（新生儿落户）" in (phone.text_content("#guide-status") or "")
    assert "已按您的当前位置" in (phone.text_content("#geo-note") or "")
    halls = best.locator(".hall-row")
    assert [halls.nth(i).get_attribute("data-hall") for i in range(halls.count())] == ["qiao", "east", "city"]
    nearest = halls.first
    facts = nearest.text_content() or ""
    assert "离您最近" in facts and "米" in facts and "正在等候 1 人" in facts
    assert "正在等候 4 人" in (halls.nth(2).text_content() or "")
    assert nearest.locator("a.nav").get_attribute("href") == "geo:29.874,121.554"
    # the page fits the phone: nothing wider than the screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    nearest.get_by_role("button", name=re.compile(r"^远程取号\s*（桥头街道便民服务中心）$")).click()
    link = nearest.locator(".hall-result.ok a.my-ticket")
    link.wait_for()
    ticket = Ticket.objects.get(hall__code="qiao", channel="remote")
    assert (ticket.matter_code, ticket.number, ticket.status) == (BIRTH, "A002", "waiting")
    assert "A002" in (nearest.text_content() or "")
    assert Ticket.objects.filter(channel="remote").count() == 1

    # choosing the result was fed back, under the anonymous session id kept on the phone
    session = phone.evaluate("localStorage.getItem('govhall.guide.session')")
    assert session and len(session) >= 16
    assert stored_clicks(1) == [(BIRTH, subject_hash(session))]

    assert_accessible(phone)
    link.click()
    phone.wait_for_url(f"**/t/{ticket.id}")
    assert phone.text_content("#number") == "A002"
    pages.assert_no_console_errors()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_without_a_location_the_page_says_so_and_a_follow_up_question_refines(pages: Pages) -> None:
    build_town()
    screen = pages.open("/")  # 1920×1080, no geolocation permission
    screen.fill("#q", "身份证")
    screen.click("#ask-btn")
    screen.wait_for_selector("#results .guide-card", timeout=30000)
    note = screen.text_content("#geo-note") or ""
    assert "不显示距离" in note
    rows = screen.locator("#results .guide-card").first.locator(".hall-row")
    assert rows.count() >= 1 and "距离" not in (rows.first.text_content() or "")

    options = screen.locator("#followup button")
    screen.wait_for_selector("#followup:not([hidden])")
    labels = [options.nth(i).text_content() for i in range(options.count())]
    assert len(labels) >= 2
    lost = screen.locator(f"#followup button[data-code='{ID_LOST}']")
    # the choice asks again and the answer replaces the cards: wait for new ones (the first card may
    # already have been 补领 before the choice)
    screen.evaluate("window.staleCard = document.querySelector('#results .guide-card')")
    lost.click()
    screen.wait_for_function(
        "(() => { const c = document.querySelector('#results .guide-card');"
        f" return c && c !== window.staleCard && c.dataset.code === '{ID_LOST}'; }})()"
    )
    first = screen.locator("#results .guide-card").first
    # 补领 can be done in the app: the lightest channel comes first, the halls stay behind a summary
    assert "推荐：掌上办" in (first.text_content() or "")
    assert first.locator("details.also-hall").count() == 1
    assert [code for code, _ in stored_clicks(1)] == [ID_LOST]
    # keyboard: the second card opens with Enter and shows its route
    second = screen.locator("#results .guide-card").nth(1).locator(".card-toggle")
    second.focus()
    screen.keyboard.press("Enter")
    assert second.get_attribute("aria-expanded") == "true"
    assert_accessible(screen)
    pages.assert_no_console_errors()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_refused_remote_ticket_says_why_and_takes_no_number(pages: Pages) -> None:
    from govhall.halls.models import ZoneMatter

    build_town()
    phone = pages.open("/?q=孩子刚出生怎么上户口", width=390, height=844, is_mobile=True, has_touch=True)
    row = phone.locator("#results .guide-card").first.locator(".hall-row[data-hall=east]")
    row.wait_for(timeout=30000)
    assert "按实时等候排列" in (phone.text_content("#geo-note") or "")  # a shared link asks no position
    ZoneMatter.objects.filter(hall__code="east", matter_code=BIRTH).delete()  # the hall stopped meanwhile
    row.locator("button.take").click()
    failure = row.locator(".hall-result.fail")
    failure.wait_for()
    text = failure.text_content() or ""
    assert "取号失败" in text and "该大厅暂不能为此事项取号" in text and "matter" not in text
    assert failure.get_attribute("role") == "alert"
    assert row.locator("button.take").is_enabled() and "重新取号" in (
        row.locator("button.take").text_content() or ""
    )
    assert Ticket.objects.filter(channel="remote").count() == 0
    # the only console line is the browser's own note about the refused request
    assert pages.errors and all("422" in e for e in pages.errors), pages.errors
