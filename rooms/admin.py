"""Staff manage rooms and messages here; every change reaches open pages live.

Nothing here broadcasts: saving a room, changing its members and deleting
rooms or messages do it themselves (rooms/models/), after commit.
"""

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
    actions = ["archive", "unarchive", "delete_selected"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "topic"]}),
        ("Access", {"fields": ["is_archived", "is_private", "members"]}),
    ]

    @admin.action(description="Archive selected rooms (read-only)", permissions=["change"])
    def archive(self, request, queryset):
        self._set_archived(request, queryset, True)

    @admin.action(description="Unarchive selected rooms", permissions=["change"])
    def unarchive(self, request, queryset):
        self._set_archived(request, queryset, False)

    def _set_archived(self, request, queryset, archived):
        rooms = list(queryset.filter(is_archived=not archived))
        for room in rooms:
            room.set_archived(archived)
        verb = "archived" if archived else "unarchived"
        self.message_user(
            request,
            ngettext("%(count)d room %(verb)s.", "%(count)d rooms %(verb)s.", len(rooms))
            % {"count": len(rooms), "verb": verb},
            messages.SUCCESS,
        )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "author_name", "short_text"]
    list_filter = ["room", "created_at"]
    search_fields = ["text", "author__username", "room__name"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["author"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]

    @admin.display(description="author", ordering="author__username")
    def author_name(self, message):
        return message.author_name

    @admin.display(description="text")
    def short_text(self, message):
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"
