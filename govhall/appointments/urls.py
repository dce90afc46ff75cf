"""Pages of appointments (included by govhall.urls before the admin)."""

from django.urls import URLPattern, URLResolver, path

from govhall.appointments import views

app_name = "appointments"

urlpatterns: list[URLPattern | URLResolver] = [
    path("book/", views.book_index, name="book"),
    path("book/b/<str:code>", views.booking_page, name="booking"),
    path("book/b/<str:code>/cancel", views.booking_cancel, name="booking-cancel"),
    path("book/b/<str:code>/reschedule", views.booking_reschedule, name="booking-reschedule"),
    path("book/<str:hall>/", views.book_hall, name="book-hall"),
    path("book/<str:hall>/slots", views.book_slots, name="book-slots"),
    path("book/<str:hall>/remote", views.remote_ticket, name="remote"),
    path("halls/<str:hall>/checkin", views.checkin, name="checkin"),
    path("manage/appointments/", views.manage, name="manage"),
]
