"""Pages of the booklet (included by govhall.urls before the admin): public /booklet/… and the manage list."""

from django.urls import URLPattern, URLResolver, path

from govhall.booklet import views

app_name = "booklet"

urlpatterns: list[URLPattern | URLResolver] = [
    path("booklet/", views.city, name="city"),
    path("booklet/booklet.pdf", views.city_pdf, name="city-pdf"),
    path("booklet/<str:hall>/", views.hall, name="hall"),
    path("booklet/<str:hall>/booklet.pdf", views.hall_pdf, name="hall-pdf"),
    path("manage/booklet/", views.manage, name="manage"),
]
