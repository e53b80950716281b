"""Staff manage rooms and messages here; every change reaches open pages live.

Nothing here broadcasts: saving a room, changing its members and deleting
rooms or messages do it themselves (rooms/models/), after commit.
"""

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import ngettext

from accounts.names import PROFILE

from .models import Conversation, Message, Room


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

    def get_queryset(self, request):
        # Direct conversations are not managed here (ConversationAdmin).
        return super().get_queryset(request).rooms()

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


class NextPagePaginator(Paginator):
    """Counts no further than the page after the one asked for: the admin's
    "1 2 3 ... 40,000" and "N messages" would COUNT(*) the whole table (twice)
    on every load, which at millions of messages costs more than the page."""

    def __init__(self, object_list, per_page, page_number, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.page_number = page_number

    @cached_property
    def count(self):
        offset = (self.page_number - 1) * self.per_page
        return offset + len(self.object_list[offset : offset + self.per_page + 1].values_list("pk", flat=True))


class UncountedChangeList(ChangeList):
    """Previous / next links instead of page numbers and totals
    (templates/admin/rooms/message/pagination.html)."""

    def get_results(self, request):
        super().get_results(request)
        more = self.result_count > self.page_num * self.list_per_page
        self.previous_url = self.get_query_string({PAGE_VAR: self.page_num - 1}) if self.page_num > 1 else None
        self.next_url = self.get_query_string({PAGE_VAR: self.page_num + 1}) if more else None
        # What "0 of N selected" counts: the rows shown (there is no total to
        # select across).
        self.result_count = len(self.result_list)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """That a conversation exists, who is in it, how many messages and when,
    for moderation and data requests; what was said stays between its
    participants (docs/security.md, "Who can see what"). Deleting one deletes it for
    everyone in it."""

    list_display = ["__str__", "message_count", "created_at", "last_message_at"]
    list_filter = ["created_at"]
    search_fields = ["members__username"]
    fields = ["participant_names", "message_count", "created_at", "last_message_at"]
    readonly_fields = fields
    actions = ["delete_selected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("members")
            .annotate(message_count=Count("messages"), last_message_at=Max("messages__created_at"))
        )

    def has_add_permission(self, request):
        return False  # people start conversations themselves

    def has_change_permission(self, request, obj=None):
        return False

    def get_deleted_objects(self, objs, request):
        """The confirmation page names the conversations and counts what goes
        with them: Django's list would name each message (its first words)
        and each file."""
        _, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        named = [f"{capfirst(self.opts.verbose_name)}: {conversation}" for conversation in objs]
        return named, counts, perms_needed, protected

    @admin.display(description="participants")
    def participant_names(self, conversation):
        return ", ".join(person.get_username() for person in conversation.members.all())

    @admin.display(description="messages", ordering="message_count")
    def message_count(self, conversation):
        return conversation.message_count

    @admin.display(description="last message", ordering="last_message_at")
    def last_message_at(self, conversation):
        return conversation.last_message_at


class RoomFilter(admin.RelatedFieldListFilter):
    """Rooms only: a conversation's messages are not listed here."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(
            include_blank=False,
            ordering=self.field_admin_ordering(field, request, model_admin),
            limit_choices_to={"kind": Room.ROOM},
        )


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "author_name", "short_text"]
    list_filter = [("room", RoomFilter), "created_at"]
    # The author column shows display names: the profile comes in the same
    # query, not one query per row.
    list_select_related = ["room", f"author__{PROFILE}"]
    raw_id_fields = ["author"]
    readonly_fields = ["created_at"]
    # Newest first, sortable only by what an index orders, and no
    # date_hierarchy (it reads the dates of every row): every page costs the
    # same however long the history.
    ordering = ["-id"]
    sortable_by = ["created_at"]
    show_full_result_count = False
    list_max_show_all = 0
    # One field: an OR with the author's or room's name (other tables) would
    # scan every message. PostgreSQL serves this search from a trigram index
    # (migration 0008); @name lists one person's messages.
    search_fields = ["text"]
    search_help_text = (
        "Words in the messages' text, or @username for one person's messages. "
        "Pages are not counted: use Previous and Next."
    )

    def get_queryset(self, request):
        # Direct messages are for their participants only.
        return super().get_queryset(request).filter(room__kind=Room.ROOM)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "room":
            # Nor can staff write into a conversation (or move a message there).
            kwargs["queryset"] = Room.objects.rooms()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(1, int(request.GET.get(PAGE_VAR, 1)))
        except ValueError:
            page = 1
        return NextPagePaginator(
            queryset, per_page, page, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )

    def get_changelist(self, request, **kwargs):
        return UncountedChangeList

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.startswith("@") and len(term) > 1:
            return queryset.filter(author__username=term[1:]), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="author", ordering="author__username")
    def author_name(self, message):
        return message.author_name

    @admin.display(description="text")
    def short_text(self, message):
        return message.text if len(message.text) <= 80 else message.text[:79] + "…"
