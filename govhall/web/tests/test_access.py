from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db


def test_anonymous_manage_visit_goes_to_the_one_login_page_and_back() -> None:
    client = Client()
    response = client.get("/manage/halls/hall/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert "/manage/halls/hall/" in response["Location"]


def test_login_form_returns_to_next() -> None:
    get_user_model().objects.create_superuser("admin_zhao", "a@example.invalid", "pw-123456")
    client = Client()
    page = client.get("/accounts/login/?next=/manage/")
    assert (
        page.status_code == 200 and b'name="username"' in page.content and b'name="password"' in page.content
    )
    response = client.post(
        "/accounts/login/", {"username": "admin_zhao", "password": "pw-123456", "next": "/manage/"}
    )
    assert response.status_code == 302 and response["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_pages_are_chinese_whatever_the_browser_asks() -> None:
    client = Client()
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert page.status_code == 200
    assert b'<html lang="zh-Hans">' in page.content and b"<title>" in page.content
