"""The manage pages of 政小云: weekly shares against 60/30/10 (with the demo history) and the inbox,
for staff and up only."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.test import Client

from govhall import clock
from govhall.assistant import demo, queries
from govhall.assistant.models import Conversation, State
from govhall.assistant.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    return client


def test_the_demo_history_fills_the_weekly_shares_and_loads_twice_the_same(town: Any, clerk_li: Any) -> None:
    now = clock.now()
    demo.load(random.Random("jianglan-assistant"), now)
    first = Conversation.objects.count()
    demo.load(random.Random("jianglan-assistant"), now)
    assert Conversation.objects.count() == first > 28 * 12
    weeks = queries.weekly_shares(5, now=now)
    full = [w for w in weeks if w["solved"] > 50]
    assert len(full) >= 3
    for week in full:
        assert 0.4 < week["shares"]["bot"] < 0.8 and 0.1 < week["shares"]["staff"] < 0.45
        assert abs(sum(week["shares"].values()) - 1) < 0.01
    assert queries.open_counts()[State.WAITING] == 2

    page = signed_in(clerk_li).get("/manage/assistant/")
    html = page.content.decode()
    assert page.status_code == 200 and "政小云" in html and full[0]["week"] in html
    assert f"{round(full[0]['shares']['bot'] * 100)}%" in html
    assert "等待人工 <b>2</b> 个" in html
    inbox = signed_in(clerk_li).get("/manage/assistant/inbox").content.decode()
    assert inbox.count('data-state="waiting"') == 2


def test_the_pages_are_for_staff_only(town: Any) -> None:
    for path in ("/manage/assistant/", "/manage/assistant/inbox"):
        answer = Client().get(path)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
