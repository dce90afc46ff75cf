"""The big screen in a real browser: a new alert within 2 s, and the screen shows what the API says."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from govhall import clock
from govhall.halls.models import Hall, Zone
from govhall.monitor import live
from govhall.queueing.models import Ticket
from govhall.testing import build_hall
from govhall.web.tests.browser import Pages, free_port

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def off_thread(fn: Any, *args: Any) -> Any:
    """Run a service call outside Playwright's event loop, as the worker would, so its after-commit
    wake-up reaches the sockets at once."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def latency(check: Any, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def waiting_ticket(hall: Hall, zone_code: str, ticket_id: str, minutes_ago: float) -> Ticket:
    """A ticket that has been waiting for a while (as if issued before the screen was opened)."""
    zone = Zone.objects.get(hall=hall, code=zone_code)
    issued = clock.now() - dt.timedelta(minutes=minutes_ago)
    serial = Ticket.objects.filter(hall=hall).count() + 1
    return Ticket.objects.create(
        id=ticket_id,
        hall=hall,
        zone=zone,
        origin_zone=zone,
        matter_code="M-1",
        number=f"{zone.prefix}{serial:03d}",
        serial=serial,
        service_day=clock.service_day(issued, hall.timezone),
        issued_at=issued,
        queued_at=issued,
    )


def open_screen(pages: Pages, path: str) -> Any:
    """A big-screen page at 1920×1080, console errors collected as `pages.open` does; it loads the
    1 MB ECharts bundle, so it gets more time than the hall-floor pages' 5 s (the suite shares two
    cores with everything else)."""
    context = pages.browser.new_context(
        base_url=pages.base_url, viewport={"width": 1920, "height": 1080}, locale="en-US"
    )
    pages.contexts.append(context)
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and pages.errors.append(message.text))
    page.on("pageerror", lambda error: pages.errors.append(f"uncaught: {error}"))
    page.set_default_timeout(30000)
    page.goto(path)
    page.set_default_timeout(10000)
    return page


def screen_halls(page: Any) -> dict[str, dict[str, str]]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#hall-rows tr')].map((tr) => [
            tr.dataset.hall,
            Object.fromEntries([...tr.querySelectorAll('[data-field]')].map((td) =>
                [td.dataset.field, td.dataset.value || td.textContent.trim()]))]))"""
    )


def test_a_new_red_alert_reaches_the_big_screen_within_2_seconds_and_matches_the_api(pages: Pages) -> None:
    city = build_hall("city", zones=("A", "B"), yellow=2, red=3)
    town = build_hall("town", zones=("A",), yellow=5, red=8)
    Hall.objects.filter(pk=town.pk).update(lat=29.9, lon=121.6, parent=city)
    waiting_ticket(town, "A", "t-town-1", 3)
    started = time.monotonic()
    page = open_screen(pages, "/dashboard")
    page.wait_for_selector("#hall-rows tr[data-hall='city']")
    page.wait_for_function("window.GovhallDashboard !== undefined")
    load_seconds = time.monotonic() - started
    assert page.title().startswith("全市一张网")
    assert screen_halls(page)["city"]["alert"] == "none"
    assert page.locator("#alerts li.empty").count() == 1

    # three people have waited a minute in zone A: past yellow (2) and red (3)
    for n in range(3):
        waiting_ticket(city, "A", f"t-city-{n}", 1 - n / 60)
    raised_at = time.monotonic()
    assert off_thread(live.evaluate, clock.now()) == 2  # yellow and red at the same crossing
    seconds = latency(lambda: page.locator("#alerts li[data-kind='red']").count() == 1, timeout=2.0)
    assert time.monotonic() - raised_at < 2.0
    assert "A区" in page.locator("#alerts li[data-kind='red']").inner_text()
    page.wait_for_function(
        "document.querySelector(\"#hall-rows tr[data-hall='city'] [data-field=alert]\").dataset.value === 'red'"
    )

    # every number on the screen is the API's
    api = httpx.get(pages.base_url + "/api/v1/dashboard/city").json()
    shown = screen_halls(page)
    for hall in api["halls"]:
        row = shown[hall["code"]]
        assert row["waiting"] == str(hall["waiting"])
        assert row["tickets_today"] == str(hall["tickets_today"])
        assert row["open_windows"] == str(hall["open_windows"])
        assert row["alert"] == hall["alert"]
    assert shown["city"]["waiting"] == "3" and shown["town"]["waiting"] == "1"
    assert page.inner_text("#kpi-waiting") == str(api["kpi"]["waiting"]) == "4"
    assert page.inner_text("#kpi-tickets_today") == str(api["kpi"]["tickets_today"])
    assert page.inner_text("#kpi-alerts") == str(api["kpi"]["open_alerts"]) == "2"
    assert {a["kind"] for a in api["alerts"]} == {"yellow", "red"}
    assert page.locator("#map canvas").count() >= 1
    print(f"\n/dashboard loaded in {load_seconds:.2f} s; alert on screen {seconds:.2f} s after evaluate")

    # the hall's drill-down shows its zones as its API does
    hall_page = open_screen(pages, "/dashboard/city")
    hall_page.wait_for_selector("#zone-rows tr[data-zone='A']")
    detail = httpx.get(pages.base_url + "/api/v1/dashboard/halls/city").json()
    for zone in detail["zones"]:
        row = hall_page.locator(f"#zone-rows tr[data-zone='{zone['code']}']")
        assert row.locator("[data-field=waiting]").inner_text() == str(zone["waiting"])
        assert row.locator("[data-field=alert]").get_attribute("data-value") == zone["alert"]
    assert hall_page.locator("#alerts li").count() == 2
    assert hall_page.locator("#windows li").count() == detail["windows"]["total"]
    pages.assert_no_console_errors()


def serve(port: int) -> tuple[Any, threading.Thread]:
    import uvicorn

    config = uvicorn.Config(
        "govhall.asgi:application", host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"dashboard-restart-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return server, thread


def stop(server: Any, thread: threading.Thread) -> None:
    server.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive()


def test_the_big_screen_recovers_by_itself_from_a_server_restart(pages: Pages) -> None:
    city = build_hall("city", zones=("A",), yellow=2, red=None)
    port = free_port()
    server, thread = serve(port)
    try:
        screen = Pages(pages.browser, f"http://127.0.0.1:{port}")
        page = open_screen(screen, "/dashboard")
        page.wait_for_function("window.GovhallDashboard !== undefined")
        stop(server, thread)
        page.wait_for_selector("#conn.offline", timeout=15000)
        assert page.inner_text("#conn") == "重连中…"
        server, thread = serve(port)  # the server comes back; nobody touches the screen
        for n in range(2):
            waiting_ticket(city, "A", f"t-back-{n}", 1 - n / 60)
        assert off_thread(live.evaluate, clock.now()) == 1
        page.wait_for_selector("#alerts li[data-kind='yellow']", timeout=15000)
        page.wait_for_selector("#conn:not(.offline)", timeout=15000)
        page.wait_for_selector("#hall-rows tr[data-hall='city'] [data-value='yellow']", timeout=15000)
        shown = screen_halls(page)["city"]
        assert (shown["waiting"], shown["alert"]) == ("2", "yellow")
        screen.close()
        errors = [e for e in screen.errors if "ERR_CONNECTION_REFUSED" not in e and "WebSocket" not in e]
        assert errors == []
    finally:
        stop(server, thread)
