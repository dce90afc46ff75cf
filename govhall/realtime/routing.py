from django.urls import path

from govhall.realtime.consumers import HallConsumer

websocket_urlpatterns = [path("ws/halls/<str:hall>/", HallConsumer.as_asgi())]
