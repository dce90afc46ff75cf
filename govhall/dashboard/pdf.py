"""A report as PDF: its print page (the same template and ECharts charts as on screen, with the
scripts inlined) printed by Debian's chromium through Playwright."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from govhall.dashboard.models import Report

CHROMIUM = os.environ.get("GOVHALL_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-sync",
]
READY_TIMEOUT_MS = 20000


@cache
def _static(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(f"static file {path} is missing (run make install)")
    return Path(str(found)).read_text(encoding="utf-8")


def html(report: Report) -> str:
    """The self-contained print page (nothing loaded from anywhere)."""
    return render_to_string(
        "dashboard/report_print.html",
        {
            "report": report,
            "data": report.data,
            "inline_css": _static("dashboard/report.css"),
            "inline_js": _static("vendor/echarts/echarts.min.js") + "\n" + _static("dashboard/report.js"),
        },
    )


def _print(page_html: str, css_page_size: bool = False) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1123, "height": 794})
            page.set_content(page_html, wait_until="load")
            page.wait_for_function("window.__reportReady === true", timeout=READY_TIMEOUT_MS)
            return page.pdf(
                format="A4",
                prefer_css_page_size=css_page_size,
                print_background=True,
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=(
                    '<div style="font-size:8px;width:100%;text-align:center;color:#666">'
                    '第 <span class="pageNumber"></span> 页 / 共 <span class="totalPages"></span> 页</div>'
                ),
            )
        finally:
            browser.close()


def print_html(page_html: str, *, css_page_size: bool = False) -> bytes:
    """PDF bytes of a self-contained print page that sets `window.__reportReady`; A4 unless
    `css_page_size` lets the page's `@page { size }` decide. Printed in a thread of its own, as
    Playwright's sync API refuses to run inside an event loop (the ASGI server's, or a test's)."""
    if not os.path.exists(CHROMIUM):
        raise RuntimeError(f"chromium not found at {CHROMIUM} (make install adds it)")
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_print, page_html, css_page_size).result()


def render(report: Report) -> bytes:
    return print_html(html(report))
