"""The hall floor in a real browser (Debian's chromium), live over the WebSocket."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from govhall.accounts.services import create_token
from govhall.queueing import services
from govhall.queueing.models import Status, Ticket
from govhall.testing import build_catalog, build_hall, window
from govhall.web.tests.browser import Pages
from govhall.web.tests.conftest import FAR_AWAY, HUKOU, MEDICAL, PASSWORD, build_city, staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Speech that the browser refuses until someone taps the page (the autoplay policy), and that
# records what it says once allowed.
REFUSING_SPEECH = """
(() => {
  window.__spoken = [];
  let tapped = false;
  document.addEventListener("click", () => { tapped = true; }, true);
  const speech = {
    speak(utterance) {
      setTimeout(() => {
        if (!tapped) { if (utterance.onerror) utterance.onerror({ error: "not-allowed" }); return; }
        window.__spoken.push(utterance.text);
        if (utterance.onend) utterance.onend({});
      }, 20);
    },
    getVoices() { return []; },
    addEventListener() {},
    cancel() {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: speech, configurable: true });
})();
"""


def off_thread(fn: Any, *args: Any) -> Any:
    """Run a service call outside Playwright's event loop, as a server request would, so its
    after-commit wake-up reaches the sockets at once."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def latency(check: Any, timeout: float = 2.0) -> float:
    """Seconds until `check()` is true, failing after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def test_kiosk_issues_one_ticket_per_choice_and_shows_the_wait(pages: Pages) -> None:
    build_city()
    kiosk = pages.open("/halls/city/kiosk", width=1080, height=1920)
    assert kiosk.evaluate("document.documentElement.lang") == "zh-Hans"
    kiosk.click("[data-zone=A]")
    kiosk.get_by_role("button", name="出生登记（新生儿落户）").dblclick()  # a double tap
    kiosk.wait_for_selector("#sheet-ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number") == "A001"
    assert kiosk.text_content("#ticket-ahead") == "0"
    assert Ticket.objects.count() == 1
    print_href = kiosk.get_attribute("#ticket-print", "href")
    assert print_href and print_href.endswith("/print?auto=1")
    kiosk.click("#ticket-done")

    # elderly mode: big zones only, one tap, green channel
    kiosk.click("#elderly-toggle")
    assert kiosk.is_hidden(".tabs")
    kiosk.click("#priority")
    kiosk.click("[data-zone=B]")
    assert "服务台" in (kiosk.text_content("#matter-list") or "")  # the unsure are sent to people
    kiosk.get_by_role("button", name="基本医疗保险参保人员历年账户家庭共济备案").click()
    kiosk.wait_for_selector("#sheet-ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number") == "B001"
    assert Ticket.objects.get(number="B001").priority == 1
    assert Ticket.objects.get(number="B001").matter_code == MEDICAL  # a real matter, never a placeholder

    # plain words: a matter this hall has no zone for is said so, with the zones offered
    kiosk.click("#ticket-done")
    kiosk.click("#elderly-toggle")
    kiosk.click("#tabbtn-search")
    kiosk.fill("#search-q", "远洋渔船船员证书")
    kiosk.click("#search-btn")
    kiosk.wait_for_selector("#search-results .elsewhere", timeout=30000)  # the first search loads the index
    assert "本中心没有专门办理此事项" in (kiosk.text_content("#search-results") or "")
    kiosk.locator("#search-results .elsewhere").get_by_role("button", name="A区").click()
    kiosk.wait_for_selector("#sheet-ticket:not([hidden])")
    assert kiosk.text_content("#ticket-number") == "A002"
    assert Ticket.objects.get(number="A002").matter_code == FAR_AWAY

    receipt = pages.open(print_href.replace("?auto=1", ""), width=400, height=900)
    assert receipt.text_content("#number") == "A001"
    assert receipt.locator(".qr svg").is_visible()
    pages.assert_no_console_errors()


def test_kiosk_explains_a_closed_hall(pages: Pages) -> None:
    now = dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=8)  # the hall's Asia/Shanghai clock
    hour = (now.hour + 12) % 24
    build_catalog(HUKOU)
    build_hall(
        "night",
        zones=("A",),
        opening_hours={"mon-sun": [f"{hour:02d}:00-{hour:02d}:30"]},
        matters={"A": [HUKOU]},
    )
    kiosk = pages.open("/halls/night/kiosk")
    kiosk.click("[data-zone=A]")
    kiosk.locator("#matter-list button.choice").first.click()
    kiosk.wait_for_selector("#sheet-error:not([hidden])")
    assert kiosk.text_content("#error-title") == "现在暂停取号"
    assert "开放时间" in (kiosk.text_content("#sheet-error") or "")
    assert f"{hour:02d}:00-{hour:02d}:30" in (kiosk.text_content("#error-hours") or "")
    assert Ticket.objects.count() == 0
    pages.assert_no_console_errors()


def test_display_shows_a_call_within_two_seconds_and_speaks_after_a_tap(pages: Pages) -> None:
    city = build_city()
    token = create_token("window_1_api", hall_code="city")
    services.issue_ticket(city, HUKOU)
    screen = pages.open("/halls/city/display", init_script=REFUSING_SPEECH)
    screen.wait_for_function("document.getElementById('conn').classList.contains('live')")
    time.sleep(0.3)  # the socket is subscribed

    api = httpx.Client(base_url=pages.base_url, headers={"Authorization": f"Bearer {token}"})
    started = time.monotonic()
    called = api.post("/api/v1/halls/city/windows/1/call-next")
    assert called.status_code == 200 and called.json()["number"] == "A001"
    shown = latency(lambda: "A001" in (screen.text_content("#latest") or ""), timeout=2.0)
    print(
        f"\ncall-next → on screen: {time.monotonic() - started:.3f} s (after the API answered: {shown:.3f} s)"
    )
    assert "1号窗口" in (screen.text_content("#latest") or "")
    assert "A001" in (screen.text_content("#history") or "")

    # the browser refused to speak: the control appears instead of an error
    control = screen.locator("#sound-on")
    control.wait_for(state="visible", timeout=2000)
    assert control.text_content() == "🔊 点击开启语音"
    control.click()
    screen.wait_for_function("window.__spoken.length >= 1", timeout=2000)
    assert screen.evaluate("window.__spoken") == ["请A001号到1号窗口办理"]
    assert control.is_hidden()

    # a recall is announced again
    ticket_id = called.json()["id"]
    assert api.post(f"/api/v1/tickets/{ticket_id}/recall").status_code == 200
    screen.wait_for_function("window.__spoken.length >= 2", timeout=2000)
    assert screen.evaluate("window.__spoken")[-1] == "请A001号到1号窗口办理"
    assert "重呼" in (screen.text_content("#history") or "")
    api.close()
    pages.assert_no_console_errors()


def test_console_logs_in_calls_next_and_finishes(pages: Pages) -> None:
    city = build_city()
    staff("clerk_wang", "city")
    services.issue_ticket(city, HUKOU)
    console = pages.open("/halls/city/windows/1")
    assert "/accounts/login/" in console.url
    console.fill("input[name=username]", "clerk_wang")
    console.fill("input[name=password]", PASSWORD)
    console.click("button[type=submit]")
    console.wait_for_url("**/halls/city/windows/1")
    assert console.title().startswith("1号窗口 工作台")

    console.click("[data-action=call-next]")
    console.wait_for_selector("#current-number:text('A001')")
    assert "出生医学证明" in (console.text_content(".guide") or "")
    console.click("[data-action=start]")
    console.wait_for_selector("#current-status:text('办理中')")
    console.keyboard.press("f")  # finish by shortcut
    console.wait_for_selector("#notice:text('A001 已办结')")
    assert Ticket.objects.get(number="A001").status == Status.SERVED
    console.wait_for_selector("#served-today:text('1')")
    assert console.text_content("#current-number") == "当前无人，请叫号"

    # a refusal from the server is shown to the staff, not swallowed
    off_thread(services.issue_ticket, city, HUKOU)
    console.wait_for_selector("#queue-list:has-text('A002')")  # live: the new ticket appears
    console.click("[data-action=call-next]")
    console.wait_for_selector("#current-number:text('A002')")
    for _ in range(4):  # three recalls are allowed, the fourth is refused
        console.evaluate("document.getElementById('notice').hidden = true")
        console.click("[data-action=recall]")
        console.wait_for_selector("#notice:not([hidden])")
    assert "error" in (console.get_attribute("#notice", "class") or "")
    assert "recalled 3 times" in (console.text_content("#notice") or "")
    pages.errors = [e for e in pages.errors if "409" not in e]  # the refused request itself
    pages.assert_no_console_errors()


def test_phone_page_follows_the_queue_live(pages: Pages) -> None:
    city = build_city()
    services.issue_ticket(city, HUKOU)
    mine, _ = services.issue_ticket(city, HUKOU)
    phone = pages.open(f"/t/{mine.id}", width=390, height=844, is_mobile=True, has_touch=True)
    assert phone.text_content("#position") == "1"
    phone.wait_for_function("document.getElementById('conn').classList.contains('live')")
    time.sleep(0.3)
    off_thread(services.call_next, window(city, "1"))
    moved = latency(lambda: phone.text_content("#position") == "0", timeout=2.0)
    print(f"\nphone position update: {moved:.3f} s")
    off_thread(services.call_next, window(city, "2"))
    latency(lambda: phone.is_visible("#turn"), timeout=2.0)
    assert "2号窗口" in (phone.text_content("#turn") or "") or "2 号窗口" in (
        phone.text_content("#turn") or ""
    )
    assert phone.text_content("#status") == "请到窗口办理"
    pages.assert_no_console_errors()


def test_journey_across_two_server_processes(chromium: Any, transactional_db: None, tmp_path: Any) -> None:
    """The embedded default with two processes (one SQLite file, no Redis): the kiosk and the
    console on process A, the calling screen and the phone page on process B."""
    from govhall.realtime.tests.processes import two_servers

    build_city()
    staff("clerk_wang", "city")
    with two_servers(tmp_path, GOVHALL_EVENT_POLL_SECONDS="0.5") as (a, b):
        pages = Pages(chromium, a.url)
        try:
            kiosk = pages.open(f"{a.url}/halls/city/kiosk", width=1080, height=1920)
            kiosk.set_default_timeout(15000)
            screen = pages.open(f"{b.url}/halls/city/display", init_script=REFUSING_SPEECH)
            screen.set_default_timeout(15000)
            screen.wait_for_function("document.getElementById('conn').classList.contains('live')")

            kiosk.click("[data-zone=A]")
            kiosk.get_by_role("button", name="出生登记（新生儿落户）").click()
            kiosk.wait_for_selector("#sheet-ticket:not([hidden])")
            assert kiosk.text_content("#ticket-number") == "A001"
            ticket = Ticket.objects.get(number="A001")
            phone = pages.open(
                f"{b.url}/t/{ticket.id}", width=390, height=844, is_mobile=True, has_touch=True
            )
            phone.set_default_timeout(15000)
            phone.wait_for_function("document.getElementById('conn').classList.contains('live')")
            latency(lambda: "1" in (screen.text_content("#zones") or ""), timeout=3.0)

            console = pages.open(f"{a.url}/halls/city/windows/1")
            console.set_default_timeout(20000)  # password hashing in a busy subprocess can be slow
            console.fill("input[name=username]", "clerk_wang")
            console.fill("input[name=password]", PASSWORD)
            console.click("button[type=submit]")
            console.wait_for_url("**/halls/city/windows/1")
            console.click("[data-action=call-next]")
            started = time.monotonic()
            console.wait_for_selector("#current-number:text('A001')")
            shown = latency(lambda: "A001" in (screen.text_content("#latest") or ""), timeout=3.0)
            latency(lambda: phone.is_visible("#turn"), timeout=3.0)
            print(
                f"\ntwo processes: console on A → screen on B {time.monotonic() - started:.3f} s ({shown:.3f} s)"
            )
            assert "1号窗口" in (screen.text_content("#latest") or "")
            assert "轮到您了" in (phone.text_content("#turn") or "")
            pages.assert_no_console_errors()
        finally:
            pages.close()


VIBRATION = """
(() => {
  window.__buzzes = [];
  Object.defineProperty(navigator, "vibrate", { value: (p) => { window.__buzzes.push(p); return true; }, configurable: true });
})();
"""


def test_phone_page_calls_the_citizen_back_and_cancels_after_a_confirmation(pages: Pages) -> None:
    city = build_city()
    tickets = [services.issue_ticket(city, HUKOU)[0] for _ in range(5)]
    mine = tickets[4]
    phone = pages.open(
        f"/t/{mine.id}", width=390, height=844, is_mobile=True, has_touch=True, init_script=VIBRATION
    )
    assert phone.is_hidden("#near")
    phone.tap("#number")  # the citizen has touched the page: the browser allows vibration now
    phone.wait_for_function("document.getElementById('conn').classList.contains('live')")
    time.sleep(0.3)
    off_thread(services.call_next, window(city, "1"))
    latency(lambda: phone.is_visible("#near"), timeout=2.0)
    assert phone.text_content("#near-text") == "还有3位，请回到大厅"
    phone.wait_for_function("window.__buzzes.length === 1")

    # cancelling asks first; "不取消" keeps the ticket
    phone.click("#cancel-open")
    assert phone.is_visible("#cancel-dialog")
    phone.click("#cancel-keep")
    assert phone.is_hidden("#cancel-dialog")
    assert Ticket.objects.get(pk=mine.pk).status == Status.WAITING
    phone.click("#cancel-open")
    phone.click("#cancel-confirm")
    phone.wait_for_selector("#cancel-done")
    assert Ticket.objects.get(pk=mine.pk).status == Status.CANCELLED
    assert phone.text_content("#status") == "已取消"
    assert phone.is_hidden("#cancel-box") and phone.is_hidden("#near")

    # another ticket is called: "轮到您了" is shown and buzzes
    other = tickets[1]
    call = pages.open(
        f"/t/{other.id}", width=390, height=844, is_mobile=True, has_touch=True, init_script=VIBRATION
    )
    call.tap("#number")
    call.wait_for_function("document.getElementById('conn').classList.contains('live')")
    time.sleep(0.3)
    off_thread(services.call_next, window(city, "2"))
    latency(lambda: call.is_visible("#turn"), timeout=2.0)
    assert "轮到您了" in (call.text_content("#turn") or "")
    call.wait_for_function("window.__buzzes.length >= 1")
    assert len(call.evaluate("window.__buzzes")[-1]) == 5
    pages.assert_no_console_errors()
