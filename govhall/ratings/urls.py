"""Pages of ratings (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, path

from govhall.ratings import views

app_name = "ratings"

urlpatterns: list[URLPattern | URLResolver] = [
    path("ratings/tickets/<str:ticket_id>/panel", views.ticket_panel, name="panel"),
    path("ratings/tickets/<str:ticket_id>/rate", views.rate_ticket, name="rate"),
    path("ratings/tickets/<str:ticket_id>/rerate", views.rerate_ticket, name="rerate"),
    path("halls/<str:hall>/windows/<str:window>/rate", views.pad, name="pad"),
    path("halls/<str:hall>/windows/<str:window>/rate/panel", views.pad_panel, name="pad-panel"),
    path("r/<str:token>", views.sms_link, name="link"),
    path("manage/ratings/", views.manage_index, name="manage"),
    path("manage/ratings/settings/<str:hall>", views.manage_settings, name="settings"),
    path("manage/ratings/cases/<int:case_id>", views.manage_case, name="case"),
    path("manage/ratings/cases/<int:case_id>/evidence", views.manage_evidence, name="evidence"),
    path("manage/ratings/cases/<int:case_id>/<str:action>", views.manage_case_action, name="case-action"),
]
