"""The WebSockets: a citizen's socket gets staff answers live and resumes with `since`; the inbox
socket is for staff only and lists a new handover."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from govhall.asgi import application
from govhall.assistant import services
from govhall.assistant.tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def cookie_of(user: Any) -> list[tuple[bytes, bytes]]:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    return [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://testserver"),
    ]


async def receive(socket: WebsocketCommunicator, kind: str, timeout: float = 3) -> dict[str, Any]:
    while True:
        message = json.loads(await socket.receive_from(timeout=timeout))
        if message["type"] == kind:
            return message  # type: ignore[no-any-return]


async def test_the_citizen_sees_the_staff_answer_live_and_resumes_after_it(clerk_li: Any) -> None:
    talk = await sync_to_async(services.start)()
    await sync_to_async(services.hand_over)(talk)
    last = await sync_to_async(services.last_message_id)(talk.pk)
    phone = WebsocketCommunicator(application, f"/ws/assistant/{talk.token}/?since={last}")
    assert (await phone.connect())[0]
    assert (await receive(phone, "state"))["state"] == "waiting"
    await sync_to_async(services.claim)(talk, clerk_li)
    claimed = await receive(phone, "message")
    assert claimed["message"]["text"] == "工作人员 李** (工号 A017) 为您服务"
    assert (await receive(phone, "state"))["staff"] == "李** (工号 A017)"
    talk = await sync_to_async(services.conversation_of)(talk.token)
    await sync_to_async(services.reply)(talk, clerk_li, "您好，请问孩子在哪家医院出生？")
    answer = await receive(phone, "message")
    assert (answer["message"]["sender"], answer["message"]["staff"]) == ("staff", "李** (工号 A017)")
    await phone.disconnect()
    # a reconnect with since= gets only what came after
    again = WebsocketCommunicator(
        application, f"/ws/assistant/{talk.token}/?since={claimed['message']['id']}"
    )
    assert (await again.connect())[0]
    assert (await receive(again, "message"))["message"]["id"] == answer["message"]["id"]
    await again.disconnect()


async def test_the_inbox_socket_is_for_staff_and_shows_a_new_handover(clerk_li: Any) -> None:
    stranger = WebsocketCommunicator(
        application, "/ws/assistant/inbox/", headers=[(b"origin", b"http://testserver")]
    )
    connected, code = await stranger.connect()
    assert not connected or code == 4403
    await stranger.disconnect()
    desk = WebsocketCommunicator(
        application, "/ws/assistant/inbox/", headers=await sync_to_async(cookie_of)(clerk_li)
    )
    assert (await desk.connect())[0]
    assert (await receive(desk, "inbox"))["items"] == []
    talk = await sync_to_async(services.start)()
    await sync_to_async(services.hand_over)(talk)
    items = (await receive(desk, "inbox"))["items"]
    assert [(i["id"], i["state"]) for i in items] == [(talk.pk, "waiting")]
    await desk.disconnect()
    missing = WebsocketCommunicator(application, "/ws/assistant/no-such-conversation/")
    connected, code = await missing.connect()
    assert not connected or code == 4404
    await missing.disconnect()


async def test_a_socket_stops_after_the_close_and_takes_only_ascii_digits_for_since() -> None:
    talk = await sync_to_async(services.start)()
    phone = WebsocketCommunicator(application, f"/ws/assistant/{talk.token}/?since=%C2%B2")  # "²"
    assert (await phone.connect())[0]
    assert (await receive(phone, "message"))["message"]["sender"] == "bot"  # from 0: the greeting
    assert (await receive(phone, "state"))["state"] == "bot"
    await sync_to_async(services.end)(talk)
    assert (await receive(phone, "message"))["message"]["payload"]["kind"] == "closed"
    assert (await receive(phone, "state"))["state"] == "closed"
    assert (await phone.receive_output(timeout=3)) == {"type": "websocket.close", "code": 1000}
    await phone.disconnect()


async def test_the_staff_socket_is_by_id_for_the_claimer_only(clerk_li: Any, clerk_zhou: Any) -> None:
    talk = await sync_to_async(services.start)()
    await sync_to_async(services.hand_over)(talk)
    await sync_to_async(services.claim)(talk, clerk_li)
    path = f"/ws/assistant/staff/{talk.pk}/"
    colleague = WebsocketCommunicator(application, path, headers=await sync_to_async(cookie_of)(clerk_zhou))
    connected, code = await colleague.connect()
    assert not connected and code == 4404
    await colleague.disconnect()
    desk = WebsocketCommunicator(application, path, headers=await sync_to_async(cookie_of)(clerk_li))
    assert (await desk.connect())[0]
    seen = []
    while (state := await receive_any(desk))["type"] != "state":
        seen.append(state)
    assert state["state"] == "staff" and talk.token not in json.dumps(seen)
    await desk.disconnect()


async def test_the_inbox_socket_closes_when_its_user_may_no_longer_serve(clerk_li: Any) -> None:
    from govhall.accounts.models import Membership

    desk = WebsocketCommunicator(
        application, "/ws/assistant/inbox/", headers=await sync_to_async(cookie_of)(clerk_li)
    )
    assert (await desk.connect())[0]
    assert (await receive(desk, "inbox"))["items"] == []
    await sync_to_async(Membership.objects.filter(user=clerk_li).delete)()
    assert (await desk.receive_output(timeout=3)) == {"type": "websocket.close", "code": 4403}
    await desk.disconnect()


async def receive_any(socket: WebsocketCommunicator) -> dict[str, Any]:
    return json.loads(await socket.receive_from(timeout=3))  # type: ignore[no-any-return]
