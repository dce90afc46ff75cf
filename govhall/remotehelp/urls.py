"""Pages of remotehelp (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, path

from govhall.remotehelp import views

app_name = "remotehelp"

urlpatterns: list[URLPattern | URLResolver] = [
    path("points/<str:point>/help", views.point_help, name="point"),
    path("halls/<str:hall>/windows/<str:window>/remote", views.window_remote, name="window"),
    path("remotehelp/sessions/<str:session>", views.session_page, name="session"),
    path("remotehelp/sessions/<str:session>/materials/<int:material_id>", views.material, name="material"),
    path("remotehelp/sessions/<str:session>/<str:action>", views.session_action, name="action"),
    path("manage/remotehelp/", views.manage_index, name="manage"),
    path("manage/remotehelp/points/<str:point>", views.manage_point, name="manage-point"),
]
