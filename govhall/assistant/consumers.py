"""WebSockets of 政小云.

`/ws/assistant/inbox/` (staff, session cookie): the inbox list whenever it changes.
`/ws/assistant/{token}/` (the citizen): the conversation's messages after `?since=N`.
`/ws/assistant/staff/{id}/` (staff, session cookie): the same, by conversation id, for the desk.

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
from govhall.assistant.models import Conversation, State
from govhall.queueing.errors import Forbidden, QueueError

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class Pump(AsyncWebsocketConsumer):
    """A socket that re-reads its source when woken or every `POLL_SECONDS`."""

    group = ""
    task: asyncio.Task[None] | None = None
    done = False  # set by `read` when the socket has closed itself

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
        while not self.done:
            self.wake.clear()
            try:
                more = await self.read()
            except Exception:  # the database may be restarting: try again at the next poll
                log.warning("reading 政小云 messages failed", exc_info=True)
                more = False
            if more or self.done:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), POLL_SECONDS)

    async def read(self) -> bool:
        raise NotImplementedError


def since_of(scope: dict[str, Any]) -> int:
    """`?since=N` of the socket's URL: ASCII digits that fit a message id, else 0."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    since = query.get("since", [""])[0]
    return int(since) if since.isascii() and since.isdigit() and len(since) <= 18 else 0


class ConversationConsumer(Pump):
    """Every message of one conversation after `since`, in id order, and its state; the socket
    closes (1000) once it has sent the closed state."""

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
        await self.follow(found)

    async def follow(self, found: Any) -> None:
        self.conversation_id = found.pk
        self.last = since_of(self.scope)
        self.group = services.group_name(found.token)
        await self.begin()

    async def read(self) -> bool:
        messages, state, staff = await database_sync_to_async(self._fetch)()
        for message in messages:
            await self.send_json({"type": "message", "message": services.message_view(message)})
            self.last = message.pk
        if len(messages) >= 200:
            return True
        if state != self.state:
            self.state = state
            await self.send_json(
                {"type": "state", "state": state, "staff": staff or None, "last_id": self.last}
            )
        if state == State.CLOSED:  # nothing more will come
            self.done = True
            await self.close(code=1000)
        return False

    def _fetch(self) -> tuple[list[Any], str, str]:
        # the state first: a close commits its last message with it, so none is missed
        state, staff = Conversation.objects.values_list("state", "staff_label").get(pk=self.conversation_id)
        return services.messages_after(self.conversation_id, self.last), state, staff

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data and text_data.strip() == "ping":
            await self.send_json({"type": "pong", "last_id": self.last})


def staff_stack(consumer: Any) -> Any:
    # the session cookie says who is calling; a foreign origin may not ride on it
    return AllowedHostsOriginValidator(AuthMiddlewareStack(consumer))


def current_user(user: Any) -> Any:
    """The socket's user read again (roles and deactivation change while a socket is open), or
    None when they may no longer use the desk."""
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.filter(pk=user.pk, is_active=True).first()
    return fresh if fresh is not None and services.may_serve(fresh) else None


class StaffConversationConsumer(ConversationConsumer):
    """`/ws/assistant/staff/{id}/`: the same stream for the staff desk, keyed by the conversation
    id (staff never see the token); access is checked again on every read."""

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:  # type: ignore[override]
        return staff_stack(super().as_asgi(**initkwargs))

    async def connect(self) -> None:
        user = self.scope.get("user")
        key = int(self.scope["url_route"]["kwargs"]["conversation"])
        try:
            found = await database_sync_to_async(self._allowed)(user, key)
        except QueueError as exc:
            await self.close(code=4403 if exc.status == 403 else 4404)
            return
        self.user = user
        await self.follow(found)

    @staticmethod
    def _allowed(user: Any, key: int) -> Any:
        fresh = current_user(user) if user is not None and user.is_authenticated else None
        if fresh is None:
            raise Forbidden("staff only")
        return services.staff_conversation(key, fresh)

    def _fetch(self) -> tuple[list[Any], str, str]:
        self._allowed(self.user, self.conversation_id)
        return super()._fetch()

    async def read(self) -> bool:
        try:
            return await super().read()
        except QueueError:
            self.done = True
            await self.close(code=4403)
            return False


class InboxConsumer(Pump):
    """The staff member's inbox (waiting conversations and their own), sent again when it changes;
    the socket closes (4403) as soon as its user may no longer use the desk."""

    group = services.INBOX_GROUP
    sent = ""

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:  # type: ignore[override]
        return staff_stack(super().as_asgi(**initkwargs))

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            user = await database_sync_to_async(current_user)(user)
        if user is None or not user.is_authenticated:
            await self.close(code=4403)
            return
        self.user = user
        await self.begin()

    async def read(self) -> bool:
        items = await database_sync_to_async(self._items)()
        if items is None:
            self.done = True
            await self.close(code=4403)
            return False
        signature = json.dumps([(i["id"], i["state"], i["messages"]) for i in items])
        if signature != self.sent:
            self.sent = signature
            await self.send_json({"type": "inbox", "items": items})
        return False

    def _items(self) -> list[dict[str, Any]] | None:
        user = current_user(self.user)
        return None if user is None else services.inbox_view(user)
