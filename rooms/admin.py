"""Staff manage rooms and messages here; every change reaches open pages live.

The admin calls the models' own methods (set_archived, access_changed,
listing_changed, remove), which broadcast after commit: no signal receivers.
"""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from .models import Message, Room

# What a room's entry in the room lists shows (or decides who sees it).
LISTED_FIELDS = ["name", "slug", "topic", "is_archived", "is_private", "members"]


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_archived" in form.changed_data:
            obj.archived_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and {"is_private", "members"} & set(form.changed_data):
            form.instance.access_changed()
        # Room lists follow every change their entries show; the model sends
        # one update per save however many of these calls it gets.
        if not change or set(LISTED_FIELDS) & set(form.changed_data):
            form.instance.listing_changed()

    def delete_model(self, request, obj):
        obj.remove()

    def delete_queryset(self, request, queryset):
        for room in queryset:
            room.remove()


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

    def delete_model(self, request, obj):
        Message.objects.filter(pk=obj.pk).remove()

    def delete_queryset(self, request, queryset):
        queryset.remove()
