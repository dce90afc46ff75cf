from django.urls import path

from govhall.web import views

urlpatterns = [
    path("", views.index, name="index"),
    path("t/<str:ticket_id>", views.ticket_page, name="ticket"),
    path("t/<str:ticket_id>/cancel", views.ticket_cancel, name="ticket-cancel"),
    path("healthz", views.healthz, name="healthz"),
    path("halls/<str:hall>/kiosk", views.kiosk, name="kiosk"),
    path("halls/<str:hall>/kiosk/state", views.kiosk_state, name="kiosk-state"),
    path("halls/<str:hall>/display", views.display, name="display"),
    path("halls/<str:hall>/voice.wav", views.voice, name="voice"),
    path("halls/<str:hall>/tickets/<str:ticket_id>/print", views.ticket_print, name="ticket-print"),
    path("halls/<str:hall>/tickets/<str:ticket_id>/qr.svg", views.ticket_qr, name="ticket-qr"),
    path("halls/<str:hall>/windows/<str:window>", views.console, name="console"),
    path("halls/<str:hall>/windows/<str:window>/panel", views.console_panel, name="console-panel"),
]
