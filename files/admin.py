"""Staff see each message's files and their sizes (on the message's page
and in a list of all files), and how much storage each room holds.

Rooms only: the files of direct conversations, even their names, are for
their participants (docs/security.md, "Who can see what"), like their messages.

Deleting an attachment, its message or its room here deletes the stored
files after commit (files/signals.py)."""

from django.contrib import admin
from django.db.models import Count, Sum

from core.text import describe_size
from rooms.admin import RoomFilter
from rooms.models import Message, Room

from .models import Attachment, RoomStorage


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    can_delete = True
    fields = ["name", "readable_size", "content_type", "width", "height", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # files arrive through the room page

    @admin.display(description="size", ordering="size")
    def readable_size(self, attachment):
        return describe_size(attachment.size)


# The message's page in the admin lists its files (rooms/admin.py knows nothing of files).
_message_admin = admin.site.get_model_admin(Message)
_message_admin.inlines = [*_message_admin.inlines, AttachmentInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["name", "readable_size", "content_type", "room", "message_id", "created_at"]
    list_select_related = ["message__room"]
    list_filter = [("message__room", RoomFilter), "created_at"]
    search_fields = ["name"]
    ordering = ["-id"]
    fields = ["message", "name", "readable_size", "content_type", "width", "height", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(message__room__kind=Room.ROOM)

    def has_add_permission(self, request):
        return False

    @admin.display(description="size", ordering="size")
    def readable_size(self, attachment):
        return describe_size(attachment.size)

    @admin.display(description="room", ordering="message__room__name")
    def room(self, attachment):
        return attachment.message.room


@admin.register(RoomStorage)
class RoomStorageAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "file_count", "total_size"]
    ordering = ["name"]
    search_fields = ["name", "slug"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .rooms()
            .annotate(file_count=Count("messages__attachments"), stored_bytes=Sum("messages__attachments__size"))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="files", ordering="file_count")
    def file_count(self, room):
        return room.file_count

    @admin.display(description="stored", ordering="stored_bytes")
    def total_size(self, room):
        return describe_size(room.stored_bytes or 0)
