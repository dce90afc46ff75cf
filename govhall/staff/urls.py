"""Pages of staff (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, path

from govhall.staff import views

app_name = "staff"

urlpatterns: list[URLPattern | URLResolver] = [
    path("manage/staff/", views.index, name="manage"),
    path("manage/staff/me/", views.me, name="me"),
    path("manage/staff/people/<str:username>/", views.person, name="person"),
    path("manage/staff/attendance/", views.attendance_month, name="attendance"),
    path("manage/staff/duty/", views.duty, name="duty"),
    path("manage/staff/leave/", views.leave, name="leave"),
    path("manage/staff/assets/", views.assets, name="assets"),
    path("manage/staff/performance/", views.ranking, name="ranking"),
    path("manage/staff/performance.xlsx", views.ranking_xlsx, name="ranking-xlsx"),
    path("manage/staff/messages/", views.inbox, name="inbox"),
    path("manage/staff/clock/<str:hall>/", views.clock_control, name="clock"),
]
