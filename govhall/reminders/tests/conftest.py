"""Named actors for reminders: a city manager, a hall manager, invented holders, a fake gateway."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from govhall.accounts.services import create_token
from govhall.reminders.fakegateway import FakeGateway
from govhall.reminders.formats import write_csv
from govhall.web.tests.browser import asgi_server, chromium, pages  # noqa: F401  (browser fixtures)

PASSWORD = "pw-reminders-123"
# 2026-03-02 10:00 in Shanghai: a Monday morning, outside quiet hours.
MORNING = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)


def holder_rows(
    count: int, *, first_expiry: dt.date, type_name: str = "居民身份证", start: int = 0
) -> list[dict[str, str]]:
    """Invented holders: ID-like numbers 3301001990…, phones 1380000xxxx."""
    return [
        {
            "holder": f"测试{i:04d}",
            "type": type_name,
            "number": f"33010019900101{i:04d}",
            "expires_on": (first_expiry + dt.timedelta(days=i % 5)).isoformat(),
            "phone": f"1380000{i:04d}",
            "subject": "",
        }
        for i in range(start, start + count)
    ]


def csv_of(rows: list[dict[str, str]]) -> bytes:
    return write_csv(rows)


def user(username: str, role: str, hall: str | None = None) -> tuple[Any, str]:
    token = create_token(username, hall_code=hall, role=role)
    account = get_user_model().objects.get(username=username)
    account.set_password(PASSWORD)
    account.save()
    return account, token


@pytest.fixture
def city_manager_zhang(db: None) -> tuple[Any, str]:
    """审管办: a manager with city scope."""
    return user("manager_zhang", "manager")


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    fake = FakeGateway().start()
    monkeypatch.setenv("GOVHALL_SMS_GATEWAY_URL", fake.url)
    yield fake
    fake.close()
