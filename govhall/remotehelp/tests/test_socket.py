"""The session WebSocket: only the two sides get in; signalling goes to the other side only; chat
is stored and reaches both."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from govhall.asgi import application
from govhall.queueing import services as queue
from govhall.remotehelp import services
from govhall.remotehelp.models import RemoteSession, SessionEvent
from govhall.remotehelp.tests.conftest import HUKOU, PASSWORD
from govhall.testing import window

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def cookie_of(user: Any) -> list[tuple[bytes, bytes]]:
    client = Client()
    assert client.login(username=user.get_username(), password=PASSWORD)
    session = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={session}".encode()), (b"origin", b"http://testserver")]


@pytest.fixture
def open_session(point: Any, city: Any, assistant_chen: Any, clerk_wang: Any) -> RemoteSession:
    session, _ = services.take_ticket(point, HUKOU, "city", assistant_chen)
    queue.call_next(window(city, "9"), actor=clerk_wang)
    return services.accept(session, window(city, "9"), clerk_wang)


async def receive(socket: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    return json.loads(await socket.receive_from(timeout=timeout))  # type: ignore[no-any-return]


async def test_signalling_and_chat_between_the_two_sides(
    open_session: RemoteSession, assistant_chen: Any, clerk_wang: Any
) -> None:
    path = f"/ws/remotehelp/{open_session.pk}/"
    point = WebsocketCommunicator(application, path, headers=await sync_to_async(cookie_of)(assistant_chen))
    desk = WebsocketCommunicator(application, path, headers=await sync_to_async(cookie_of)(clerk_wang))
    assert (await point.connect())[0] and (await desk.connect())[0]
    assert (await receive(point))["side"] == "point"
    assert (await receive(desk))["side"] == "window"
    await desk.send_to(
        text_data=json.dumps({"type": "signal", "data": {"kind": "offer", "n": 1, "sdp": "v=0"}})
    )
    got = await receive(point)
    assert (got["type"], got["from"], got["data"]["kind"]) == ("signal", "window", "offer")
    await point.send_to(text_data=json.dumps({"type": "chat", "text": "你好"}))
    for socket in (point, desk):
        message = await receive(socket)
        assert (message["type"], message["side"], message["text"]) == ("chat", "point", "你好")
    assert await desk.receive_nothing(timeout=0.7)  # its own offer never comes back
    await point.send_to(text_data="not json")
    assert (await receive(point))["type"] == "error"
    stored = await sync_to_async(lambda: list(SessionEvent.objects.values_list("kind", "side")))()
    assert ("chat", "point") in stored and ("signal", "window") in stored
    await point.disconnect()
    await desk.disconnect()
    await sync_to_async(connections.close_all)()  # the consumers' thread holds a connection


async def test_strangers_and_anonymous_are_refused(open_session: RemoteSession, clerk_zhou: Any) -> None:
    path = f"/ws/remotehelp/{open_session.pk}/"
    for headers in ([], await sync_to_async(cookie_of)(clerk_zhou)):
        socket = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await socket.connect()
        assert not connected and code == 4403
    nowhere = WebsocketCommunicator(application, "/ws/remotehelp/nope/")
    assert not (await nowhere.connect())[0]
    await sync_to_async(connections.close_all)()
