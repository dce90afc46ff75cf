"""WebSocket `/ws/halls/{hall}/`: every stored event of the hall, in order, resumable with `?since=N`.

The database is the source of truth. A wake-up through the channel layer (in-process, or
Redis across processes) makes delivery immediate; a short poll makes it certain when several
processes run without Redis.

One `HallFeed` per hall and process reads the event table for all of that hall's sockets, and one
`Poller` per process asks, in a single query per interval, which of those halls has new events:
the poll costs the same however many screens are connected, and a new event is read once,
serialised once and handed to every socket from memory. A socket that resumes from
further back than the feed's memory catches up from the table on its own first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from govhall.halls.models import Hall
from govhall.realtime import services

log = logging.getLogger(__name__)
PAGE = 1000  # events read per query
KEEP = 2000  # events a feed keeps in memory for sockets that are a little behind


class HallFeed:
    """The shared reader of one hall's events in this process (on one event loop)."""

    feeds: dict[tuple[int, int], HallFeed] = {}

    def __init__(self, hall: Hall, head: int) -> None:
        self.hall = hall
        # events (base, head] are all in `buffer`, as (seq, text), in order
        self.base = head
        self.head = head
        self.buffer: list[tuple[int, str]] = []
        self.sockets: set[HallConsumer] = set()
        self.poked = asyncio.Event()
        self.task = asyncio.get_running_loop().create_task(self.run())

    @classmethod
    def here(cls) -> dict[int, HallFeed]:
        """The feeds of this event loop, by hall id."""
        loop = id(asyncio.get_running_loop())
        return {hall_id: feed for (key, hall_id), feed in cls.feeds.items() if key == loop}

    @classmethod
    async def join(cls, hall: Hall, socket: HallConsumer) -> HallFeed:
        for stale in [k for k, f in cls.feeds.items() if f.task.get_loop().is_closed()]:
            del cls.feeds[stale]
        key = (id(asyncio.get_running_loop()), hall.pk)
        feed = cls.feeds.get(key)
        if feed is None:
            head = await database_sync_to_async(services.last_seq)(hall)
            feed = cls.feeds.get(key)  # another socket may have made it meanwhile
            if feed is None:
                feed = cls.feeds[key] = HallFeed(hall, head)
        feed.sockets.add(socket)
        Poller.ensure()
        return feed

    async def leave(self, socket: HallConsumer) -> None:
        self.sockets.discard(socket)
        if self.sockets:
            return
        key = (id(asyncio.get_running_loop()), self.hall.pk)
        if self.feeds.get(key) is self:
            del self.feeds[key]
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task

    def poke(self) -> None:
        self.poked.set()

    def offer(self, event: dict[str, Any]) -> bool:
        """Take an event carried by a wake-up if it is the very next one; else the table decides."""
        if event.get("id") != self.head + 1:
            return False
        self.keep(self.head + 1, json.dumps(event, ensure_ascii=False))
        return True

    def keep(self, seq: int, text: str) -> None:
        self.buffer.append((seq, text))
        self.head = seq
        if len(self.buffer) > KEEP:
            drop = len(self.buffer) - KEEP
            self.base = self.buffer[drop - 1][0]
            del self.buffer[:drop]

    async def deliver(self) -> None:
        await asyncio.gather(*(s.flush() for s in list(self.sockets)), return_exceptions=True)

    def after(self, last: int) -> list[tuple[int, str]] | None:
        """What a socket that has sent up to `last` must send next; None when the feed no longer
        (or not yet) holds the events right after `last`."""
        if last < self.base:
            return None
        if last >= self.head:
            return []
        start = len(self.buffer) - (self.head - last)
        return self.buffer[max(0, start) :]

    async def run(self) -> None:
        while True:
            await self.poked.wait()
            self.poked.clear()
            try:
                fresh = await self.read()
            except Exception:  # the database may be restarting: the poller pokes again
                log.warning("reading events of %s failed", self.hall.code, exc_info=True)
                continue
            if fresh:
                await self.deliver()

    async def read(self) -> bool:
        fresh = False
        while True:
            events = await database_sync_to_async(services.events_since)(self.hall, self.head, PAGE)
            for event in events:
                if event.seq <= self.head:  # a wake-up brought it while we were reading
                    continue
                if event.seq != self.head + 1:  # ids are gapless; a hole means pruned rows
                    self.buffer.clear()
                    self.base = event.seq - 1
                self.keep(event.seq, json.dumps(event.as_message(), ensure_ascii=False))
                fresh = True
            if len(events) < PAGE:
                return fresh


class Poller:
    """One per process (event loop): every `EVENT_POLL_SECONDS` a single query reads the event id
    of every hall that has sockets here, and pokes the feeds that are behind. This is what delivers
    events made by other processes when there is no Redis to wake us."""

    pollers: dict[int, Poller] = {}

    def __init__(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run())

    @classmethod
    def ensure(cls) -> None:
        # forget pollers of event loops that are gone (tests run one loop per test)
        for stale in [k for k, p in cls.pollers.items() if p.task.done() or p.task.get_loop().is_closed()]:
            del cls.pollers[stale]
        key = id(asyncio.get_running_loop())
        poller = cls.pollers.get(key)
        if poller is None or poller.task.done():
            cls.pollers[key] = Poller()

    async def run(self) -> None:
        interval = settings.GOVHALL["EVENT_POLL_SECONDS"]
        while True:
            await asyncio.sleep(interval)
            feeds = HallFeed.here()
            if not feeds:
                if self.pollers.get(id(asyncio.get_running_loop())) is self:
                    del self.pollers[id(asyncio.get_running_loop())]
                return
            try:
                heads = await database_sync_to_async(services.last_seqs)(list(feeds))
            except Exception:
                log.warning("polling hall events failed", exc_info=True)
                continue
            for hall_id, feed in feeds.items():
                if heads.get(hall_id, 0) > feed.head:
                    feed.poke()


class HallConsumer(AsyncWebsocketConsumer):
    hall: Hall | None = None
    feed: HallFeed | None = None
    last: int = 0

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
        self.feed = await HallFeed.join(self.hall, self)
        self.feed.poke()  # what was committed before the feed existed is read now
        await self.flush()

    async def disconnect(self, code: int) -> None:
        if self.feed is not None:
            await self.feed.leave(self)
            self.feed = None
        if self.hall is not None:
            await self.channel_layer.group_discard(services.group_name(self.hall.code), self.channel_name)

    async def hall_wake(self, message: dict[str, Any]) -> None:
        if self.feed is None:
            return
        event = message.get("event")
        if isinstance(event, dict) and self.feed.offer(event):
            await self.feed.deliver()
        elif not isinstance(event, dict) or event.get("id", 0) > self.feed.head:
            self.feed.poke()

    async def flush(self) -> None:
        """Send every event after `self.last`, in order: from the feed, or from the table while
        this socket is further behind than the feed remembers."""
        assert self.hall is not None
        async with self.lock:
            while self.feed is not None:
                pending = self.feed.after(self.last)
                if pending is not None:
                    for seq, text in pending:
                        await self.send(text_data=text)
                        self.last = seq
                    return
                events = await database_sync_to_async(services.events_since)(self.hall, self.last, PAGE)
                for event in events:
                    await self.send(text_data=json.dumps(event.as_message(), ensure_ascii=False))
                    self.last = event.seq
                if not events:
                    return

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data and text_data.strip() == "ping":
            await self.send(text_data=json.dumps({"type": "pong", "last_id": self.last}))
