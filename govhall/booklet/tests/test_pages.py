"""The public booklet pages, their PDF links and the manage list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from govhall.accounts.services import create_token
from govhall.booklet import render
from govhall.booklet.tests.conftest import BIRTH, CAR
from govhall.halls.models import Hall

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stands in for chromium (the real print is in test_pdf.py): records the pages it was given."""
    pages: list[str] = []

    def fake_pdf(booklet: Any) -> bytes:
        pages.append(render.html(booklet))
        return b"%PDF-1.4 booklet"

    cache.clear()
    monkeypatch.setattr(render, "pdf", fake_pdf)
    return pages


def manager(username: str, hall: str | None, role: str = "manager") -> Client:
    from django.contrib.auth import get_user_model

    create_token(username, hall_code=hall, role=role)
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def test_the_city_booklet_page(client: Client, demand: None, at_now: Any) -> None:
    response = client.get("/booklet/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-Hans">' in page and "<title>家里办一本通 · 全市</title>" in page
    assert "家里办一本通" in page and "2026年11月20日" in page
    assert 'href="#g-birth">出生</a>' in page and 'href="#g-bundles">一件事 一次办</a>' in page
    assert page.count('<li class="entry') == 6 + 3
    assert "宝宝刚出生，户口怎么上" in page and f'data-code="{BIRTH}"' in page
    assert "@page { size: A5;" in page
    assert 'href="/booklet/booklet.pdf"' in page and 'value="/booklet/town/"' in page


def test_a_hall_booklet_page_with_options(client: Client, demand: None, at_now: Any) -> None:
    response = client.get("/booklet/town/?top=2&paper=a4&bundles=0")
    assert response.status_code == 200
    page = response.content.decode()
    assert "白塔镇便民服务中心" in page and "paper-a4" in page and "@page { size: A4;" in page
    assert page.count('<li class="entry') == 2 and f'data-code="{CAR}"' not in page
    assert 'href="/booklet/town/booklet.pdf?top=2&amp;paper=a4&amp;bundles=0"' in page


def test_an_unknown_hall_is_404_and_bad_options_400(client: Client, demand: None) -> None:
    missing = client.get("/booklet/nowhere/")
    assert missing.status_code == 404 and "没有编码为 nowhere 的中心" in missing.content.decode()
    bad = client.get("/booklet/?top=many")
    assert bad.status_code == 400 and "参数 top 须为整数" in bad.content.decode()
    assert client.get("/booklet/nowhere/booklet.pdf").status_code == 404


def test_the_pdf_is_printed_once_and_then_served_from_the_cache(
    client: Client, demand: None, at_now: Any, printed: list[str]
) -> None:
    first = client.get("/booklet/town/booklet.pdf?paper=a4")
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert first.content.startswith(b"%PDF-")
    assert 'filename="booklet-town-a4-2026-11-20.pdf"' in first["Content-Disposition"]
    assert client.get("/booklet/town/booklet.pdf?paper=a4").content == first.content
    assert len(printed) == 1
    assert (
        "白塔镇便民服务中心" in printed[0] and "<link" not in printed[0] and "<script src" not in printed[0]
    )
    client.get("/booklet/booklet.pdf")  # another scope is another print
    assert len(printed) == 2
    client.get("/booklet/booklet.pdf?top=3")
    client.get("/booklet/booklet.pdf?top=3")  # odd counts are printed each time, never kept
    assert len(printed) == 4


def test_a_failed_print_is_a_503_with_the_reason(
    client: Client, demand: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()

    def broken(booklet: Any) -> bytes:
        raise RuntimeError("chromium not found at /nowhere")

    monkeypatch.setattr(render, "pdf", broken)
    response = client.get("/booklet/booklet.pdf")
    assert response.status_code == 503 and "chromium not found" in response.content.decode()


def test_the_manage_list_needs_a_login_and_shows_the_managers_scopes(demand: None) -> None:
    anonymous = Client().get("/manage/booklet/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    town_page = manager("manager_zhou", "town").get("/manage/booklet/").content.decode()
    assert 'href="/booklet/town/booklet.pdf?paper=a4"' in town_page
    assert 'data-scope="city"' not in town_page and "全市" not in town_page.split("<table>")[1]
    city_page = manager("admin_qian", None, "admin").get("/manage/booklet/").content.decode()
    assert 'href="/booklet/">查看' in city_page and 'href="/booklet/city/">查看' in city_page
    assert ">家里办一本通</a>" in city_page  # the manage navigation


def test_the_staff_role_may_not_open_the_manage_list(demand: None) -> None:
    Hall.objects.get(code="city")
    assert manager("clerk_wang", "city", "staff").get("/manage/booklet/").status_code == 403


def test_a_custom_print_never_waits_for_the_printer(
    client: Client, demand: None, at_now: Any, printed: list[str]
) -> None:
    """While another booklet prints, a custom one answers 503 at once (it would otherwise hold an
    HTTP thread for the whole print); the standard one is printed and kept once the printer is free."""
    cache.clear()
    with render._printing:  # another request is printing
        busy = client.get("/booklet/booklet.pdf?top=3")
    assert busy.status_code == 503 and "请稍后再试" in busy.content.decode()
    assert printed == []
    assert client.get("/booklet/booklet.pdf?top=3").status_code == 200
    assert len(printed) == 1
