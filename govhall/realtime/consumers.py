"""WebSocket `/ws/halls/{hall}/`: every stored event of the hall, in order, resumable with `?since=N`.

The database is the source of truth. A wake-up through the channel layer (in-process, or
Redis across processes) makes delivery immediate; a short poll makes it certain when several
processes run without Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from govhall.halls.models import Hall
from govhall.realtime import services


class HallConsumer(AsyncWebsocketConsumer):
    hall: Hall | None = None
    last: int = 0
    poller: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["hall"]
        self.hall = await database_sync_to_async(Hall.objects.filter(code=code).first)()
        if self.hall is None:
            await self.close(code=4404)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        since = query.get("since", [""])[0]
        self.lock = asyncio.Lock()
        await self.accept()
        await self.channel_layer.group_add(services.group_name(code), self.channel_name)
        if since.isdigit():
            self.last = int(since)
        else:
            self.last = await database_sync_to_async(services.last_seq)(self.hall)
            await self.send(text_data=json.dumps({"type": "hello", "hall": code, "last_id": self.last}))
        await self.flush()
        self.poller = asyncio.create_task(self.poll())

    async def disconnect(self, code: int) -> None:
        if self.poller:
            self.poller.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.poller
        if self.hall is not None:
            await self.channel_layer.group_discard(services.group_name(self.hall.code), self.channel_name)

    async def poll(self) -> None:
        interval = settings.GOVHALL["EVENT_POLL_SECONDS"]
        while True:
            await asyncio.sleep(interval)
            await self.flush()

    async def hall_wake(self, message: dict[str, Any]) -> None:
        await self.flush()

    async def flush(self) -> None:
        assert self.hall is not None
        async with self.lock:
            while True:
                events = await database_sync_to_async(services.events_since)(self.hall, self.last)
                for event in events:
                    await self.send(text_data=json.dumps(event.as_message(), ensure_ascii=False))
                    self.last = event.seq
                if len(events) < 1000:
                    return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data and text_data.strip() == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "last_id": self.last}))
