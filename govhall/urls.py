from django.contrib import admin
from django.urls import include, path

from govhall.api import api
from govhall.catalog import views as catalog_views

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("manage/catalog-template.xlsx", catalog_views.import_template, name="catalog-template"),
    path("manage/", admin.site.urls),
    path("", include("govhall.web.urls")),
]
