from django.contrib import admin, messages
from django.utils.translation import ngettext

from .models import Message, Room


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "topic", "is_private", "is_archived", "created_at"]
    list_filter = ["is_archived", "is_private", "created_at"]
    search_fields = ["name", "slug", "topic"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]
    actions = ["archive", "unarchive"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "topic"]}),
        ("Access", {"fields": ["is_archived", "is_private", "members"]}),
    ]

    @admin.action(description="Archive selected rooms (read-only)", permissions=["change"])
    def archive(self, request, queryset):
        count = queryset.filter(is_archived=False).update(is_archived=True)
        self.message_user(
            request, ngettext("%d room archived.", "%d rooms archived.", count) % count, messages.SUCCESS
        )

    @admin.action(description="Unarchive selected rooms", permissions=["change"])
    def unarchive(self, request, queryset):
        count = queryset.filter(is_archived=True).update(is_archived=False)
        self.message_user(
            request, ngettext("%d room unarchived.", "%d rooms unarchived.", count) % count, messages.SUCCESS
        )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "author", "short_text"]
    list_filter = ["room", "created_at"]
    search_fields = ["text", "author__username", "room__name"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]

    @admin.display(description="text")
    def short_text(self, message):
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"
