"""Two chromium pages, the village point and the city's online window, with fake cameras: a remote
ticket is taken at the point, called at the window, video connects both ways peer to peer, a
material is uploaded and seen, chat crosses, and the window finishes the ticket.

The issue asks that the peer connection can only ever use loopback: the outer test re-runs the
inner one under `unshare -rn` (a new user and network namespace whose only interface is `lo`),
and the pages use `iceServers: []`. Inside the namespace there is no PostgreSQL or Redis, so the
inner run uses the embedded SQLite database and the in-memory channel layer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govhall.web.tests.browser import CHROMIUM, CHROMIUM_ARGS, Pages

pytestmark = pytest.mark.browser
IN_NAMESPACE = os.environ.get("GOVHALL_LOOPBACK_NETNS") == "1"
MEDIA_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def interfaces() -> list[str]:
    """This network namespace's interfaces (/proc/self/net follows the namespace; /sys may not)."""
    lines = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return sorted(line.split(":", 1)[0].strip() for line in lines)


def namespace_command() -> list[str] | None:
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    if unshare is None or not os.path.exists(ip):
        return None
    for flags in (["-rn"], ["-n"]):
        probe = subprocess.run(
            [unshare, *flags, ip, "link", "set", "lo", "up"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return [unshare, *flags]
    return None


@pytest.mark.skipif(IN_NAMESPACE, reason="the outer half only")
def test_video_session_runs_in_a_loopback_only_namespace() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    command = namespace_command()
    if command is None:
        pytest.skip("no network namespace on this machine (unshare -rn and unshare -n both fail)")
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PYTEST_XDIST_WORKER")
    }
    env["GOVHALL_LOOPBACK_NETNS"] = "1"
    env["GOVHALL_TEST_RUN"] = f"netns-{os.getpid()}"  # its own SQLite test database, never ours
    here = Path(__file__)
    inner = str(here)  # the outer test skips itself in there
    script = f'ip link set lo up && exec "{sys.executable}" -m pytest -o addopts="" -q -p no:cacheprovider -p no:randomly -p no:xdist "{inner}"'
    result = subprocess.run(
        [*command, "sh", "-c", script], env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout, result.stdout[-2000:]


@pytest.fixture(scope="module")
def media_chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS + MEDIA_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


def log_in(page: Any, username: str) -> None:
    from govhall.remotehelp.tests.conftest import PASSWORD

    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def start(pages: Pages, village_script: str = "") -> tuple[Any, Any, Any, Any]:
    """Assistant Chen takes a remote ticket at the point; clerk Wang calls it in the console and
    accepts it on the remote page. Returns (village page, window page, session, ticket)."""
    from govhall.queueing.models import Ticket
    from govhall.remotehelp.models import RemoteSession

    options = {"permissions": ["camera", "microphone"]}
    village = pages.open("/points/xiaocun/help", init_script=village_script, **options)
    log_in(village, "assistant_chen")
    village.wait_for_url("**/points/xiaocun/help")
    assert "远程帮办" in village.title()
    village.select_option("#rh-hall", "city")
    village.click("#rh-take")
    village.wait_for_url("**/remotehelp/sessions/*")
    session = RemoteSession.objects.get()
    ticket = Ticket.objects.get(pk=session.ticket_id)
    assert (ticket.channel, ticket.status) == ("remote", "waiting")
    # an ordinary ticket: the online window calls it in its console, then accepts it for video
    window = pages.open("/halls/city/windows/9", **options)
    log_in(window, "clerk_wang")
    window.wait_for_url("**/halls/city/windows/9")
    window.click("[data-action=call-next]")
    window.wait_for_selector(f"#current-number:text('{ticket.number}')")
    window.goto("/halls/city/windows/9/remote")
    window.click(f"tr[data-session='{session.pk}'] button")
    window.wait_for_url(f"**/remotehelp/sessions/{session.pk}")
    return village, window, session, ticket


FRAMES = """async () => {
    const stats = await window.rhPeer.getStats();
    let frames = 0;
    stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0; });
    return frames;
}"""


def receives_video(page: Any) -> None:
    page.wait_for_function("window.rhPeer && window.rhPeer.connectionState === 'connected'", timeout=20000)
    page.wait_for_function(f"({FRAMES})().then((n) => n > 0)", timeout=15000)
    page.wait_for_function("document.getElementById('rh-remote').videoWidth > 0", timeout=10000)
    # playing, not just loaded (autoplay falls back to muted rather than a black frame)
    page.wait_for_function(
        "(v => !v.paused && v.currentTime > 0)(document.getElementById('rh-remote'))", timeout=10000
    )


@pytest.mark.skipif(not IN_NAMESPACE, reason="runs inside the loopback-only namespace (see above)")
def test_point_and_window_connect_by_video(
    transactional_db: None,
    asgi_server: str,
    media_chromium: Any,
    tmp_path: Path,
    point: Any,
    city: Any,
    assistant_chen: Any,
    clerk_wang: Any,
) -> None:
    assert interfaces() == ["lo"], "not in a loopback-only namespace"
    pages = Pages(media_chromium, asgi_server)
    try:
        village, window, session, ticket = start(pages)
        # video both ways: connected, frames decoded and playing on each side
        for page in (window, village):
            receives_video(page)
            pairs = page.evaluate(
                """async () => { const out = []; (await window.rhPeer.getStats()).forEach((r) => {
                     if (r.type === 'remote-candidate' || r.type === 'local-candidate') out.push(r.address || r.ip || ''); });
                     return out; }"""
            )
            assert pairs and all(
                a in ("127.0.0.1", "::1") or a.endswith(".local") or a == "" for a in pairs
            ), pairs
        assert window.text_content("#rh-conn") == "已连接"

        # a material from the point appears beside the video at the window
        scan = tmp_path / "户口簿首页.png"
        scan.write_bytes(PNG)
        village.set_input_files("#rh-file", str(scan))
        village.click("#rh-upload")
        village.wait_for_url(f"**/remotehelp/sessions/{session.pk}")
        window.wait_for_selector("#rh-materials img[alt='户口簿首页.png']")
        assert window.text_content("#rh-material-count") == "1"

        # chat crosses both ways
        window.fill("#rh-chat-text", "请把户口簿首页再拍清楚一些")
        window.press("#rh-chat-text", "Enter")
        village.wait_for_selector("#rh-chat li.window:has-text('请把户口簿首页再拍清楚一些')")
        village.wait_for_function(
            "window.rhPeer && window.rhPeer.connectionState === 'connected'", timeout=20000
        )
        village.fill("#rh-chat-text", "好的，已经重新上传")
        village.press("#rh-chat-text", "Enter")
        window.wait_for_selector("#rh-chat li.point:has-text('好的，已经重新上传')")

        # the window finishes: the ticket is served, both pages show the outcome
        window.click("#rh-finish")
        window.wait_for_selector("#rh-outcome:text('已办结')")
        village.wait_for_selector("#rh-outcome:text('已办结')", timeout=10000)
        ticket.refresh_from_db()
        session.refresh_from_db()
        assert ticket.status == "served" and (session.status, session.outcome) == ("closed", "done")
        history = window.text_content("#rh-history") or ""
        assert "上传材料：户口簿首页.png" in history and "结束" in history
        pages.assert_no_console_errors()
    finally:
        pages.close()


@pytest.mark.skipif(not IN_NAMESPACE, reason="runs inside the loopback-only namespace (see above)")
def test_a_point_without_camera_still_sees_the_clerk_and_chats(
    transactional_db: None,
    asgi_server: str,
    media_chromium: Any,
    point: Any,
    city: Any,
    assistant_chen: Any,
    clerk_wang: Any,
) -> None:
    no_camera = """navigator.mediaDevices.getUserMedia = () =>
        Promise.reject(new DOMException('Requested device not found', 'NotFoundError'));"""
    pages = Pages(media_chromium, asgi_server)
    try:
        village, window, _session, ticket = start(pages, village_script=no_camera)
        assert "未能打开摄像头" in (village.text_content("#rh-notice") or "")
        receives_video(village)  # receive-only at the point: the clerk is still seen
        window.wait_for_function("window.rhPeer.connectionState === 'connected'", timeout=20000)
        village.fill("#rh-chat-text", "这里没有摄像头，材料我拍照上传")
        village.press("#rh-chat-text", "Enter")
        window.wait_for_selector("#rh-chat li.point:has-text('这里没有摄像头')")
        window.select_option("#rh-outcome-select", "unfinished")
        window.click("#rh-finish")
        village.wait_for_selector("#rh-outcome:text('未办结')", timeout=10000)
        ticket.refresh_from_db()
        assert ticket.status == "served"
        pages.assert_no_console_errors()
    finally:
        pages.close()
