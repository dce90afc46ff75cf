from django.urls import path

from govhall.web import views

urlpatterns = [
    path("", views.index, name="index"),
    path("t/<str:ticket_id>", views.ticket_page, name="ticket"),
    path("healthz", views.healthz, name="healthz"),
]
