from django.contrib import admin

from govhall.halls.models import Hall, ServicePoint, Window, Zone


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name", "prefix", "overtime_minutes", "yellow_waiting", "red_waiting")


class WindowInline(admin.TabularInline):
    model = Window
    extra = 0
    fields = ("code", "name", "tidal", "state")


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    inlines = [ZoneInline, WindowInline]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "hall")
    list_filter = ("kind",)
    search_fields = ("code", "name")
