"""Screenshots of the hall-floor pages against the demo city, into docs/screenshots/*.png.

A fresh SQLite database under a temporary directory gets the demo city (`govhall demo load`),
a morning's worth of live queue made through the HTTP API (tickets in every zone of 江澜市民中心,
calls at several windows), then one `uvicorn govhall.asgi:application` and Debian's chromium
take each page at the size it is used at.

    .venv/bin/python bench/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
GOVHALL = str(ROOT / ".venv" / "bin" / "govhall")
HALL = "jianglan"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# speech that works silently: the screen shows no "tap for sound" control in the picture
QUIET_SPEECH = """
Object.defineProperty(window, "speechSynthesis", { configurable: true, value: {
  speak(u) { setTimeout(() => u.onend && u.onend({}), 10); }, getVoices() { return []; },
  addEventListener() {}, cancel() {} } });
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([GOVHALL, *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def live_queue(base: str, token: str) -> dict[str, Any]:
    """Tickets in every zone and calls at a few windows, as on a busy morning."""
    page = httpx.get(f"{base}/halls/{HALL}/kiosk", timeout=30).text
    found = re.search(r'<script id="kiosk-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "the kiosk page carries its data"
    data = json.loads(found.group(1))
    rng = random.Random(7)
    by_zone: dict[str, list[str]] = {}
    for m in data["matters"]:
        by_zone.setdefault(m["zone"], []).append(m["code"])
    staff = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        issued = []
        for round_ in range(7):
            for zone, codes in by_zone.items():
                if round_ >= (7 if zone in "ABD" else 3):
                    continue
                r = client.post(
                    f"/api/v1/halls/{HALL}/tickets",
                    json={"matter": rng.choice(codes), "priority": 1 if rng.random() < 0.08 else 0},
                )
                r.raise_for_status()
                issued.append(r.json())
        called = []
        for window in ("1", "2", "3", "6", "8", "11", "15", "19"):
            r = client.post(f"/api/v1/halls/{HALL}/windows/{window}/call-next", headers=staff)
            if r.status_code == 200:
                called.append(r.json())
        for ticket in called[:5]:
            client.post(f"/api/v1/tickets/{ticket['id']}/start", headers=staff)
        # the console's window: a ticket just called, with its guide
        r = client.post(f"/api/v1/halls/{HALL}/windows/5/call-next", headers=staff)
        r.raise_for_status()
        for ticket in called[-2:]:
            client.post(f"/api/v1/tickets/{ticket['id']}/recall", headers=staff)
        waiting = [client.get(f"/api/v1/tickets/{t['id']}").json() for t in issued]
    near = next(t for t in waiting if t["status"] == "waiting" and t["position"] == 2)
    return {"phone": near, "print": waiting[-1], "console_window": "5"}


def shoot(base: str, out: Path, state: dict[str, Any]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    made = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        def page_at(width: int, height: int, **options: Any) -> Any:
            context = browser.new_context(
                base_url=base, viewport={"width": width, "height": height}, locale="zh-CN", **options
            )
            context.add_init_script(QUIET_SPEECH)
            return context.new_page()

        def save(page: Any, name: str, full_page: bool = False) -> None:
            time.sleep(0.6)  # fonts and the first live update
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=full_page)
            made.append(path)

        kiosk = page_at(1080, 1920)
        kiosk.goto(f"/halls/{HALL}/kiosk")
        save(kiosk, "kiosk")
        kiosk.goto(f"/halls/{HALL}/kiosk?mode=elderly")
        kiosk.click("#priority")
        save(kiosk, "kiosk-elderly")

        screen = page_at(1920, 1080)
        screen.goto(f"/halls/{HALL}/display")
        screen.wait_for_function("document.getElementById('conn').classList.contains('live')")
        save(screen, "display")

        console = page_at(1920, 1080)
        console.goto(f"/halls/{HALL}/windows/{state['console_window']}")
        console.fill("input[name=username]", "staff_li")
        console.fill("input[name=password]", "demo1234")
        console.click("button[type=submit]")
        console.wait_for_url(f"**/halls/{HALL}/windows/{state['console_window']}")
        save(console, "console")

        phone = page_at(390, 844, is_mobile=True, has_touch=True, device_scale_factor=2)
        phone.goto(f"/t/{state['phone']['id']}")
        save(phone, "phone")

        receipt = page_at(420, 900)
        receipt.goto(f"/halls/{HALL}/tickets/{state['print']['id']}/print")
        save(receipt, "print", full_page=True)
        browser.close()
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="govhall-shots-"))
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env["DATABASE_URL"] = f"sqlite:///{tmp / 'demo.sqlite3'}"
    print("loading the demo city …", file=sys.stderr)
    run(["migrate", "--noinput"], env)
    run(["demo", "load"], env)
    token = (
        run(["tokens", "create", "--username", "screenshots", "--hall", HALL], env).strip().splitlines()[-1]
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "govhall.asgi:application",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(base, server)
        state = live_queue(base, token)
        for path in shoot(base, out, state):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
