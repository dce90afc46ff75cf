from django.contrib import admin

from govhall.accounts.models import ApiToken, Membership


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "hall")
    list_filter = ("role", "hall")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "label", "created_at", "revoked")
    readonly_fields = ("digest",)
