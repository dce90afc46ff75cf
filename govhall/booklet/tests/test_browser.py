"""The booklet in Debian's chromium: the page on screen, and the PDF it prints to."""

from __future__ import annotations

import os
from typing import Any

import pytest

from govhall.booklet import build, render
from govhall.web.tests.browser import Pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_booklet_prints_to_an_a5_pdf_page_per_group(demand: None, at_now: Any) -> None:
    from govhall.dashboard import pdf as printer

    if not os.path.exists(printer.CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make install adds it)")
    booklet = build.build(None, build.Options(top=50))
    document = render.pdf(booklet)
    assert document.startswith(b"%PDF-")
    pages = document.count(b"/Type /Page") - document.count(b"/Type /Pages")
    # cover, contents, then each group and the 一件事 section on pages of their own
    assert pages == 2 + len(booklet.sections) + 1
    assert document.count(b"/MediaBox [0 0 420 594.9") == pages  # A5: 148 × 210 mm


def test_the_page_on_screen_prints_and_switches_halls(pages: Pages, demand: None, at_now: Any) -> None:
    page = pages.open("/booklet/", width=1280, height=900)
    assert page.title() == "家里办一本通 · 全市"
    codes = page.locator(".entry .qr svg")
    assert codes.count() == 9
    box = codes.first.bounding_box()
    assert box is not None and box["width"] > 50 and abs(box["width"] - box["height"]) < 1
    page.select_option("#booklet-hall", label="白塔镇便民服务中心")
    page.wait_for_url("**/booklet/town/**")
    assert page.locator("#booklet .cover .scope").inner_text() == "白塔镇便民服务中心"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator(".booklet-actions").is_hidden()
    pages.assert_no_console_errors()
