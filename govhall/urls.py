from django.contrib import admin
from django.urls import include, path

from govhall.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("manage/", admin.site.urls),
    path("", include("govhall.web.urls")),
]
