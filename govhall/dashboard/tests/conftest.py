"""Browser fixtures shared with the hall-floor tests (uvicorn in a thread, Debian's chromium)."""

from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401
