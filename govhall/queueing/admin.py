from django.contrib import admin

from govhall.queueing.models import Ticket, TicketEvent


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    readonly_fields = ("action", "from_status", "to_status", "at", "window", "actor", "detail")
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "hall", "zone", "matter_code", "status", "channel", "priority", "issued_at")
    list_filter = ("status", "channel", "hall")
    search_fields = ("id", "number", "matter_code")
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [TicketEventInline]
