"""The booklet as a self-contained print page and as PDF (printed by chromium the way the dashboard
prints its reports), with the PDF cached: a public link must not start a browser on every click."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from django.core.cache import cache as django_cache
from django.template.loader import render_to_string

from govhall.booklet.build import Booklet, Options
from govhall.catalog.queries import catalog_version

CSS = Path(__file__).resolve().parent / "static" / "booklet" / "booklet.css"
PAGE_SIZES = {"a5": "A5", "a4": "A4"}
PDF_CACHE_SECONDS = 3600
# One print at a time per process: a standard booklet waits (then finds the cached PDF), a custom
# one does not wait at all, so a few odd requests can never hold every HTTP thread of a process.
_printing = threading.Lock()
STANDARD_WAIT_SECONDS = 30.0


class PrinterBusy(Exception):
    """Another booklet is being printed in this process right now."""


@cache
def _css() -> str:
    return CSS.read_text(encoding="utf-8")


def context(booklet: Booklet) -> dict[str, Any]:
    return {"booklet": booklet, "page_size": PAGE_SIZES[booklet.options.paper]}


def html(booklet: Booklet) -> str:
    """The print page: styles inline, the QR codes inline SVG, nothing loaded from anywhere."""
    return render_to_string("booklet/print.html", {**context(booklet), "inline_css": _css()})


def pdf(booklet: Booklet) -> bytes:
    from govhall.dashboard import pdf as printer

    return printer.print_html(html(booklet), css_page_size=True)


def _cache_key(booklet: Booklet) -> str:
    o = booklet.options
    count, newest = catalog_version()
    raw = f"{booklet.scope}|{o.top}|{o.bundles}|{o.days}|{o.paper}|{booklet.day}|{count}|{newest}"
    return "booklet:pdf:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_pdf(booklet: Booklet) -> bytes:
    """Only the standard booklets (default counts, either paper) are kept: a cache entry per
    arbitrary `top` would let anyone fill the memory with megabyte PDFs."""
    standard = replace(booklet.options, paper=Options().paper) == Options()
    key = _cache_key(booklet)
    if standard and (found := django_cache.get(key)) is not None:
        return bytes(found)
    if not _printing.acquire(timeout=STANDARD_WAIT_SECONDS if standard else 0):
        raise PrinterBusy("正在打印另一本手册，请稍后再试 (the printer is busy, try again shortly)")
    try:
        found = django_cache.get(key) if standard else None
        if found is None:
            found = pdf(booklet)
            if standard:
                django_cache.set(key, found, PDF_CACHE_SECONDS)
    finally:
        _printing.release()
    return bytes(found)
