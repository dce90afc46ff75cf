"""ASGI entry point: HTTP through Django (a fixed pool of threads, `govhall.handlers`), WebSockets
through Channels, and a warm-up when a server process starts (ASGI lifespan)."""

import logging
import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govhall.settings")
django.setup(set_prefix=False)

from asgiref.sync import sync_to_async  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from govhall.handlers import SyncChainASGIHandler  # noqa: E402
from govhall.realtime.routing import websocket_urlpatterns  # noqa: E402

log = logging.getLogger(__name__)
django_asgi = SyncChainASGIHandler()
router = ProtocolTypeRouter({"http": django_asgi, "websocket": URLRouter(websocket_urlpatterns)})


def warm_up() -> None:
    """Load now what the first requests of a new process would otherwise wait for, all of them at
    once in the first burst: the URLconf with every app's pages and API routers, and a database
    connection (on PostgreSQL this opens the pool, which then fills to its minimum size)."""
    get_resolver().url_patterns  # noqa: B018 — imports govhall.urls and everything it routes to
    try:
        connection.ensure_connection()
    except Exception:  # the database may come up later; requests will say so
        log.warning("no database connection at start-up", exc_info=True)
    finally:
        connection.close()


def warm_guide() -> None:
    """Build the guidance index (jieba's dictionary, the catalogue, BM25 postings: 1–2 s; the semantic
    model's vectors of the matters, read from their store or — the first time — embedded: ~4 s for
    the 300 demo matters) before the process takes requests, so the first citizen who asks 政小云 after a restart does not wait for
    it. Not in a background thread: holding the GIL for a second while the first burst of tickets
    arrives doubled the queue benchmark's p99 (299–517 ms against 188–246 ms)."""
    from govhall.catalog.models import Matter
    from govhall.guide.services import current_index

    try:
        if Matter.objects.exists():  # an empty catalogue has nothing to search yet
            current_index()
    except Exception:  # no catalogue yet, or no database: the first search builds it
        log.warning("guidance index not built at start-up", exc_info=True)
    finally:
        connection.close()


async def lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await sync_to_async(warm_up, thread_sensitive=False, executor=django_asgi.executor)()
            await sync_to_async(warm_guide, thread_sensitive=False, executor=django_asgi.executor)()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
    else:
        await router(scope, receive, send)
