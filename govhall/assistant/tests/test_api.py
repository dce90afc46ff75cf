"""/api/v1/assistant: the citizen's calls need only the conversation token, the staff calls a
bearer token or the staff session; every refusal is a 4xx with a reason and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from govhall.accounts.services import create_token
from govhall.assistant.models import Conversation, Message, State
from govhall.assistant.tests.conftest import BIRTH, FUND
from govhall.queueing.models import Ticket

pytestmark = pytest.mark.django_db
API = "/api/v1/assistant"


def post(client: Client, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(API + path, body or {}, content_type="application/json", headers=headers)


def test_a_citizen_asks_takes_a_ticket_and_ends(town: Any) -> None:
    citizen = Client()
    started = post(citizen, "/conversations", {"session": "phone-session-42"})
    assert started.status_code == 201
    token = started.json()["token"]
    assert [m["sender"] for m in started.json()["messages"]] == ["bot"]  # the greeting
    said = post(
        citizen,
        f"/conversations/{token}/messages",
        {"text": "租房子想提取公积金", "lat": 29.87, "lon": 121.55},
    )
    assert said.status_code == 201
    body = said.json()
    assert [m["sender"] for m in body["messages"]] == ["citizen", "bot"]
    card = body["messages"][1]["payload"]
    assert card["kind"] == "answer" and card["matter"]["code"] == FUND
    assert card["results"][0]["route"]["channel"] == "app"
    since = body["messages"][-1]["id"]
    assert citizen.get(f"{API}/conversations/{token}", {"since": since}).json()["messages"] == []

    ticket = post(
        citizen,
        f"/conversations/{token}/ticket",
        {"hall": "qiao", "matter": BIRTH},
        **{"Idempotency-Key": "k1"},
    )
    assert ticket.status_code == 201 and ticket.json()["channel"] == "remote"
    again = post(
        citizen,
        f"/conversations/{token}/ticket",
        {"hall": "qiao", "matter": BIRTH},
        **{"Idempotency-Key": "k1"},
    )
    assert again.status_code == 200 and again.json()["id"] == ticket.json()["id"]
    closed = post(citizen, f"/conversations/{token}/close")
    assert (closed.json()["state"], closed.json()["outcome"], closed.json()["ticket"]) == (
        "closed",
        "window",
        ticket.json()["id"],
    )
    refused = post(citizen, f"/conversations/{token}/messages", {"text": "还有问题"})
    assert refused.status_code == 409 and "会话已结束" in refused.json()["detail"]


def test_bad_input_gets_a_reason_and_changes_nothing(town: Any) -> None:
    citizen = Client()
    token = post(citizen, "/conversations").json()["token"]
    before = Message.objects.count()
    cases = [
        (f"/conversations/{token}/messages", {"text": "   "}, 422),
        (f"/conversations/{token}/messages", {"text": "x" * 600}, 422),
        (f"/conversations/{token}/messages", {"text": "补领", "choice": {"matter": "NOPE"}}, 422),
        (f"/conversations/{token}/messages", {"text": "a", "lat": 200}, 422),
        ("/conversations/not-a-real-token-123/messages", {"text": "你好"}, 404),
        (f"/conversations/{token}/ticket", {"hall": "nowhere", "matter": BIRTH}, 404),
        (f"/conversations/{token}/ticket", {"hall": "city", "matter": FUND}, 422),  # not handled there
    ]
    for path, body, status in cases:
        answer = post(citizen, path, body)
        assert answer.status_code == status, (path, body, answer.content)
        assert answer.json()["detail"]
    assert Message.objects.count() == before and Ticket.objects.count() == 0


def test_staff_calls_need_staff_and_a_claim_is_won_once(town: Any, clerk_li: Any, clerk_zhou: Any) -> None:
    citizen = Client()
    token = post(citizen, "/conversations").json()["token"]
    post(citizen, f"/conversations/{token}/messages", {"text": "孩子刚出生怎么上户口"})
    handed = post(citizen, f"/conversations/{token}/handoff")
    assert handed.json()["state"] == "waiting"
    assert citizen.get(f"{API}/inbox").status_code == 401
    key = Conversation.objects.get(token=token).pk
    assert post(citizen, f"/inbox/{key}/claim").status_code == 401
    create_token("nobody_in_particular", hall_code=None, role="staff")
    li = {"Authorization": f"Bearer {create_token('clerk_li', hall_code='city', role='staff')}"}
    zhou = {"Authorization": f"Bearer {create_token('clerk_zhou', hall_code='city', role='staff')}"}
    desk = Client()
    inbox = desk.get(f"{API}/inbox", headers=li).json()
    assert [(i["id"], i["state"], i["question"]) for i in inbox] == [(key, "waiting", "孩子刚出生怎么上户口")]
    assert post(desk, f"/inbox/{key}/claim", **li).json()["staff"] == "李** (工号 A017)"
    lost = post(desk, f"/inbox/{key}/claim", **zhou)
    assert lost.status_code == 404 and "其他工作人员接入" in lost.json()["detail"]
    assert post(desk, f"/inbox/{key}/reply", {"text": "我来答"}, **zhou).status_code == 404
    answered = post(desk, f"/inbox/{key}/reply", {"text": "请带出生医学证明"}, **li)
    assert answered.status_code == 201 and answered.json()["staff"] == "李** (工号 A017)"
    quick = desk.get(f"{API}/quick-replies", {"q": "公积金"}, headers=li).json()
    assert quick[0]["code"] == FUND and "租赁合同" in quick[0]["text"]
    closed = post(desk, f"/inbox/{key}/close", {"outcome": "staff"}, **li)
    assert (closed.json()["state"], closed.json()["outcome"]) == ("closed", "staff")
    stats = desk.get(f"{API}/stats", {"weeks": 2}, headers=li).json()
    assert stats["goal"] == {"bot": 0.6, "staff": 0.3, "window": 0.1}
    assert stats["weeks"][0]["staff"] == 1 and stats["open"]["waiting"] == 0
    assert Conversation.objects.get(token=token).state == State.CLOSED


def test_the_openapi_document_lists_the_assistant(town: Any) -> None:
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/assistant/conversations", "/api/v1/assistant/inbox", "/api/v1/assistant/stats"} <= set(
        paths
    )
