from django.contrib import admin
from django.urls import include, path

from govhall.api import api

admin.site.site_header = "govhall 智慧政务大厅 · 管理"
admin.site.site_title = "govhall 管理"
admin.site.index_title = "管理首页"

urlpatterns = [
    path("api/v1/", api.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("manage/", admin.site.urls),
    path("", include("govhall.web.urls")),
]
