from django.urls import path

from govhall.assistant.consumers import ConversationConsumer, InboxConsumer, StaffConversationConsumer
from govhall.realtime.consumers import HallConsumer
from govhall.remotehelp.consumers import RemoteHelpConsumer

websocket_urlpatterns = [
    path("ws/halls/<str:hall>/", HallConsumer.as_asgi()),
    path("ws/remotehelp/<str:session>/", RemoteHelpConsumer.as_asgi()),
    path("ws/assistant/inbox/", InboxConsumer.as_asgi()),
    path("ws/assistant/staff/<int:conversation>/", StaffConversationConsumer.as_asgi()),
    path("ws/assistant/<str:token>/", ConversationConsumer.as_asgi()),
]
