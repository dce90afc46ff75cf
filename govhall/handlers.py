"""The HTTP side of the ASGI application.

Every view and middleware of govhall is synchronous. Django's own ASGI handler builds an
asynchronous middleware chain and, for synchronous middleware and views, hops between the event
loop and a worker thread around every middleware (twice each) and again for the view; it also
starts a new thread for every request (and another to join it afterwards), sends the start and
end signals in hops of their own and watches for a disconnect in a second task. On a busy box
each of these is CPU the requests queue behind.

This handler builds the synchronous chain once and serves a request in one hop to a fixed pool
of threads, the way a WSGI server would: the start signal, the request, the whole middleware
chain and the view, and (for ordinary responses) the end signal that hands the database
connection back to the pool, all in that one thread; the event loop only reads the body and
writes the response. uvicorn keeps the event loop for many open connections and Channels keeps
the WebSockets. The pool's size bounds how many requests of a process run at once (as many as
its database pool has connections), so a burst waits in line instead of crowding the cores.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(
            max_workers=int(settings.GOVHALL["HTTP_THREADS"]), thread_name_prefix="govhall-http"
        )
        # sync_to_async, not a bare run_in_executor: code in the thread that calls async_to_sync
        # (the realtime wake-up after commit) must find this process's event loop
        self.respond = sync_to_async(self.serve, thread_sensitive=False, executor=self.executor)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response = await self.respond(scope, body_file)
            try:
                await self.send_response(response, send)
            finally:
                if response.streaming:  # a file: closed once sent (or the client went away)
                    await sync_to_async(response.close, thread_sensitive=False, executor=self.executor)()
        finally:
            body_file.close()

    def serve(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """One request, start to end, in this pool thread."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = self.get_response(request) if request is not None else error_response
        assert response is not None  # create_request gives a request or the response refusing it
        response._handler_class = self.__class__  # type: ignore[attr-defined]
        if isinstance(response, FileResponse):
            response.block_size = self.chunk_size
        if response.streaming:
            # the body is read after this thread lets go: give its database connection back now
            close_old_connections()
        else:
            response.close()  # request_finished: the connection goes back to the pool
        return response
