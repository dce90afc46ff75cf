"""What a review found and what now holds: staff never see the citizen's token and reach only the
conversations waiting for a person or claimed by them; a closed conversation takes no ticket,
booking or message, even through a stale object or a retried request; a handover that also asks
keeps the question."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from govhall.assistant import services
from govhall.assistant.models import Conversation, Message, Outcome, Sender, State
from govhall.assistant.tests.conftest import BIRTH
from govhall.guide.models import Question
from govhall.queueing.errors import Conflict
from govhall.queueing.models import Ticket

pytestmark = pytest.mark.django_db
API = "/api/v1/assistant"


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(API + path, body or {}, content_type="application/json")


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def waiting_talk() -> Conversation:
    talk = services.start()
    services.say(talk, "我的电话13812345678，孩子刚出生怎么上户口")
    services.hand_over(talk)
    return talk


def test_staff_never_see_the_token_and_a_colleague_cannot_read_or_post(
    town: Any, clerk_li: Any, clerk_zhou: Any, manager_wang: Any
) -> None:
    talk = waiting_talk()
    li, zhou, wang = signed_in(clerk_li), signed_in(clerk_zhou), signed_in(manager_wang)
    inbox = zhou.get(f"{API}/inbox")
    assert [i["id"] for i in inbox.json()] == [talk.pk]
    page = zhou.get("/manage/assistant/inbox")
    waiting = zhou.get(f"{API}/inbox/{talk.pk}")  # a waiting conversation: any staff may read it
    assert waiting.status_code == 200 and waiting.json()["state"] == "waiting"
    claimed = post(li, f"/inbox/{talk.pk}/claim")
    replied = post(li, f"/inbox/{talk.pk}/reply", {"text": "请带出生医学证明"})
    assert (claimed.status_code, replied.status_code) == (200, 201)
    before = Message.objects.count()
    refused = [
        zhou.get(f"{API}/inbox/{talk.pk}"),
        post(zhou, f"/inbox/{talk.pk}/claim"),
        post(zhou, f"/inbox/{talk.pk}/reply", {"text": "不用了，谢谢"}),
        post(zhou, f"/inbox/{talk.pk}/close", {"outcome": "abandoned"}),
    ]
    assert [r.status_code for r in refused] == [404] * 4
    assert all(r.json()["detail"] for r in refused)
    assert Message.objects.count() == before
    managed = wang.get(f"{API}/inbox/{talk.pk}")  # a manager may read any conversation
    assert managed.status_code == 200 and [m["sender"] for m in managed.json()["messages"]][-1] == "staff"
    for answer in (inbox, page, waiting, claimed, replied, managed, *refused, li.get(f"{API}/inbox")):
        assert talk.token not in answer.content.decode()
    # the citizen's endpoints still take the token, and staff calls do not accept it
    assert Client().get(f"{API}/conversations/{talk.token}").status_code == 200
    assert li.get(f"{API}/inbox/{talk.token}").status_code == 422
    assert li.get(f"{API}/inbox/{10**30}").status_code == 404
    assert Client().get(f"{API}/inbox/{talk.pk}").status_code == 401


def test_a_closed_conversation_takes_no_ticket_booking_or_new_outcome(town: Any) -> None:
    citizen = Client()
    token = post(citizen, "/conversations").json()["token"]
    post(citizen, f"/conversations/{token}/messages", {"text": "今天天气怎么样"})
    assert post(citizen, f"/conversations/{token}/close").json()["outcome"] == "abandoned"
    ticket = post(citizen, f"/conversations/{token}/ticket", {"hall": "qiao", "matter": BIRTH})
    booking = post(
        citizen,
        f"/conversations/{token}/booking",
        {"hall": "qiao", "matter": BIRTH, "slot": 1, "subject": "330102199001011234"},
    )
    assert (ticket.status_code, booking.status_code) == (409, 409)
    talk = Conversation.objects.get(token=token)
    assert (talk.state, talk.outcome, talk.ticket_id, talk.booking_code) == (
        State.CLOSED,
        "abandoned",
        "",
        "",
    )
    assert Ticket.objects.count() == 0


def test_a_stale_object_cannot_reopen_a_closed_conversation(town: Any, clerk_li: Any) -> None:
    talk = waiting_talk()
    services.claim(services.conversation_of(talk.token), clerk_li)
    stale = services.conversation_of(talk.token)
    citizen_stale = services.conversation_of(talk.token)
    window_stale = services.conversation_of(talk.token)
    services.end(services.conversation_of(talk.token))
    before = Message.objects.count()
    with pytest.raises(Conflict):
        services.reply(stale, clerk_li, "还在吗")
    with pytest.raises(Conflict):
        services.say(citizen_stale, "我还有个问题")
    services.take_ticket(window_stale, "qiao", BIRTH)  # the ticket stands, the outcome does not move
    assert Message.objects.count() == before
    talk.refresh_from_db()
    assert (talk.state, talk.outcome, talk.ticket_id, talk.staff_answered) == (
        State.CLOSED,
        Outcome.ABANDONED,
        "",
        False,
    )


def test_a_retried_ticket_with_one_key_is_announced_once(town: Any) -> None:
    talk = services.start()
    first, second = services.conversation_of(talk.token), services.conversation_of(talk.token)
    one = services.take_ticket(first, "qiao", BIRTH, "key-1")
    again = services.take_ticket(second, "qiao", BIRTH, "key-1")  # read before the first was recorded
    assert one.pk == again.pk and Ticket.objects.count() == 1
    said = Message.objects.filter(conversation=talk, sender=Sender.SYSTEM, payload__kind="ticket")
    assert said.count() == 1
    talk.refresh_from_db()
    assert (talk.outcome, talk.ticket_id) == (Outcome.WINDOW, one.pk)


def test_a_handover_that_also_asks_keeps_the_question(town: Any) -> None:
    talk = services.start()
    services.say(talk, "孩子刚出生怎么上户口，转人工")
    talk.refresh_from_db()
    assert (talk.state, talk.question) == (State.WAITING, "孩子刚出生怎么上户口，转人工")
    assert services.last_question(talk) == "孩子刚出生怎么上户口，转人工"
    assert list(Question.objects.filter(conversation=talk.token).values_list("source", flat=True)) == [
        "handoff"
    ]
    plain = services.start()
    services.say(plain, "帮我转人工，谢谢")
    plain.refresh_from_db()
    assert (plain.state, plain.question) == (State.WAITING, "")
