"""A 差评 in a real browser: rated on the phone, worked by the manager, re-rated, closed."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.ratings.models import Case, Rating, Step
from govhall.ratings.tests.conftest import HUKOU, MEDICAL, PASSWORD, person, served
from govhall.testing import build_catalog, build_hall
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATIENCE_MS = 30000  # a loaded 2-core CI machine can take seconds per page


def open_page(pages: Pages, path: str, **options: Any) -> Any:
    page = pages.open("about:blank", **options)  # then a patient goto (open waits 5 s)
    page.set_default_timeout(PATIENCE_MS)
    page.goto(path)
    return page


def test_a_bad_rating_from_the_phone_to_a_closed_case_with_a_re_rating(pages: Pages) -> None:
    build_catalog(HUKOU, MEDICAL)
    city = build_hall(
        "city", zones=("A", "B"), windows={"1": ["A"], "2": ["B"]}, matters={"A": [HUKOU], "B": [MEDICAL]}
    )
    clerk = person("clerk_wang", "city", "staff")[0]
    person("manager_li", "city", "manager")
    ticket = served(city, "1", clerk)

    phone = open_page(pages, f"/t/{ticket.pk}", width=390, height=844)
    phone.wait_for_selector("#rating-panel >> text=请为本次服务评价")
    phone.click("label.level-1")
    phone.check("input[name=tags][value=attitude]")
    phone.fill("textarea[name=comment]", "窗口人员态度生硬")
    phone.click("#rating-panel button[type=submit]")
    phone.wait_for_selector("#rating-panel >> text=感谢您的评价")
    assert "非常不满意" in (phone.text_content("#rating-panel") or "")
    rating = Rating.objects.get(ticket=ticket)
    assert (rating.level, rating.tags, rating.staff_id) == (1, ["attitude"], clerk.pk)
    case = Case.objects.get(rating=rating)

    manage = open_page(pages, "/manage/ratings/")
    manage.fill("input[name=username]", "manager_li")
    manage.fill("input[name=password]", PASSWORD)
    manage.click("button[type=submit]")
    manage.wait_for_url("**/manage/ratings/")
    assert manage.title().startswith("好差评")
    manage.click(f"#open-case-table a:text('#{case.pk}')")
    manage.wait_for_selector("#form-verify")
    manage.select_option("#form-verify select[name=finding]", "true")
    manage.fill("#form-verify textarea[name=note]", "调取录像，服务用语不规范")
    manage.click("#form-verify button[type=submit]")
    manage.wait_for_selector("#form-callback")
    manage.fill("#form-callback textarea[name=note]", "已电话回访致歉，办事人表示理解")
    manage.click("#form-callback button[type=submit]")
    manage.wait_for_selector("#form-rectify")
    manage.fill("#form-rectify textarea[name=note]", "开展文明服务用语培训")
    manage.click("#form-rectify button[type=submit]")
    manage.wait_for_selector("#case-step:text('待再评价')")

    phone.reload()
    phone.wait_for_selector("#rating-panel >> text=邀请您再次评价")
    assert "开展文明服务用语培训" in (phone.text_content("#rating-panel") or "")
    phone.click("label.level-4")
    phone.click("#rating-panel button[type=submit]")
    phone.wait_for_selector("#rating-panel >> text=整改后再评价")

    manage.reload()
    manage.wait_for_selector("#case-step:text('已办结')")
    assert "满意" in (manage.text_content("#re-level") or "")
    case.refresh_from_db()
    assert case.step == Step.CLOSED and case.close_reason == "rerated"
    pages.assert_no_console_errors()


def test_rating_pad_by_the_window(pages: Pages) -> None:
    build_catalog(HUKOU)
    city = build_hall("city", zones=("A",), matters={"A": [HUKOU]})
    pad = open_page(pages, "/halls/city/windows/1/rate", width=1280, height=800)
    assert pad.title().startswith("服务评价")
    pad.wait_for_selector("text=办结后请在此评价")
    ticket = served(city, "1", person("clerk_wang", "city", "staff")[0])
    pad.wait_for_selector(f".pad-number:text('{ticket.number}')")  # the pad polls every 4 s
    pad.click("button:text('非常满意')")
    pad.wait_for_selector(".pad-thanks")
    assert Rating.objects.get(ticket=ticket).channel == "pad"
    pages.assert_no_console_errors()
