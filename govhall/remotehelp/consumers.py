"""WebSocket `/ws/remotehelp/{session}/`: signalling (offer, answer, ICE) and chat of one remote
help session, between the point's assistant and the accepting window staff only.

Every message is stored as a `SessionEvent` first, so the table is the source of truth: a wake-up
through the channel layer makes delivery immediate, and a short poll of the session's rows makes it
certain when several server processes run without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator

from govhall import clock
from govhall.queueing.errors import QueueError
from govhall.remotehelp import services
from govhall.remotehelp.models import RemoteSession, SessionEvent

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def group_name(session_id: str) -> str:
    return f"remotehelp.{session_id}"


def message_of(event: SessionEvent) -> dict[str, Any]:
    if event.kind == SessionEvent.Kind.SIGNAL:
        return {"type": "signal", "id": event.pk, "from": event.side, "data": event.detail.get("payload")}
    return {
        "type": event.kind,
        "id": event.pk,
        "side": event.side,
        "text": event.text,
        "at": clock.iso(event.at),
        "detail": event.detail,
    }


class RemoteHelpConsumer(AsyncWebsocketConsumer):
    session: RemoteSession | None = None
    side: str = ""
    last: int = 0
    signals_from: int = 0
    task: asyncio.Task[None] | None = None

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:  # type: ignore[override]
        # the session cookie says who is calling; a foreign origin may not ride on it
        return AllowedHostsOriginValidator(AuthMiddlewareStack(super().as_asgi(**initkwargs)))

    async def connect(self) -> None:
        session_id = self.scope["url_route"]["kwargs"]["session"]
        user = self.scope.get("user")
        found = await database_sync_to_async(self._authorize)(session_id, user)
        if found is None:
            await self.close(code=4403)
            return
        self.session, self.side = found
        self.wake = asyncio.Event()
        head = await database_sync_to_async(services.last_event_id)(session_id)
        query = parse_qs(self.scope.get("query_string", b"").decode())
        since = query.get("since", [""])[0]
        self.last = min(int(since), head) if since.isdigit() else head
        self.signals_from = head  # signalling of earlier connections is stale
        await self.accept()
        await self.channel_layer.group_add(group_name(session_id), self.channel_name)
        await self.send_json({"type": "welcome", "side": self.side, "status": self.session.status})
        self.task = asyncio.get_running_loop().create_task(self.pump())

    def _authorize(self, session_id: str, user: Any) -> tuple[RemoteSession, str] | None:
        if user is None or not user.is_authenticated:
            return None
        try:
            session = services.session_of(session_id)
        except QueueError:
            return None
        side = services.side_of(user, session)
        return (session, side) if side else None

    async def disconnect(self, code: int) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None
        if self.session is not None:
            await self.channel_layer.group_discard(group_name(self.session.pk), self.channel_name)

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.session is None or not text_data:
            return
        try:
            message = json.loads(text_data)
        except ValueError:
            await self.send_json({"type": "error", "detail": "messages are JSON"})
            return
        if not isinstance(message, dict):
            await self.send_json({"type": "error", "detail": "messages are JSON objects"})
            return
        try:
            if message.get("type") == "signal" and isinstance(message.get("data"), dict):
                await database_sync_to_async(self._signal)(message["data"])
            elif message.get("type") == "chat":
                await database_sync_to_async(self._chat)(str(message.get("text", "")))
            else:
                await self.send_json({"type": "error", "detail": "type must be signal or chat"})
                return
        except QueueError as error:
            await self.send_json({"type": "error", "detail": error.detail})
            return
        await self.channel_layer.group_send(group_name(self.session.pk), {"type": "session.wake"})

    def _signal(self, data: dict[str, Any]) -> None:
        assert self.session is not None
        self.session.refresh_from_db(fields=["status"])
        services.signal(self.session, self.side, data)

    def _chat(self, text: str) -> None:
        assert self.session is not None
        session = services.session_of(self.session.pk)  # the user may have left the session meanwhile
        services.chat(session, self.scope["user"], text)

    async def session_wake(self, message: dict[str, Any]) -> None:
        self.wake.set()

    async def pump(self) -> None:
        assert self.session is not None
        while True:
            self.wake.clear()
            try:
                events = await database_sync_to_async(services.events_after)(self.session.pk, self.last)
            except Exception:  # the database may be restarting: try again at the next poll
                log.warning("reading remote help session %s failed", self.session.pk, exc_info=True)
                events = []
            for event in events:
                self.last = event.pk
                if event.kind == SessionEvent.Kind.SIGNAL and (
                    event.side == self.side or event.pk <= self.signals_from
                ):
                    continue
                await self.send_json(message_of(event))
            if len(events) >= 200:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)
