from django.contrib import admin

from govhall.catalog.models import Bundle, Department, Matter, Situation


class SituationInline(admin.TabularInline):
    model = Situation
    extra = 0


@admin.register(Matter)
class MatterAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "department", "max_visits", "promised_days", "fee")
    list_filter = ("department",)
    search_fields = ("code", "name", "description")
    inlines = [SituationInline]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Bundle)
class BundleAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    filter_horizontal = ("matters",)
