"""ASGI entry point: HTTP through Django (one worker thread per request), WebSockets through Channels."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govhall.settings")
django.setup(set_prefix=False)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from govhall.handlers import SyncChainASGIHandler  # noqa: E402
from govhall.realtime.routing import websocket_urlpatterns  # noqa: E402

django_asgi = SyncChainASGIHandler()
application = ProtocolTypeRouter({"http": django_asgi, "websocket": URLRouter(websocket_urlpatterns)})
