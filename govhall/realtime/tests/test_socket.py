"""The hall WebSocket: stored events in order, resumable with ?since=N."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from govhall.asgi import application
from govhall.queueing import services
from govhall.testing import build_hall, window

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def receive(socket: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    return json.loads(await socket.receive_from(timeout=timeout))  # type: ignore[no-any-return]


async def test_live_events_arrive_in_order_after_commit() -> None:
    city = await sync_to_async(build_hall)("city", zones=("A",))
    socket = WebsocketCommunicator(application, "/ws/halls/city/")
    connected, _ = await socket.connect()
    assert connected
    hello = await receive(socket)
    assert hello["type"] == "hello" and hello["last_id"] == 0
    _ticket, _ = await sync_to_async(services.issue_ticket)(city, "M-1", zone_code="A")
    await sync_to_async(services.call_next)(await sync_to_async(window)(city, "1"))
    issued, called = await receive(socket), await receive(socket)
    assert (issued["id"], issued["type"], issued["ticket"]["number"]) == (1, "ticket.issued", "A001")
    assert (called["id"], called["type"], called["window"]["code"]) == (2, "ticket.called", "1")
    assert "subject" not in called["ticket"]
    await socket.disconnect()


async def test_reconnecting_with_since_replays_what_was_missed() -> None:
    city = await sync_to_async(build_hall)("city", zones=("A",))
    for _ in range(5):
        await sync_to_async(services.issue_ticket)(city, "M-1", zone_code="A")
    socket = WebsocketCommunicator(application, "/ws/halls/city/?since=2")
    connected, _ = await socket.connect()
    assert connected
    ids = [(await receive(socket))["id"] for _ in range(3)]
    assert ids == [3, 4, 5]
    assert await socket.receive_nothing(timeout=0.8)
    await socket.disconnect()


async def test_unknown_hall_is_closed() -> None:
    socket = WebsocketCommunicator(application, "/ws/halls/nowhere/")
    connected, _ = await socket.connect()
    assert not connected


async def test_sockets_of_a_hall_share_one_feed_and_each_gets_every_event() -> None:
    from govhall.realtime.consumers import HallFeed, Poller

    city = await sync_to_async(build_hall)("city", zones=("A",))
    sockets = [WebsocketCommunicator(application, "/ws/halls/city/") for _ in range(5)]
    for socket in sockets:
        assert (await socket.connect())[0]
        assert (await receive(socket))["type"] == "hello"
    assert len(HallFeed.here()) == 1 and len(Poller.pollers) == 1
    (feed,) = HallFeed.here().values()
    assert len(feed.sockets) == 5
    for _ in range(3):
        await sync_to_async(services.issue_ticket)(city, "M-1", zone_code="A")
    for socket in sockets:
        assert [(await receive(socket))["id"] for _ in range(3)] == [1, 2, 3]
    for socket in sockets:
        await socket.disconnect()
    assert HallFeed.here() == {}  # the last socket out stops the hall's reader


async def test_a_socket_further_behind_than_the_feed_remembers_catches_up_from_the_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from govhall.realtime import consumers

    monkeypatch.setattr(consumers, "KEEP", 3)
    city = await sync_to_async(build_hall)("city", zones=("A",))
    live = WebsocketCommunicator(application, "/ws/halls/city/")
    assert (await live.connect())[0]
    await receive(live)
    for _ in range(8):
        await sync_to_async(services.issue_ticket)(city, "M-1", zone_code="A")
    assert [(await receive(live))["id"] for _ in range(8)] == list(range(1, 9))
    (feed,) = consumers.HallFeed.here().values()
    assert feed.base >= 5  # only the last few are in memory
    late = WebsocketCommunicator(application, "/ws/halls/city/?since=1")
    assert (await late.connect())[0]
    assert [(await receive(late))["id"] for _ in range(7)] == list(range(2, 9))
    await sync_to_async(services.issue_ticket)(city, "M-1", zone_code="A")
    assert (await receive(late))["id"] == 9 and (await receive(live))["id"] == 9
    assert await late.receive_nothing(timeout=0.3)
    await late.disconnect()
    await live.disconnect()
