"""Pages of guide (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, path

from govhall.guide import views

app_name = "guide"

urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/guide/questions", views.questions, name="questions"),
    path("manage/guide/questions/decide", views.decide, name="decide"),
]
