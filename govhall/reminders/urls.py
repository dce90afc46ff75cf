"""Pages of reminders (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, include, path

from govhall.reminders import views

app_name = "reminders"

manage_patterns = [
    path("", views.manage, name="manage"),
    path("send/", views.send_now, name="send"),
    path("gateway/", views.set_gateway, name="gateway"),
    path("import/", views.import_page, name="import"),
    path("import/template.csv", views.template_csv, name="template"),
    path("records/", views.records_page, name="records"),
    path("log/", views.log_page, name="log"),
    path("log.csv", views.log_csv, name="log-csv"),
    path("optouts/", views.optouts_page, name="optouts"),
    path("figures/", views.figures_page, name="figures"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/reminders/", include(manage_patterns)),
    path("r/td/<str:token>", views.public_optout, name="optout"),
]
