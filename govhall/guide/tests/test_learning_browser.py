"""问题转知识 in a real browser: two citizens' searches find nothing and are recorded, the manager
opens the list, adopts the group as a scenario of the right matter, and the next search finds it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from govhall.catalog.models import Matter
from govhall.catalog.services import upsert_matters
from govhall.guide import services
from govhall.guide.models import Decision, Question
from govhall.guide.tests.test_learning import ID_CARD, STALL, UNFOUND, person
from govhall.testing import matter
from govhall.web.tests.browser import Pages, asgi_server, chromium, pages  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PATIENCE_MS = 30000  # a loaded 2-core machine can take seconds per page


@pytest.fixture(autouse=True)
def _quick_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def search(base: str, text: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{base}/api/v1/guide/search", params={"q": text}, timeout=60)
    assert response.status_code == 200
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def test_a_manager_turns_an_unanswered_question_into_a_scenario_the_next_search_finds(
    pages: Pages,  # noqa: F811  (the fixture imported above)
    asgi_server: str,  # noqa: F811
) -> None:
    services.reset_index()
    upsert_matters(
        [
            matter(STALL, "个体工商户设立登记", department="市场监管局"),
            matter(ID_CARD, "居民身份证补领"),
            matter("330000-NY-0001", "犬只登记", department="农业农村局"),
        ]
    )
    person("manager_wang", "manager")
    assert search(asgi_server, UNFOUND) == []
    assert search(asgi_server, f"{UNFOUND}？") == []
    assert Question.objects.filter(source="search").count() == 2

    page = pages.open("about:blank")
    page.set_default_timeout(PATIENCE_MS)
    page.goto("/manage/guide/questions")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "manager_wang")
    page.fill("input[name=password]", "pw-learning-1")
    page.click("button[type=submit]")
    page.wait_for_url("**/manage/guide/questions")
    assert page.title().startswith("问题转知识")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    group = page.locator("article.lq-group").first
    assert group.locator(".lq-count").text_content() == "2 次"
    assert group.locator(".lq-phrase").text_content() == UNFOUND
    assert "当前搜索找不到任何事项" in (group.locator(".lq-guess").text_content() or "")

    group.locator("input[name=matter]").fill(STALL)
    group.locator("button[value=scenario]").click()
    page.wait_for_selector(".messages li.success")
    assert "2 个问题已处理" in (page.text_content(".messages") or "")
    assert page.locator("#lq-empty").is_visible()
    assert "manager_wang" in (page.text_content("#lq-decisions") or "")

    assert Matter.objects.get(code=STALL).scenarios == [UNFOUND]
    assert Decision.objects.get().questions == 2
    assert search(asgi_server, UNFOUND)[0]["code"] == STALL  # at once, no wait for the 2 s check
    assert Question.objects.filter(decision__isnull=True).count() == 0  # found now: not recorded again
    pages.assert_no_console_errors()
