"""WebSockets of 政小云.

`/ws/assistant/inbox/` (staff, session cookie): the inbox list whenever it changes.
`/ws/assistant/{token}/` (the citizen, or staff): the conversation's messages after `?since=N`.

The message table is the source of truth: a wake-up through the channel layer (in-process, or
Redis across processes) makes delivery immediate, and every socket also polls the table by message
id, so several server processes without Redis still deliver every message within a poll.
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

from govhall.assistant import services
from govhall.queueing.errors import QueueError

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class Pump(AsyncWebsocketConsumer):
    """A socket that re-reads its source when woken or every `POLL_SECONDS`."""

    group = ""
    task: asyncio.Task[None] | None = None

    async def begin(self) -> None:
        self.wake = asyncio.Event()
        await self.accept()
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.task = asyncio.get_running_loop().create_task(self.pump())

    async def disconnect(self, code: int) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
            self.task = None
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def assistant_wake(self, message: dict[str, Any]) -> None:
        self.wake.set()

    async def send_json(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def pump(self) -> None:
        while True:
            self.wake.clear()
            try:
                more = await self.read()
            except Exception:  # the database may be restarting: try again at the next poll
                log.warning("reading 政小云 messages failed", exc_info=True)
                more = False
            if more:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)

    async def read(self) -> bool:
        raise NotImplementedError


class ConversationConsumer(Pump):
    """Every message of one conversation after `since`, in id order, and its state."""

    conversation_id = 0
    last = 0
    state = ""

    async def connect(self) -> None:
        token = self.scope["url_route"]["kwargs"]["token"]
        try:
            found = await database_sync_to_async(services.conversation_of)(token)
        except QueueError:
            await self.close(code=4404)
            return
        self.conversation_id = found.pk
        query = parse_qs(self.scope.get("query_string", b"").decode())
        since = query.get("since", [""])[0]
        self.last = int(since) if since.isdigit() else 0
        self.group = services.group_name(token)
        self.token = token
        await self.begin()

    async def read(self) -> bool:
        messages, state = await database_sync_to_async(self._fetch)()
        for message in messages:
            await self.send_json({"type": "message", "message": services.message_view(message)})
            self.last = message.pk
        if state != self.state:
            self.state = state
            conversation = await database_sync_to_async(services.conversation_of)(self.token)
            await self.send_json(
                {
                    "type": "state",
                    "state": state,
                    "staff": conversation.staff_label or None,
                    "last_id": self.last,
                }
            )
        return len(messages) >= 200

    def _fetch(self) -> tuple[list[Any], str]:
        from govhall.assistant.models import Conversation

        messages = services.messages_after(self.conversation_id, self.last)
        state = Conversation.objects.values_list("state", flat=True).get(pk=self.conversation_id)
        return messages, state

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data and text_data.strip() == "ping":
            await self.send_json({"type": "pong", "last_id": self.last})


class InboxConsumer(Pump):
    """The staff member's inbox (waiting conversations and their own), sent again when it changes."""

    group = services.INBOX_GROUP
    sent = ""

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:  # type: ignore[override]
        # the session cookie says who is calling; a foreign origin may not ride on it
        return AllowedHostsOriginValidator(AuthMiddlewareStack(super().as_asgi(**initkwargs)))

    async def connect(self) -> None:
        user = self.scope.get("user")
        allowed = user is not None and user.is_authenticated
        if allowed:
            allowed = await database_sync_to_async(services.may_serve)(user)
        if not allowed:
            await self.close(code=4403)
            return
        self.user = user
        await self.begin()

    async def read(self) -> bool:
        items = await database_sync_to_async(services.inbox_view)(self.user)
        signature = json.dumps([(i["token"], i["state"], i["messages"]) for i in items])
        if signature != self.sent:
            self.sent = signature
            await self.send_json({"type": "inbox", "items": items})
        return False
