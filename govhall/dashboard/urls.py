"""Pages of dashboard (included by govhall.urls before the admin): the big screen and the reports."""

from django.urls import URLPattern, URLResolver, include, path

from govhall.dashboard import views

manage_patterns = [
    path("", views.report_list, name="list"),
    path("generate", views.report_generate, name="generate"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>.pdf", views.report_pdf, name="pdf"),
    path("<int:pk>.xlsx", views.report_xlsx, name="xlsx"),
    path("<int:pk>/<slug:table>.csv", views.report_csv, name="csv"),
]

urlpatterns: list[URLPattern | URLResolver] = [
    path("dashboard", views.city, name="dashboard"),
    path("dashboard/<str:hall>", views.hall, name="dashboard-hall"),
    path("manage/reports/", include((manage_patterns, "reports"))),
]
