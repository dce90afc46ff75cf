"""The HTTP side of the ASGI application.

Every view and middleware of govhall is synchronous. Django's own ASGI handler builds an
asynchronous middleware chain and, for synchronous middleware and views, hops between the event
loop and a worker thread around every middleware (twice each) and again for the view: about
twenty hops per request, each a wake-up under load. This handler builds the synchronous chain
once and runs the whole request in one worker thread — one hop, the way a WSGI server would —
while uvicorn keeps the event loop for many open connections and Channels keeps the WebSockets.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # thread_sensitive: the request's own thread, the same that opens and closes its
        # database connection in the request_started / request_finished signals
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)
