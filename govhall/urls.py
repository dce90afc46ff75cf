from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from govhall.api import api
from govhall.catalog import views as catalog_views

# Apps with pages of their own; their /manage/… pages must come before the admin's catch-all.
APP_PAGES = [
    "monitor",
    "insights",
    "appointments",
    "ratings",
    "reminders",
    "dashboard",
    "staff",
    "remotehelp",
    "booklet",
    "assistant",
    "guide",
]

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("manage/catalog-template.xlsx", catalog_views.import_template, name="catalog-template"),
    *[path("", include(f"govhall.{app}.urls")) for app in APP_PAGES],
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["govhall.web"]), name="javascript-catalog"),
    path("manage/", admin.site.urls),
    path("", include("govhall.web.urls")),
]
