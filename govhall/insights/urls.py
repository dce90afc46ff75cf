"""Pages of insights: /manage/insights/…"""

from django.urls import URLPattern, URLResolver, path

from govhall.insights import views

app_name = "insights"
urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/insights/", views.index, name="manage"),
    path("manage/insights/staffing", views.staffing_page, name="staffing"),
    path("manage/insights/bundles", views.bundles_page, name="bundles"),
    path("manage/insights/bundles/create", views.make_bundle, name="make-bundle"),
    path("manage/insights/whatif", views.whatif_page, name="whatif"),
]
