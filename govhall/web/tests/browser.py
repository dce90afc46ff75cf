"""Browser-test plumbing: the ASGI app (HTTP + WebSockets) under uvicorn in a thread against the
test database, and Debian's chromium through Playwright with console errors collected."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def asgi_server(django_db_setup: None) -> Iterator[str]:
    """`govhall.asgi:application` served by uvicorn in this process, so it sees the test database
    (live_server is WSGI-only and has no WebSockets)."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        "govhall.asgi:application",
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test ASGI server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make install adds it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between page steps are still plain synchronous code.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


class Pages:
    """Opens pages on the test server in fresh contexts and keeps every console error."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.errors: list[str] = []
        self.contexts: list[Any] = []

    def open(
        self, path: str, *, width: int = 1920, height: int = 1080, init_script: str = "", **options: Any
    ) -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": height},
            locale="en-US",  # the pages stay Chinese whatever the browser asks
            **options,
        )
        self.contexts.append(context)
        page = context.new_page()
        if init_script:
            page.add_init_script(init_script)
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.set_default_timeout(5000)
        page.goto(path)
        return page

    def assert_no_console_errors(self) -> None:
        assert self.errors == [], self.errors

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(transactional_db: None, asgi_server: str, chromium: Any) -> Iterator[Pages]:
    opened = Pages(chromium, asgi_server)
    yield opened
    opened.close()
