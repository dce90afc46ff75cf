"""axe-core (npm, `node_modules/axe-core`) on every floor page in Debian's chromium: no serious or
critical violation at the sizes each page is used at, and Chinese whatever the browser asks for."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from govhall.queueing import services
from govhall.testing import window
from govhall.web.tests.browser import Pages
from govhall.web.tests.conftest import HUKOU, PASSWORD, build_city, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
SCREEN, PORTRAIT, PHONE = (1920, 1080), (1080, 1920), (390, 844)


def axe_violations(page: Any) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now, one line each."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text())
    found = page.evaluate(
        """async () => {
          const result = await axe.run(document, { resultTypes: ["violations"] });
          return result.violations
            .filter((v) => v.impact === "serious" || v.impact === "critical")
            .map((v) => v.impact + " " + v.id + ": " + v.help + " @ " +
                 v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
        }"""
    )
    return list(found)


def check(pages: Pages, path: str, size: tuple[int, int], **options: Any) -> Any:
    page = pages.open(
        path,
        width=size[0],
        height=size[1],
        extra_http_headers={"Accept-Language": "en"},
        **options,
    )
    lang = page.evaluate("document.documentElement.lang")
    assert lang == "zh-Hans", (path, page.url, page.content()[:300])
    assert page.title(), path
    violations = axe_violations(page)
    assert violations == [], f"{path} at {size[0]}×{size[1]}: {violations}"
    return page


@pytest.fixture
def floor(pages: Pages) -> dict[str, Any]:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make install runs npm ci)")
    city = build_city()
    staff("clerk_wang", "city")
    tickets = [services.issue_ticket(city, HUKOU)[0] for _ in range(4)]
    services.call_next(window(city, "1"))
    return {"city": city, "tickets": tickets}


def test_public_pages_have_no_serious_accessibility_violation(pages: Pages, floor: dict[str, Any]) -> None:
    mine = floor["tickets"][3]
    for size in (SCREEN, PHONE):
        check(pages, "/", size)
        check(pages, "/accounts/login/", size)
    for size in (PORTRAIT, SCREEN):
        kiosk = check(pages, "/halls/city/kiosk", size)
        check(pages, "/halls/city/kiosk?mode=elderly", size)
    # the kiosk's other states: a zone's matters, the ticket sheet
    kiosk.click("[data-zone=A]")
    assert axe_violations(kiosk) == []
    kiosk.get_by_role("button", name="出生登记（新生儿落户）").click()
    kiosk.wait_for_selector("#sheet-ticket:not([hidden])")
    assert axe_violations(kiosk) == []
    for size in (SCREEN, PORTRAIT):
        check(pages, "/halls/city/display", size)
    phone = check(pages, f"/t/{mine.id}", PHONE, is_mobile=True, has_touch=True)
    phone.click("#cancel-open")
    assert axe_violations(phone) == []
    called = floor["tickets"][0]
    check(pages, f"/t/{called.id}", PHONE, is_mobile=True, has_touch=True)
    for size in (PHONE, PORTRAIT):
        check(pages, f"/halls/city/tickets/{mine.id}/print", size)
    pages.assert_no_console_errors()


def test_window_console_has_no_serious_accessibility_violation(pages: Pages, floor: dict[str, Any]) -> None:
    console = pages.open("/halls/city/windows/1", extra_http_headers={"Accept-Language": "en"})
    console.fill("input[name=username]", "clerk_wang")
    console.fill("input[name=password]", PASSWORD)
    console.click("button[type=submit]")
    console.wait_for_url("**/halls/city/windows/1")
    assert console.evaluate("document.documentElement.lang") == "zh-Hans"
    time.sleep(0.2)
    assert axe_violations(console) == []
    console.set_viewport_size({"width": 1080, "height": 1920})
    assert axe_violations(console) == []
    pages.assert_no_console_errors()
