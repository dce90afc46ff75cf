"""Pages of monitor (included by govhall.urls before the admin): /manage/monitor/…"""

from django.urls import URLPattern, URLResolver, path

from govhall.monitor import views

app_name = "monitor"

urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/monitor/", views.index, name="manage"),
    path("manage/monitor/live/", views.live_list, name="live"),
    path("manage/monitor/history/", views.history, name="history"),
    path("manage/monitor/recipients/", views.recipients, name="recipients"),
    path("manage/monitor/recipients/<int:recipient_id>/", views.recipient_change, name="recipient-change"),
    path("manage/monitor/alerts/<int:alert_id>/", views.detail, name="detail"),
    path("manage/monitor/alerts/<int:alert_id>/ack/", views.acknowledge, name="ack"),
    path("manage/monitor/alerts/<int:alert_id>/resolve/", views.resolve, name="resolve"),
    path("manage/monitor/alerts/<int:alert_id>/tidal/", views.tidal, name="tidal"),
    path("manage/monitor/alerts/<int:alert_id>/dispatch/", views.dispatch, name="dispatch"),
]
