from django.urls import path

from govhall.realtime.consumers import HallConsumer
from govhall.remotehelp.consumers import RemoteHelpConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:hall>/", HallConsumer.as_asgi()),
    path("ws/remotehelp/<str:session>/", RemoteHelpConsumer.as_asgi()),
]
