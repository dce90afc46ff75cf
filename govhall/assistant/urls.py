"""Pages of 政小云 (included by govhall.urls before the admin); the citizen side is `/`."""

from django.urls import URLPattern, URLResolver, path

from govhall.assistant import views

app_name = "assistant"

urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/assistant/", views.manage, name="manage"),
    path("manage/assistant/inbox", views.inbox, name="inbox"),
]
